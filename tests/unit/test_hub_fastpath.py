"""The hub's fast paths give the records the plain paths give: fan-out, headers, decisions."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import TopicPartition
from aiokafka.producer.message_accumulator import BatchBuilder

from gateway.hub.audit import Action
from gateway.hub.facts import DecisionCache
from gateway.hub.policy.decide import load_policy
from gateway.hub.route import Effects, Inbound, route
from gateway.hub.state import StateStore
from gateway.kafka.eos import EosEngine, Fanout, Output, partition_for
from gateway.kafka.eos.worker import Worker
from gateway.settings import Settings
from gateway.topology import load_topology
from tests.support.alerts import make_alert

NOW = 1_800_000_000_000
OWNER = ("fl.ingress.interpol", 0)


class _Producer:
    """Builds real aiokafka batches and remembers what was sent where."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int, BatchBuilder]] = []

    def create_batch(self) -> BatchBuilder:
        return BatchBuilder(1024, 0, is_transactional=1)

    async def send_batch(self, batch: BatchBuilder, topic: str, *, partition: int) -> Any:
        self.sent.append((topic, partition, batch))
        future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    async def begin_transaction(self) -> None:
        return None


async def _fed(outputs: list[Output | Fanout]) -> dict[tuple[str, int], int]:
    """Records per (topic, partition) after the engine appends ``outputs`` and flushes."""
    engine = EosEngine(Settings(bootstrap_servers="x:1"), app_id="t", topics=[], processor=None)  # type: ignore[arg-type]  # why: _feed never calls the processor
    engine._partitions.update({"a": 3, "b": 5, "c": 1})
    producer = _Producer()
    worker = Worker(TopicPartition("in", 0), producer, transactional=True)
    await engine._feed(worker, outputs)
    await worker.flush()
    counts: dict[tuple[str, int], int] = {}
    for topic, partition, batch in producer.sent:
        counts[(topic, partition)] = counts.get((topic, partition), 0) + batch.record_count()
    return counts


async def test_fanout_lands_where_single_outputs_land() -> None:
    """A Fanout writes one record per topic, each on the key's partition, as Outputs would."""
    keys = [f"INTERPOL:{n}".encode() for n in range(40)]
    fan = [Fanout(["a", "b", "c"], k, b"v" * 100, [("h", b"1")]) for k in keys]
    single = [Output(t, k, b"v" * 100, [("h", b"1")]) for k in keys for t in ("a", "b", "c")]
    counts = await _fed(list(fan))
    assert counts == await _fed(list(single))
    assert sum(counts.values()) == 120
    assert counts[("b", partition_for(keys[0], 5))] >= 1


async def test_full_batches_are_sent_and_refilled() -> None:
    """Records beyond one batch's size start a new batch: none is lost, none is doubled."""
    outputs: list[Output | Fanout] = [Fanout(["a"], b"same-key", b"x" * 300) for _ in range(20)]
    counts = await _fed(outputs)
    assert counts == {("a", partition_for(b"same-key", 3)): 20}


def _route(
    store: StateStore, value: bytes, now_ms: int = NOW, cache: DecisionCache | None = None
) -> Effects:
    policy, countries = load_policy(), frozenset(c.code for c in load_topology().countries)
    inbound = Inbound(topic_org="INTERPOL", owner=OWNER, offset=1, value=value)
    effects = route(inbound, store, policy, now_ms, candidates=countries, decisions=cache)
    if effects.state is not None:
        store.stage(OWNER, effects.state)
        store.commit(OWNER)
    return effects


def test_deliveries_share_one_header_list_unless_linked() -> None:
    """Every recipient gets the very same header list object, the one the writer fans out."""
    effects = _route(StateStore("s"), make_alert("INTERPOL:F-1"))
    assert effects.deliveries
    assert effects.shared_headers is not None
    assert all(h is effects.shared_headers for h in effects.deliveries.values())


def test_remembered_decision_never_outlives_an_expiry() -> None:
    """Facts decided once are decided afresh when the next alert with them has expired."""
    store, cache = StateStore("s"), DecisionCache()
    first = _route(
        store, make_alert("INTERPOL:F-2", expires_at="2099-01-01T00:00:00Z"), cache=cache
    )
    assert first.action is Action.DELIVERED
    assert len(cache) == 1
    late = _route(store, make_alert("INTERPOL:F-3", expires_at="2020-01-01T00:00:00Z"), NOW, cache)
    assert late.action is Action.DENIED
    assert set(late.denied.values()) == {"EXPIRED"}
    again = _route(
        store, make_alert("INTERPOL:F-4", expires_at="2098-01-01T00:00:00Z"), cache=cache
    )
    assert set(again.deliveries) == set(first.deliveries)


def test_decision_cache_is_bounded() -> None:
    """A full decision cache lets its least recently used decision go, one at a time: the
    decision used again stays, the other is decided afresh."""
    store, cache = StateStore("s"), DecisionCache(max_entries=2)
    _route(store, make_alert("INTERPOL:F-5"), cache=cache)  # GREEN
    _route(store, make_alert("INTERPOL:F-6", tlp="AMBER"), cache=cache)
    _route(store, make_alert("INTERPOL:F-7"), cache=cache)  # GREEN again: the newest used
    _route(store, make_alert("INTERPOL:F-8", tlp="CLEAR"), cache=cache)  # AMBER goes
    assert len(cache) == 2
    kept = list(cache._decided.values())
    green = _route(store, make_alert("INTERPOL:F-9"), cache=cache)
    assert len(cache) == 2
    assert list(cache._decided.values()) == kept[::-1]  # GREEN reused, not decided again
    assert green.deliveries
