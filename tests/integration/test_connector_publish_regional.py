"""AMERIPOL, AFRIPOL and ASEANAPOL on the real broker: fixtures in, exact topic contents out."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import ConsumerRecord

from connectors.base import Accepted, Refused, process
from connectors.registry import get_connector
from connectors.runtime.publisher import Publisher
from connectors.synthetic import get_generator
from gateway.contract.codec import decode
from gateway.kafka.headers import RouteHeaders
from gateway.kafka.quarantine import QuarantineRecord
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parents[1] / "fixtures" / "connectors"
ORGS = ("AMERIPOL", "AFRIPOL", "ASEANAPOL")


async def _topics(bootstrap: str, prefix: str, org: str) -> TopicNames:
    names = TopicNames(prefix)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(names.ingress(org), 3, 1), NewTopic(names.quarantine, 1, 1)]
        )
    finally:
        await admin.close()
    return names


async def _read(bootstrap: str, topic: str, expect: int) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of ``topic``, once ``expect`` arrived and a poll brings nothing more."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
        enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    seen: list[ConsumerRecord[bytes, bytes]] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=400)
            for records in batch.values():
                seen.extend(records)
            if len(seen) >= expect and not batch:
                break
    finally:
        await consumer.stop()
    return seen


def _settings(bootstrap: str, prefix: str, tmp_path: Path) -> Settings:
    return Settings(bootstrap_servers=bootstrap, topic_prefix=prefix, data_dir=tmp_path)


@pytest.mark.parametrize("org", ORGS)
async def test_sample_and_broken_fixtures_land_exactly(
    org: str, bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """Every sample record reaches ingress as encoded; every broken fixture reaches quarantine."""
    names = await _topics(bootstrap, prefix, org)
    connector = get_connector(org)
    sample = connector.sample_path().read_bytes()
    broken = sorted((FIXTURES / org.lower() / "broken").iterdir())
    now = datetime.now(UTC)
    expected = [o for o in process(connector, sample, "sample", now=now) if isinstance(o, Accepted)]
    async with Publisher(_settings(bootstrap, prefix, tmp_path), connector) as pub:
        report = await pub.publish(sample, "sample")
        for path in broken:
            report.stats.merge((await pub.publish(path.read_bytes(), path.name)).stats)
    total = report.stats.total
    assert (total.records_in, total.published, total.quarantined) == (
        len(expected) + len(broken), len(expected), len(broken),
    )  # fmt: skip

    ingress = await _read(bootstrap, names.ingress(org), len(expected))
    assert sorted((r.key, r.value) for r in ingress) == sorted((o.key, o.value) for o in expected)
    for record in ingress:
        assert record.value is not None
        alert = decode(record.value)
        headers = RouteHeaders.from_kafka(record.headers)
        assert (headers.org, headers.version) == (org, alert.envelope.version)
        assert alert.envelope.source_org.value == org

    quarantine = await _read(bootstrap, names.quarantine, len(broken))
    found = {
        q.source.split("#")[0]: q
        for q in (QuarantineRecord.from_kafka(r.value, r.headers) for r in quarantine)
    }
    assert set(found) == {p.name for p in broken}
    for path in broken:
        (offline,) = process(connector, path.read_bytes(), path.name, now=now)
        assert isinstance(offline, Refused)
        online = found[path.name]
        assert (online.org, online.component, online.stage) == (
            org,
            "connector",
            offline.quarantine.stage,
        )
        assert [r.code for r in online.reasons] == [r.code for r in offline.quarantine.reasons]
        assert online.original == offline.quarantine.original


@pytest.mark.parametrize("org", ORGS)
async def test_rerun_and_generated_exports_keep_keys_and_versions(
    org: str, bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """A generated export published twice writes each (key, version) pair exactly twice."""
    names = await _topics(bootstrap, prefix, org)
    connector = get_connector(org)
    payload = get_generator(connector.org).generate(random.Random(17), 1500, datetime.now(UTC))
    for _ in range(2):
        async with Publisher(_settings(bootstrap, prefix, tmp_path), connector) as pub:
            report = await pub.publish(payload, "generated")
        assert (report.stats.total.published, report.stats.total.quarantined) == (1500, 0)
    records = await _read(bootstrap, names.ingress(org), 3000)
    assert len(records) == 3000
    pairs = [(r.key, RouteHeaders.from_kafka(r.headers).version) for r in records]
    counts = Counter(pairs)
    assert len(counts) == 1500
    assert set(counts.values()) == {2}
