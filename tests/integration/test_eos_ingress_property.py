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
from aiokafka import AIOKafkaProducer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.hub.service import HubService
from gateway.kafka.quarantine import MAX_RECORD_BYTES, QuarantineRecord
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings
from tests.support.alerts import make_alert
from tests.support.hub import TOPOLOGY, create_hub_topics
from tests.support.kafka import read_all

pytestmark = [pytest.mark.integration, pytest.mark.slow]

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


def _hostile(org: str) -> st.SearchStrategy[tuple[str, bytes | None]]:
    other = ORGS[1 - ORGS.index(org)]
    return st.one_of(
        st.binary(max_size=300).map(lambda b: ("malformed", b)),
        st.builds(_foreign, st.binary(min_size=8, max_size=8), st.binary(max_size=200)).map(
            lambda b: ("foreign", b)
        ),
        st.integers(1, 400).map(
            lambda n: ("truncated", make_alert(f"{org}:TR-{uuid.uuid4().hex[:8]}")[:n])
        ),
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


async def _accounted(hub: RunningHub, sent: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """Quarantine records by source, and alert ids the audit says were delivered."""
    sources: dict[str, str] = sent["sources"]
    quarantine = await read_all(hub.bootstrap, hub.names.quarantine, len(sources), timeout_s=30)
    audit = await read_all(hub.bootstrap, hub.names.audit, quiet_s=0.3, timeout_s=30)
    by_source: dict[str, Any] = {}
    for r in quarantine:
        q = QuarantineRecord.from_kafka(r.value, r.headers)
        if q.source in sources:
            assert q.source not in by_source, f"{q.source} quarantined twice"
            by_source[q.source] = (q, len(r.value or b""))
    delivered = {
        entry["alert_id"]
        for entry in (orjson.loads(r.value) for r in audit)
        if entry["action"] == "DELIVERED"
    }
    return by_source, delivered


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(cases=_cases())
def test_every_hostile_ingress_value_is_quarantined_and_good_ones_route(
    running_hub: RunningHub, cases: list[tuple[str, str, bytes | None]]
) -> None:
    """Oversized, malformed, truncated, forged, foreign-schema and empty values on every ingress
    topic each end in quarantine once with a reason (bounded when too large), counted on the
    broker, and the good alert sent after each of them is still delivered."""
    assert running_hub.thread.is_alive(), "the hub stopped"
    sent = asyncio.run(_produce(running_hub, cases))
    by_source, delivered = asyncio.run(_accounted(running_hub, sent))
    missing = sorted(set(sent["sources"]) - set(by_source))
    assert not missing, f"not quarantined: {[(m, sent['sources'][m]) for m in missing]}"
    for source, (record, size) in by_source.items():
        assert record.reasons, source
        assert size <= MAX_RECORD_BYTES
        if sent["sources"][source] == "oversized":
            assert record.reasons[0].code == "too_large"
            assert record.original_size == NEAR_1MIB
    assert set(sent["good"]) <= delivered
