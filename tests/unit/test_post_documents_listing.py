"""Travel-document alerts listed by the post (API and CLI), noted among the latest changes,
and shown by `post screen`'s table."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import httpx
from aiokafka import TopicPartition
from typer.testing import CliRunner

from gateway.cli import post as post_cli
from gateway.contract import AlertKind
from gateway.kafka.headers import RouteHeaders
from gateway.post import PostService
from gateway.post.api import create_app
from gateway.settings import Settings
from tests.support.alerts import make_alert
from tests.support.post import feed_record

runner = CliRunner()


def _doc_record(offset: int, key: str, value: bytes | None, version: int = 1) -> SimpleNamespace:
    """A feed record as a node writes a travel-document alert (or its tombstone)."""
    headers = RouteHeaders(
        kind="TRAVEL_DOCUMENT", org="INTERPOL", tlp="GREEN", status="ACTUAL",
        msg_type="ALERT", version=version,
    ).to_kafka()  # fmt: skip
    return SimpleNamespace(offset=offset, key=key.encode(), value=value, headers=headers)


def _document(alert_id: str, number: str, version: int = 1) -> bytes:
    return make_alert(
        alert_id, version, kind=AlertKind.TRAVEL_DOCUMENT, subject={"document_number": number}
    )


def _post(tmp_path: Path) -> PostService:
    """A post holding one wanted person and two travel documents."""
    service = PostService(Settings(data_dir=tmp_path, receipts=False), "FRA", "CDG")
    service.feed.apply(
        {
            TopicPartition(service.topic, 0): [
                feed_record(0, "INTERPOL:N-1", make_alert("INTERPOL:N-1"), "WANTED_PERSON"),
                _doc_record(1, "INTERPOL:SLTD-2", _document("INTERPOL:SLTD-2", "X2")),
                _doc_record(2, "INTERPOL:SLTD-1", _document("INTERPOL:SLTD-1", "C01X00T47")),
            ]
        }
    )
    return service


async def test_watchlist_endpoint_lists_documents(tmp_path: Path) -> None:
    """GET /watchlist lists the document alerts after the entries; ?kind filters them."""
    service = _post(tmp_path)
    _, token = service.officers.add("Officer Test")
    transport = httpx.ASGITransport(app=create_app(service))
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://p", headers=auth) as web:
        every = (await web.get("/watchlist")).json()
        docs = (await web.get("/watchlist", params={"kind": "travel_document"})).json()
        persons = (await web.get("/watchlist", params={"kind": "WANTED_PERSON"})).json()
    assert (every["size"], every["documents"]) == (1, 2)
    assert [(i["alert_id"], i["kind"]) for i in every["items"]] == [
        ("INTERPOL:N-1", "WANTED_PERSON"),
        ("INTERPOL:SLTD-1", "TRAVEL_DOCUMENT"),
        ("INTERPOL:SLTD-2", "TRAVEL_DOCUMENT"),
    ]
    assert docs["items"] == [
        {"alert_id": "INTERPOL:SLTD-1", "version": 1, "kind": "TRAVEL_DOCUMENT", "org": "INTERPOL"},
        {"alert_id": "INTERPOL:SLTD-2", "version": 1, "kind": "TRAVEL_DOCUMENT", "org": "INTERPOL"},
    ]
    assert [i["alert_id"] for i in persons["items"]] == ["INTERPOL:N-1"]
    service.close()


def test_cli_watchlist_and_screen_table_show_documents(tmp_path: Path) -> None:
    """`post watchlist` lists documents in id order; `post screen`'s table shows a document hit."""
    _post(tmp_path).close()
    env = {"FRONTLINE_DATA_DIR": str(tmp_path), "FRONTLINE_RECEIPTS": "false"}
    listed = runner.invoke(post_cli.app, ["watchlist", "FRA.CDG", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert [(i["alert_id"], i["kind"]) for i in json.loads(listed.stdout)] == [
        ("INTERPOL:N-1", "WANTED_PERSON"),
        ("INTERPOL:SLTD-1", "TRAVEL_DOCUMENT"),
        ("INTERPOL:SLTD-2", "TRAVEL_DOCUMENT"),
    ]
    shown = runner.invoke(
        post_cli.app, ["screen", "FRA.CDG", "--document", "C01X00T47"], env=env, terminal_width=200
    )
    assert shown.exit_code == 0, shown.output
    assert "C01X00T47" in shown.stdout
    assert "SEIZE_DOCUMENT" in shown.stdout
    assert "INTERPOL:SLTD-1" in shown.stdout
    assert "no hit" not in shown.stdout


def test_changes_note_document_additions_and_removals(tmp_path: Path) -> None:
    """New, updated and removed document alerts are noted among the latest changes."""
    service = _post(tmp_path)
    start = service.changes.seq
    tp = TopicPartition(service.topic, 0)
    service.feed.apply(
        {tp: [_doc_record(3, "INTERPOL:SLTD-3", _document("INTERPOL:SLTD-3", "Y3"))]}
    )
    service.feed.apply(
        {tp: [_doc_record(4, "INTERPOL:SLTD-3", _document("INTERPOL:SLTD-3", "Y3", 2), 2)]}
    )
    service.feed.apply({tp: [_doc_record(5, "INTERPOL:SLTD-1", None)]})
    changes, forgotten = service.changes.since(start)
    assert [(c.change, c.alert_id, c.version, c.kind) for c in changes] == [
        ("revoked", "INTERPOL:SLTD-1", 1, "TRAVEL_DOCUMENT"),
        ("updated", "INTERPOL:SLTD-3", 2, "TRAVEL_DOCUMENT"),
        ("new", "INTERPOL:SLTD-3", 1, "TRAVEL_DOCUMENT"),
    ]
    assert forgotten == 0
    assert changes[1].org == "INTERPOL"
    assert "Y3" in changes[1].label
    assert changes[1].action == "SEIZE_DOCUMENT"
    service.close()
