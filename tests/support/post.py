"""A border post for the post's tests: one holding the shipped examples (API, guard, officers),
and a feed topic on the real broker with records written as a node writes them."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from gateway.contract import CommodityAlert, WantedPersonAlert
from gateway.contract.codec import encode
from gateway.kafka.headers import RouteHeaders
from gateway.kafka.layout import COMPACTED
from gateway.post import PostService
from gateway.settings import Settings
from tests.support.alerts import make_alert
from tests.support.paths import EXAMPLES

__all__ = ["create_feed", "feed_record", "person_alert", "produce", "service", "settings_for"]


def feed_record(offset: int, key: str, value: bytes, kind: str) -> SimpleNamespace:
    """A ConsumerRecord look-alike from a post's feed (AMBER, ACTUAL, version 1)."""
    headers = RouteHeaders(
        kind=kind, org="INTERPOL", tlp="AMBER", status="ACTUAL", msg_type="ALERT", version=1
    ).to_kafka()
    return SimpleNamespace(offset=offset, key=key.encode(), value=value, headers=headers)


@pytest.fixture
def service(tmp_path: Path) -> PostService:
    """A post holding the shipped wanted-person and commodity examples.

    A test module uses it by importing it: ``from tests.support.post import service``.
    """
    svc = PostService(Settings(data_dir=tmp_path), "FRA", "CDG")
    person = WantedPersonAlert.model_validate(
        json.loads((EXAMPLES / "wanted_person.json").read_text())
    )
    goods = CommodityAlert.model_validate(json.loads((EXAMPLES / "commodity.json").read_text()))
    svc.feed.apply(
        {
            TopicPartition(svc.topic, 0): [
                feed_record(0, person.envelope.alert_id, encode(person), "WANTED_PERSON"),
                feed_record(1, goods.envelope.alert_id, encode(goods), "COMMODITY"),
            ]
        }
    )
    return svc


def settings_for(bootstrap: str, prefix: str, data_dir: Path) -> Settings:
    """Settings of one test: its own prefix and data folder."""
    return Settings(bootstrap_servers=bootstrap, topic_prefix=prefix, data_dir=data_dir)


async def create_feed(settings: Settings, topic: str, partitions: int = 3) -> None:
    """Create a compacted feed topic."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, 1, topic_configs=dict(COMPACTED))])
    finally:
        await admin.close()


def person_alert(i: int, family: str = "ERIKSSON", **kw: object) -> bytes:
    """An INTERPOL wanted-person alert with a family name of its own."""
    return make_alert(f"INTERPOL:P-{i}", subject={"family_name": f"{family}{i}"}, **kw)  # type: ignore[arg-type]  # why: make_alert's kwargs are Any


async def produce(bootstrap: str, topic: str, records: list[tuple[str, bytes | None]]) -> None:
    """Write records as a node would (routing headers, hop timestamps)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for key, value in records:
            headers = RouteHeaders(
                kind="WANTED_PERSON", org="INTERPOL", tlp="GREEN", status="ACTUAL",
                msg_type="ALERT", version=1, ts_issued=1, ts_connector=2, ts_hub=3, ts_node=4,
            ).to_kafka()  # fmt: skip
            await producer.send(topic, value, key=key.encode(), headers=headers)
        await producer.flush()
    finally:
        await producer.stop()
