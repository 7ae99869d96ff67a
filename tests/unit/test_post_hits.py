"""Hit reports at a border post: API, store, outbox, acknowledgements, FALSE_MATCH memory, flags."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import SimpleNamespace

import httpx
import pytest
from aiokafka import TopicPartition

from gateway.contract.enums import Org
from gateway.contract.messages import (
    MESSAGE_HEADER,
    FalseMatch,
    HitAck,
    HitOutcome,
    HitReport,
    decode_as,
    encode_message,
)
from gateway.post import PostService
from gateway.post.api import create_app
from gateway.post.hits import subject_key
from tests.support.post import service  # noqa: F401  # why: the shared fixture

ALERT = "INTERPOL:2025-118422"


@pytest.fixture
async def client(service: PostService) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811  # why: the fixture above
    """An HTTP client talking to the app in process, as an officer of the post."""
    _, token = service.officers.add("Officer Test")
    transport = httpx.ASGITransport(app=create_app(service))
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://post", headers=auth) as http:
        yield http


def _message(service: PostService, offset: int, key: str, kind: str, value: bytes | None) -> None:  # noqa: F811  # why: the fixture
    record = SimpleNamespace(
        offset=offset, key=key.encode(), value=value, headers=[(MESSAGE_HEADER, kind.encode())]
    )
    service.feed.apply({TopicPartition(service.topic, 0): [record]})


async def test_report_hit_is_stored_in_the_outbox_with_the_held_version(
    client: httpx.AsyncClient,
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """POST /hits returns a hit id and stores the report and one outbox row for fl.up.FRA."""
    answer = await client.post(
        "/hits", json={"alert_id": ALERT, "outcome": "ARRESTED", "place": "gate B12"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert len(body["hit_id"]) == 32
    assert body["alert_version"] == 1
    assert (body["post_id"], body["country"], body["status"]) == ("CDG", "FRA", "stored")
    rows = [r for r in service.outbox.next_batch(10) if r.kind == "hit"]
    assert [(r.topic, r.key, r.kind) for r in rows] == [
        ("fl.up.FRA", body["hit_id"].encode(), "hit")
    ]
    report = decode_as(HitReport, "hit", rows[0].value)
    assert report.officer_id is not None
    assert report.place == "gate B12"
    listed = (await client.get("/hits")).json()
    assert [h["status"] for h in listed["hits"]] == ["stored"]
    assert listed["awaiting_ack"] == 1
    service.outbox.mark_sent(rows)
    assert [h["status"] for h in (await client.get("/hits")).json()["hits"]] == ["sent"]
    assert service.outbox.pending("hit") == 0


async def test_a_hit_on_an_alert_not_held_is_404(client: httpx.AsyncClient) -> None:
    """A hit naming an alert the post does not hold is refused with 404, nothing stored."""
    answer = await client.post("/hits", json={"alert_id": "NOPE:1", "outcome": "ARRESTED"})
    assert answer.status_code == 404
    assert (await client.get("/hits")).json()["hits"] == []


async def test_a_hit_needs_a_known_outcome_and_a_token(
    client: httpx.AsyncClient,
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """An unknown outcome is 422 and a request without an officer's token is 401."""
    answer = await client.post("/hits", json={"alert_id": ALERT, "outcome": "SHOT"})
    assert answer.status_code == 422
    transport = httpx.ASGITransport(app=create_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://post") as anonymous:
        assert (await anonymous.post("/hits", json={"alert_id": ALERT})).status_code == 401
        assert (await anonymous.get("/hits")).status_code == 401


async def test_an_acknowledgement_on_the_feed_shows_in_the_hits(
    client: httpx.AsyncClient,
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """A hit-ack record on the feed is stored against its hit, not taken for an alert."""
    hit_id = (await client.post("/hits", json={"alert_id": ALERT, "outcome": "DETAINED"})).json()[
        "hit_id"
    ]
    ack = HitAck(
        hit_id=hit_id, alert_id=ALERT, org=Org.INTERPOL, instructions="hold him, call NCB Lyon",
        acked_at=datetime.now(UTC), acked_by="connector-interpol",
    )  # fmt: skip
    size = len(service.watchlist)
    _message(service, 2, f"ack:{hit_id}", "hit-ack", encode_message(ack)[0])
    _message(service, 3, "x:1", "no-such-kind", b"{}")  # counted and skipped
    assert len(service.watchlist) == size
    listed = (await client.get("/hits")).json()
    assert listed["hits"][0]["status"] == "acknowledged"
    assert listed["hits"][0]["instructions"] == "hold him, call NCB Lyon"
    assert listed["awaiting_ack"] == 0
    assert service.store.offsets(service.topic) == {0: 4}


async def test_a_false_match_dismisses_the_same_traveller_next_time(
    client: httpx.AsyncClient,
) -> None:
    """After a FALSE_MATCH on a screening, the same traveller's answer lists it as dismissed."""
    first = (await client.post("/screen/person", json={"name": "Anna Eriksson"})).json()
    assert first["hits"]
    assert first["screening_id"] >= 1
    body = {"alert_id": ALERT, "outcome": "FALSE_MATCH", "screening_id": first["screening_id"]}
    report = (await client.post("/hits", json=body)).json()
    assert report["subject_key"]
    assert len(report["subject_key"]) == 64
    again = (await client.post("/screen/person", json={"name": "eriksson  ANNA"})).json()
    assert again["hits"] == []
    assert [a["alert_id"] for a in again["dismissed_false_matches"][0]["alerts"]] == [ALERT]
    assert "FALSE_MATCH" in again["dismissed_false_matches"][0]["reason"]
    other = (await client.post("/screen/person", json={"name": "Anna Maria Eriksson"})).json()
    assert other["hits"], "another query is another traveller: still a hit"


async def test_a_false_match_offered_by_the_node_is_remembered(
    client: httpx.AsyncClient,
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """A false-match record on the feed suppresses that traveller on that alert version."""
    key = subject_key(service._salt, "person", {"name": "Anna Eriksson"})
    assert key is not None
    offer = FalseMatch(
        alert_id=ALERT, alert_version=1, subject_key=key, country="FRA", post_id="ORY",
        at=datetime.now(UTC),
    )  # fmt: skip
    _message(service, 2, f"fm:{ALERT}:{key}", "false-match", encode_message(offer)[0])
    answer = (await client.post("/screen/person", json={"name": "Anna Eriksson"})).json()
    assert answer["hits"] == []
    assert answer["dismissed_false_matches"]


async def test_a_screening_reference_must_exist(client: httpx.AsyncClient) -> None:
    """A hit naming a screening the access log does not have is refused (404)."""
    body = {"alert_id": ALERT, "outcome": "FALSE_MATCH", "screening_id": 999}
    assert (await client.post("/hits", json=body)).status_code == 404


def test_subject_key_is_salted_and_order_free() -> None:
    """The subject key ignores name order and case, and changes with the salt."""
    a = subject_key(b"s1", "person", {"name": "Anna ERIKSSON", "limit": 10})
    assert a == subject_key(b"s1", "person", {"name": "eriksson anna", "limit": 3})
    assert a != subject_key(b"s2", "person", {"name": "Anna Eriksson"})
    assert a is not None
    assert "anna" not in a.lower()


def test_hit_outcomes_are_counted(
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """Hits are counted by outcome; the outbox backlog and hits awaiting are gauges."""
    service.report_hit(ALERT, HitOutcome.REFUSED_ENTRY)
    registry = service.registry
    labels = {"post": "FRA.CDG", "outcome": "REFUSED_ENTRY"}
    assert registry.get_sample_value("frontline_post_hits_total", labels) == 1
    assert registry.get_sample_value("frontline_post_hits_awaiting_ack", {"post": "FRA.CDG"}) == 1
    # the fixture's two receipts and the hit
    assert registry.get_sample_value("frontline_post_outbox_backlog", {"post": "FRA.CDG"}) == 3
