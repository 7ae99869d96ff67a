"""Travel-document alerts at the post: feed to index and store, screening, restart, removal."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import httpx
from aiokafka import TopicPartition

from gateway.contract import AlertKind
from gateway.contract.messages import HitOutcome
from gateway.kafka.headers import RouteHeaders
from gateway.post import PostService
from gateway.post.api import create_app
from gateway.post.screening import PersonQuery
from gateway.settings import Settings
from tests.support.alerts import make_alert


def _record(offset: int, key: str, value: bytes | None, version: int = 1) -> SimpleNamespace:
    """A feed record as a node writes a travel-document alert (or its tombstone)."""
    headers = RouteHeaders(
        kind="TRAVEL_DOCUMENT", org="INTERPOL", tlp="GREEN", status="ACTUAL",
        msg_type="ALERT", version=version,
    ).to_kafka()  # fmt: skip
    return SimpleNamespace(offset=offset, key=key.encode(), value=value, headers=headers)


def _document(alert_id: str, number: str, version: int = 1, **subject: str) -> bytes:
    return make_alert(
        alert_id, version, kind=AlertKind.TRAVEL_DOCUMENT,
        subject={"document_number": number, **subject},
    )  # fmt: skip


def _apply(service: PostService, *records: SimpleNamespace) -> None:
    service.feed.apply({TopicPartition(service.topic, 0): list(records)})


def test_documents_screen_replace_restore_and_remove(tmp_path: Path) -> None:
    """A delivered document is found by number (with and without its issuer), a newer
    version replaces it, a restart restores it from the store, and a tombstone removes it."""
    settings = Settings(data_dir=tmp_path, receipts=False)
    service = PostService(settings, "FRA", "CDG")
    _apply(
        service,
        _record(0, "INTERPOL:SLTD-1", _document("INTERPOL:SLTD-1", "C01X00T47")),
        _record(1, "INTERPOL:SLTD-2", _document("INTERPOL:SLTD-2", "L898902C3", status="LOST")),
    )
    assert len(service.documents) == 2
    assert len(service.watchlist) == 0  # documents are not watchlist entries
    answer = service.screen_person(
        PersonQuery(document_number="c01x-00t47", document_country="DEU")
    )
    (doc,) = answer.documents
    assert (doc.alert_id, doc.status, doc.action, doc.issuer_matches) == (
        "INTERPOL:SLTD-1", "STOLEN", "SEIZE_DOCUMENT", True,
    )  # fmt: skip
    assert doc.document_number == "C01X00T47"
    assert doc.reported_at == "2025-10-01"
    other = service.screen_person(PersonQuery(document_number="C01X00T47", document_country="FRA"))
    assert [d.issuer_matches for d in other.documents] == [False]
    logged = service.access.entries(after_seq=(answer.screening_id or 1) - 1, limit=1)[0]
    assert ("INTERPOL:SLTD-1", 1) in {tuple(a) for a in logged.alerts}

    _apply(
        service,
        _record(2, "INTERPOL:SLTD-2", _document("INTERPOL:SLTD-2", "L898902C3", 2), version=2),
        _record(3, "INTERPOL:SLTD-1", _document("INTERPOL:SLTD-1", "C01X00T47", 1)),  # stale
    )
    (lost,) = service.screen_person(PersonQuery(document_number="L898902C3")).documents
    assert (lost.version, lost.status, lost.action) == (2, "STOLEN", "SEIZE_DOCUMENT")
    service.close()

    again = PostService(settings, "FRA", "CDG")
    assert len(again.documents) == 2
    assert again.screen_person(PersonQuery(document_number="C01X00T47")).documents
    _apply(again, _record(4, "INTERPOL:SLTD-1", None))
    assert again.screen_person(PersonQuery(document_number="C01X00T47")).documents == []
    assert len(again.documents) == 1
    assert again.store.document_count() == 1
    again.close()


def test_cancel_and_red_remove_a_document(tmp_path: Path) -> None:
    """A CANCEL record or a version raised to TLP:RED takes the document off the post."""
    service = PostService(Settings(data_dir=tmp_path, receipts=False), "FRA", "CDG")
    _apply(
        service,
        _record(0, "INTERPOL:SLTD-1", _document("INTERPOL:SLTD-1", "C01X00T47")),
        _record(1, "INTERPOL:SLTD-2", _document("INTERPOL:SLTD-2", "X1")),
    )
    cancel = make_alert("INTERPOL:SLTD-1", 2, kind=AlertKind.TRAVEL_DOCUMENT, msg_type="CANCEL")
    red = make_alert(
        "INTERPOL:SLTD-2", 2, kind=AlertKind.TRAVEL_DOCUMENT, tlp="RED",
        subject={"document_number": "X1"}, release_to_countries=["FRA"],
    )  # fmt: skip
    _apply(service, _record(2, "INTERPOL:SLTD-1", cancel, 2), _record(3, "INTERPOL:SLTD-2", red, 2))
    assert len(service.documents) == 0
    assert service.store.document_count() == 0
    assert service.screen_person(PersonQuery(document_number="X1")).documents == []
    service.close()


async def test_health_and_watchlist_count_documents(tmp_path: Path) -> None:
    """/health and /watchlist report how many travel documents the post holds."""
    service = PostService(Settings(data_dir=tmp_path, receipts=False), "FRA", "CDG")
    _apply(service, _record(0, "INTERPOL:SLTD-1", _document("INTERPOL:SLTD-1", "C01X00T47")))
    _, token = service.officers.add("Officer Test")
    transport = httpx.ASGITransport(app=create_app(service))
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://p", headers=auth) as web:
        health = (await web.get("/health")).json()
        listing = (await web.get("/watchlist")).json()
        screened = (await web.post("/screen/person", json={"document_number": "C01X00T47"})).json()
    assert health["documents"] == 1
    assert listing["documents"] == 1
    assert screened["documents"][0]["alert_id"] == "INTERPOL:SLTD-1"
    service.close()


def test_hit_report_on_a_document_alert(tmp_path: Path) -> None:
    """An officer reports a hit on a travel-document alert: its held version and org go up."""
    service = PostService(Settings(data_dir=tmp_path, receipts=False), "FRA", "CDG")
    _apply(service, _record(0, "INTERPOL:SLTD-1", _document("INTERPOL:SLTD-1", "C01X00T47")))
    answer = service.screen_person(PersonQuery(document_number="C01X00T47"))
    report = service.report_hit(
        "INTERPOL:SLTD-1", HitOutcome.OBJECT_SEIZED, screening_id=answer.screening_id
    )
    assert (report.alert_id, report.alert_version, report.org) == ("INTERPOL:SLTD-1", 1, "INTERPOL")
    service.close()
