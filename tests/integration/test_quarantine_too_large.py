"""An ingress value too large to quarantine as it is still lands in quarantine, bounded."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition

from gateway.kafka.quarantine import PREFIX_BYTES, QuarantineRecord
from gateway.settings import Settings
from tests.support.alerts import make_alert
from tests.support.hub import TOPOLOGY, create_hub_topics, start_hub, stop_hub
from tests.support.kafka import committed_offsets, read_all

pytestmark = pytest.mark.integration

BIG = 1_048_450  # fits the broker's 1,048,588-byte record limit on ingress, not with reasons


async def test_near_1mib_ingress_value_is_quarantined_bounded_and_committed(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """A ~1 MiB undecodable value gets a too_large quarantine record (prefix, size, sha256) on
    the broker, its offset is committed, and the good alert after it is still routed."""
    topology = tmp_path / "topology.toml"
    topology.write_text(TOPOLOGY, encoding="utf-8")
    settings = Settings(
        bootstrap_servers=bootstrap, topic_prefix=prefix, topology_file=topology,
        commit_interval_ms=50,
    )  # fmt: skip
    await create_hub_topics(settings, TOPOLOGY)
    hub = await start_hub(settings, bootstrap)
    junk = bytes(range(256)) * (BIG // 256) + b"x" * (BIG % 256)
    topic = hub.names.ingress("INTERPOL")
    try:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=1_100_000)
        await producer.start()
        try:
            sent = await producer.send_and_wait(topic, junk, key=b"big", partition=0)
            good = make_alert("INTERPOL:AFTER-1")
            await producer.send_and_wait(topic, good, key=b"INTERPOL:AFTER-1", partition=0)
        finally:
            await producer.stop()
        quarantined = await read_all(bootstrap, hub.names.quarantine, 1, timeout_s=30)
        fra = await hub.ncb("FRA", 1, timeout_s=30)
    finally:
        await stop_hub(hub)
    assert len(quarantined) == 1
    record = QuarantineRecord.from_kafka(quarantined[0].value, quarantined[0].headers)
    codes = [r.code for r in record.reasons]
    assert codes[0] == "too_large"
    assert "bad_marker" in codes  # the reason it was refused is kept
    assert record.original == junk[:PREFIX_BYTES]
    assert record.original_size == BIG
    assert record.original_sha256 == hashlib.sha256(junk).hexdigest()
    assert record.source == f"{topic}[0]@{sent.offset}"
    assert [r.key for r in fra] == [b"INTERPOL:AFTER-1"]
    committed = await committed_offsets(bootstrap, f"{prefix}hub")
    assert committed[TopicPartition(topic, 0)] > sent.offset
