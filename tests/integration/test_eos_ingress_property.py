"""Hostile values straight onto every ingress topic: each is routed or quarantined, none lost."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gateway.hub.service import HubService
from gateway.kafka.quarantine import MAX_RECORD_BYTES, QuarantineRecord
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings
from tests.support.alerts import make_alert
from tests.support.hub import TOPOLOGY, create_hub_topics

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    # The hub's consumer (aiokafka's fetcher shuffles partitions with the global `random`) runs
    # in a thread while hypothesis draws; hypothesis takes that for a strategy using `random`.
    pytest.mark.filterwarnings(
        "ignore:Do not use the `random` module inside strategies"
        ":hypothesis.errors.HypothesisDeprecationWarning"
    ),
]

ORGS = ("INTERPOL", "EUROPOL")
NEAR_1MIB = 1_048_450  # fits one ingress record; with quarantine reasons it would not


@dataclass
class RunningHub:
    """A hub on its own event loop in a thread, so synchronous hypothesis examples can feed it."""

    bootstrap: str
    names: TopicNames
    service: HubService
    thread: threading.Thread
    loop: asyncio.AbstractEventLoop


@pytest.fixture
def running_hub(bootstrap: str, prefix: str, tmp_path: Path) -> Iterator[RunningHub]:
    """One hub for every example of the test, stopped (its transactions finished) at the end."""
    topology = tmp_path / "topology.toml"
    topology.write_text(TOPOLOGY, encoding="utf-8")
    config = Settings(
        bootstrap_servers=bootstrap, topic_prefix=prefix, topology_file=topology,
        commit_interval_ms=50,
    )  # fmt: skip
    asyncio.run(create_hub_topics(config, TOPOLOGY))
    service = HubService(config, hub_id="prop-hub")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(service.run(),), daemon=True)
    thread.start()
    for _ in range(300):
        if service.engine.ready.is_set() or not thread.is_alive():
            break
        threading.Event().wait(0.1)
    assert service.engine.ready.is_set(), "the hub did not get its partitions within 30 s"
    try:
        yield RunningHub(bootstrap, TopicNames(prefix), service, thread, loop)
    finally:
        loop.call_soon_threadsafe(service.stop)
        thread.join(30)
        loop.close()


def _foreign(fingerprint: bytes, body: bytes) -> bytes:
    return b"\xc3\x01" + fingerprint + body


def _truncated(org: str) -> st.SearchStrategy[tuple[str, bytes | None]]:
    """A strict prefix (1 to len-1 bytes) of a real alert: a cut that keeps every byte (an
    alert is ~320 bytes) is the whole alert, which decodes and rightly routes."""
    return st.builds(lambda: make_alert(f"{org}:TR-{uuid.uuid4().hex[:8]}")).flatmap(
        lambda alert: st.integers(1, len(alert) - 1).map(lambda n: ("truncated", alert[:n]))
    )


def _hostile(org: str) -> st.SearchStrategy[tuple[str, bytes | None]]:
    other = ORGS[1 - ORGS.index(org)]
    return st.one_of(
        st.binary(max_size=300).map(lambda b: ("malformed", b)),
        st.builds(_foreign, st.binary(min_size=8, max_size=8), st.binary(max_size=200)).map(
            lambda b: ("foreign", b)
        ),
        _truncated(org),
        st.just(None).map(lambda _: ("forged", make_alert(f"{other}:F-{uuid.uuid4().hex[:8]}"))),
        st.integers(0, 255).map(lambda b: ("oversized", bytes([b]) * NEAR_1MIB)),
        st.just(("tombstone", None)),
    )


def _tagged(org: str) -> st.SearchStrategy[tuple[str, str, bytes | None]]:
    return _hostile(org).map(lambda lv: (org, lv[0], lv[1]))


def _cases() -> st.SearchStrategy[list[tuple[str, str, bytes | None]]]:
    """(org, label, value) lists mixing hostile values of both ingress topics."""
    per_org = [st.lists(_tagged(org), min_size=1, max_size=4) for org in ORGS]
    return st.tuples(*per_org).map(lambda parts: [c for part in parts for c in part])


async def _produce(hub: RunningHub, cases: list[tuple[str, str, bytes | None]]) -> dict[str, Any]:
    """Send every case with a good alert after it; where each landed, and the good ids."""
    producer = AIOKafkaProducer(bootstrap_servers=hub.bootstrap, max_request_size=1_100_000)
    await producer.start()
    sources: dict[str, str] = {}
    good: list[str] = []
    try:
        for org, label, value in cases:
            topic = hub.names.ingress(org)
            sent = await producer.send_and_wait(topic, value, key=label.encode())
            sources[f"{topic}[{sent.partition}]@{sent.offset}"] = label
            alert_id = f"{org}:G-{uuid.uuid4().hex[:10]}"
            await producer.send_and_wait(topic, make_alert(alert_id), key=alert_id.encode())
            good.append(alert_id)
    finally:
        await producer.stop()
    return {"sources": sources, "good": good}


async def _accounted(
    hub: RunningHub, sent: dict[str, Any], *, timeout_s: float = 60, tail_s: float = 0.5
) -> tuple[dict[str, Any], set[str], list[str]]:
    """Quarantine records by source, the alert ids the audit says were delivered, and sources
    quarantined more than once: read until every source and good id is there (or the deadline),
    then ``tail_s`` more to catch duplicates.

    The topics keep every earlier example's records, so the wait is on this example's own
    sources and ids, not on a record count or a quiet period (a loaded hub can take seconds).
    """
    sources: dict[str, str] = sent["sources"]
    good = set(sent["good"])
    consumer = AIOKafkaConsumer(
        hub.names.quarantine, hub.names.audit, bootstrap_servers=hub.bootstrap, group_id=None,
        auto_offset_reset="earliest", isolation_level="read_committed", enable_auto_commit=False,
    )  # fmt: skip
    by_source: dict[str, Any] = {}
    delivered: set[str] = set()
    twice: list[str] = []
    await consumer.start()
    loop = asyncio.get_running_loop()
    try:
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for r in (r for records in batch.values() for r in records):
                if r.topic == hub.names.audit:
                    entry = orjson.loads(r.value)
                    if entry["action"] == "DELIVERED":
                        delivered.add(entry["alert_id"])
                    continue
                q = QuarantineRecord.from_kafka(r.value, r.headers)
                if q.source in sources:
                    if q.source in by_source:
                        twice.append(q.source)
                    by_source[q.source] = (q, len(r.value or b""))
            if by_source.keys() >= sources.keys() and delivered >= good:
                deadline = min(deadline, loop.time() + tail_s)
    finally:
        await consumer.stop()
    return by_source, delivered, twice


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(cases=_cases())
@example(  # the cut boundaries: one byte short of a whole alert, and a bare header
    cases=[
        ("INTERPOL", "truncated", make_alert("INTERPOL:TR-edge")[:-1]),
        ("EUROPOL", "truncated", make_alert("EUROPOL:TR-edge")[:10]),
    ]
)
def test_every_hostile_ingress_value_is_quarantined_and_good_ones_route(
    running_hub: RunningHub, cases: list[tuple[str, str, bytes | None]]
) -> None:
    """Oversized, malformed, truncated, forged, foreign-schema and empty values on every ingress
    topic each end in quarantine once with a reason (bounded when too large), counted on the
    broker, and the good alert sent after each of them is still delivered."""
    assert running_hub.thread.is_alive(), "the hub stopped"
    sent = asyncio.run(_produce(running_hub, cases))
    by_source, delivered, twice = asyncio.run(_accounted(running_hub, sent))
    missing = sorted(set(sent["sources"]) - set(by_source))
    assert not missing, f"not quarantined: {[(m, sent['sources'][m]) for m in missing]}"
    assert not twice, f"quarantined twice: {twice}"
    for source, (record, size) in by_source.items():
        assert record.reasons, source
        assert size <= MAX_RECORD_BYTES
        if sent["sources"][source] == "oversized":
            assert record.reasons[0].code == "too_large"
            assert record.original_size == NEAR_1MIB
    assert set(sent["good"]) <= delivered
