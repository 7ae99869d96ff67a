"""Flags by the receiving country at a post: kept with the watchlist, shown in the answer."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from aiokafka import TopicPartition

from gateway.contract import WantedPersonAlert
from gateway.contract.codec import encode
from gateway.kafka.headers import H, RouteHeaders
from gateway.post import PostService
from gateway.post.screening import PersonQuery
from gateway.settings import Settings
from tests.support.paths import EXAMPLES

ALERT = "INTERPOL:2025-118422"


def _deliver(service: PostService, offset: int, version: int, flag: dict[str, str]) -> None:
    data = json.loads((EXAMPLES / "wanted_person.json").read_text())
    data["envelope"]["version"] = version
    if version > 1:
        data["envelope"]["msg_type"] = "UPDATE"
    alert = WantedPersonAlert.model_validate(data)
    headers = RouteHeaders(
        kind="WANTED_PERSON", org="INTERPOL", tlp="AMBER", status="ACTUAL", msg_type="ALERT",
        version=version, extra=flag,
    ).to_kafka()  # fmt: skip
    record = SimpleNamespace(
        offset=offset, key=ALERT.encode(), value=encode(alert), headers=headers
    )
    service.feed.apply({TopicPartition(service.topic, 0): [record]})


def test_a_flagged_alert_shows_the_flag_and_the_action_here(tmp_path: Path) -> None:
    """fl-flag-* headers put the flag and INFORM in the answer, kept across a restart, lifted
    by a version without them."""
    settings = Settings(data_dir=tmp_path)
    service = PostService(settings, "FRA", "CDG")
    flag = {H.FLAG_COUNTRY: "FRA", H.FLAG_ACTION: "INFORM", H.FLAG_REASON: "Art. 24 national"}
    _deliver(service, 0, 1, flag)
    hit = service.screen_person(PersonQuery(name="Anna Eriksson")).hits[0]
    alert = hit.alerts[0]
    assert alert.flag is not None
    assert (alert.flag.country, alert.flag.action, alert.flag.reason) == (
        "FRA", "INFORM", "Art. 24 national",
    )  # fmt: skip
    assert alert.flag.replaces == "DETAIN_AND_CONTACT_NODE"
    assert (alert.action, hit.action) == ("INFORM", "INFORM")
    service.close()
    again = PostService(settings, "FRA", "CDG")
    restored = again.screen_person(PersonQuery(name="Anna Eriksson")).hits[0].alerts[0]
    assert restored.flag is not None
    assert restored.action == "INFORM"
    _deliver(again, 1, 2, {})
    lifted = again.screen_person(PersonQuery(name="Anna Eriksson")).hits[0]
    assert lifted.alerts[0].flag is None
    assert lifted.action == "DETAIN_AND_CONTACT_NODE"
    assert list(again.store.flags()) == []
    again.close()


def test_a_flag_re_delivering_a_held_version_is_no_delivery(tmp_path: Path) -> None:
    """A version the post holds, delivered again with a flag, adds no latency sample (its
    timestamps are the first delivery's); a new version does."""
    service = PostService(Settings(data_dir=tmp_path), "FRA", "CDG")
    samples: list[int] = []
    service.metrics.delivered = lambda headers, now_ms: samples.append(now_ms)  # type: ignore[method-assign]  # why: count the calls
    _deliver(service, 0, 1, {})
    assert len(samples) == 1
    flag = {H.FLAG_COUNTRY: "FRA", H.FLAG_ACTION: "INFORM"}
    _deliver(service, 1, 1, flag)
    assert len(samples) == 1
    _deliver(service, 2, 2, flag)
    assert len(samples) == 2
    assert service.screen_person(PersonQuery(name="Anna Eriksson")).hits[0].action == "INFORM"
    service.close()
