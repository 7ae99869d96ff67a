"""A border post holding the shipped examples, for the post's API, guard and officer tests."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiokafka import TopicPartition

from gateway.contract import CommodityAlert, WantedPersonAlert
from gateway.contract.codec import encode
from gateway.kafka.headers import RouteHeaders
from gateway.post import PostService
from gateway.settings import Settings
from tests.support.paths import EXAMPLES

__all__ = ["feed_record", "service"]


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
