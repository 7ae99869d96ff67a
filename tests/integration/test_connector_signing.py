"""A connector with a signing key: every alert on the real broker carries a valid signature."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import ConsumerRecord

from connectors.registry import get_connector
from connectors.runtime.publisher import Publisher
from connectors.synthetic import get_generator
from gateway.contract.trust import (
    SigHeaders,
    TrustStore,
    demo_key_path,
    generate_demo_keys,
)
from gateway.errors import ConfigError
from gateway.kafka.reading import assign_from_start, read_to_end
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings

pytestmark = pytest.mark.integration

ORG = "INTERPOL"


async def _topics(bootstrap: str, names: TopicNames) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(n, 1, 1) for n in (names.ingress(ORG), names.quarantine)]
        )
    finally:
        await admin.close()


async def _read(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    seen: list[ConsumerRecord[bytes, bytes]] = []
    try:
        tps = await assign_from_start(consumer, topic)
        await read_to_end(consumer, tps, seen.append, timeout_s=30)
    finally:
        await consumer.stop()
    return seen


@pytest.mark.parametrize("workers", [1, 2])
async def test_published_alerts_carry_valid_signatures(
    bootstrap: str, prefix: str, tmp_path: Path, workers: int
) -> None:
    """Inline and with worker processes, every ingress record verifies against the trust file
    over its exact value, and quarantined records carry no signature."""
    trust = TrustStore.from_file(generate_demo_keys(tmp_path / "keys", [ORG]))
    names = TopicNames(prefix)
    await _topics(bootstrap, names)
    settings = Settings(
        bootstrap_servers=bootstrap, topic_prefix=prefix, data_dir=tmp_path,
        signing_key=demo_key_path(tmp_path / "keys", ORG),
    )  # fmt: skip
    connector = get_connector(ORG)
    payload = get_generator(ORG).generate(random.Random(5), 1200, datetime.now(UTC))
    async with Publisher(settings, connector, workers=workers) as publisher:
        report = await publisher.publish(payload, "generated.json")
        broken = await publisher.publish(b"{not json", "broken.json")
    published = report.stats.total.published
    assert published > 1000
    ingress = await _read(bootstrap, names.ingress(ORG))
    assert len(ingress) == published
    for record in ingress:
        assert record.value is not None
        verdict = trust.verify_headers(ORG, record.value, list(record.headers))
        assert verdict.ok, verdict.reason
    assert broken.stats.total.quarantined == 1
    quarantined = await _read(bootstrap, names.quarantine)
    assert quarantined
    assert all(
        name not in (SigHeaders.KEY, SigHeaders.SIG, SigHeaders.TS)
        for record in quarantined
        for name, _ in record.headers
    )


def test_a_key_readable_by_others_stops_the_connector(tmp_path: Path) -> None:
    """A signing key with mode 0644 is refused when the publisher is built, before any send."""
    generate_demo_keys(tmp_path, [ORG])
    key = demo_key_path(tmp_path, ORG)
    os.chmod(key, 0o644)  # the wrong mode this test pins
    settings = Settings(bootstrap_servers="127.0.0.1:1", signing_key=key)
    with pytest.raises(ConfigError, match="readable or writable by group or others"):
        Publisher(settings, get_connector(ORG))
