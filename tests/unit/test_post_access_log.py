"""The post's access log: one row per screening, append-only, kept across restarts (no broker)."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import TopicPartition
from typer.testing import CliRunner

from gateway.cli import post as post_cli
from gateway.cli.post_access import since_ms
from gateway.errors import ConfigError
from gateway.post import PostService
from gateway.post.api import create_app
from gateway.post.screening import PersonQuery
from gateway.settings import Settings
from tests.support.post import feed_record, service  # noqa: F401  # why: the shared fixture

PERSON_ID = "INTERPOL:2025-118422"


async def _screen_as_officer(svc: PostService) -> tuple[int, dict[str, Any]]:
    officer, token = svc.officers.add("Officer Dupont")
    transport = httpx.ASGITransport(app=create_app(svc))
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://p", headers=auth) as web:
        person = await web.post("/screen/person", json={"name": "Anna Eriksson", "limit": 5})
        assert person.status_code == 200
        goods = await web.post("/screen/object", json={"container": "MWCU6059784"})
        assert goods.status_code == 200
        return officer.id, {"person": person.json(), "object": goods.json()}


async def test_each_screening_is_logged_with_its_officer_answer_and_offsets(
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """Person and object screenings each leave a row: officer id, query, alerts, feed offsets."""
    officer_id, answers = await _screen_as_officer(service)
    person, goods = service.access.entries()
    assert (person.seq, person.officer, person.post, person.kind) == (
        1, str(officer_id), "FRA.CDG", "person"
    )  # fmt: skip
    assert person.query == {"name": "Anna Eriksson", "threshold": 0.8, "limit": 5}
    returned = [
        (a["alert_id"], a["version"]) for hit in answers["person"]["hits"] for a in hit["alerts"]
    ]
    assert person.alerts == returned == [(PERSON_ID, 1)]
    assert person.feed_topic == "fl.post.FRA.CDG"
    assert person.feed_offsets == {0: 2}  # the fixture's two records, at offsets 0 and 1
    assert (goods.kind, goods.query["container"], goods.officer) == (
        "object", "MWCU6059784", str(officer_id)
    )  # fmt: skip
    assert len(goods.alerts) == 1


async def test_offsets_follow_each_applied_batch(
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """A screening after a fetched batch names the offset that batch brought the watchlist to."""
    late = feed_record(7, "INTERPOL:LATE", b"\x00", "WANTED_PERSON")  # undecodable: offset counts
    service.feed.apply({TopicPartition(service.topic, 0): [late]})
    service.screen_person(PersonQuery(name="Anna Eriksson"))
    assert service.access.entries()[-1].feed_offsets == {0: 8}


def test_local_screenings_are_logged_as_the_local_user(
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """A screening without an officer (the offline CLI) is logged as ``local:<user>``."""
    service.screen_person(PersonQuery(name="Anna Eriksson"))
    assert service.access.entries()[0].officer.startswith("local:")


def test_the_log_is_append_only_and_survives_a_restart(
    service: PostService,  # noqa: F811  # why: the fixture above
    tmp_path: Path,
) -> None:
    """Rows cannot be changed or deleted in SQL, and a restarted post still has them all."""
    service.screen_person(PersonQuery(name="Anna Eriksson"))
    service.screen_person(PersonQuery(document_number="X1"))
    path = service.store.path
    service.close()
    db = sqlite3.connect(path)
    for sql in ("UPDATE access_log SET officer = 'x'", "DELETE FROM access_log"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(sql)
    db.close()
    again = PostService(Settings(data_dir=tmp_path), "FRA", "CDG")
    rows = again.access.entries()
    assert [r.seq for r in rows] == [1, 2]
    assert rows[1].query == {"document_number": "X1", "threshold": 0.8, "limit": 10}
    assert again.access.pending() == 2
    again.close()


def test_since_accepts_iso_times_and_durations() -> None:
    """--since takes ISO 8601 (UTC unless stated) and 30s/15m/2h/7d; anything else is refused."""
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert since_ms("2026-05-01", now=now) == int(
        datetime(2026, 5, 1, tzinfo=UTC).timestamp() * 1000
    )
    assert since_ms("2026-05-01T14:00+02:00", now=now) == int(now.timestamp() * 1000)
    assert since_ms("2h", now=now) == int(now.timestamp() * 1000) - 2 * 3600 * 1000
    with pytest.raises(ConfigError):
        since_ms("yesterday", now=now)


def test_access_log_export_with_since_and_json(
    service: PostService,  # noqa: F811  # why: the fixture above
    tmp_path: Path,
) -> None:
    """`post access-log --since T --json` exports the rows from T on, with query and alerts."""
    service.screen_person(PersonQuery(name="Early Traveller"))
    time.sleep(0.01)
    cut = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    service.screen_person(PersonQuery(name="Anna Eriksson"))
    service.close()
    env = {"FRONTLINE_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    result = runner.invoke(post_cli.app, ["access-log", "FRA.CDG", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert [r["seq"] for r in json.loads(result.stdout)] == [1, 2]
    later = runner.invoke(post_cli.app, ["access-log", "CDG", "--since", cut, "--json"], env=env)
    assert later.exit_code == 0, later.output
    (row,) = json.loads(later.stdout)
    assert row["query"]["name"] == "Anna Eriksson"
    assert row["alerts"] == [{"alert_id": PERSON_ID, "version": 1}]
    assert row["feed"] == {"topic": "fl.post.FRA.CDG", "offsets": {"0": 2}}
    table = runner.invoke(post_cli.app, ["access-log", "FRA.CDG"], env=env)
    assert "2 screenings at FRA.CDG; 2 not yet sent" in table.stdout


def test_offline_screen_with_a_token_is_logged_as_that_officer(
    service: PostService,  # noqa: F811  # why: the fixture above
    tmp_path: Path,
) -> None:
    """`post screen --token` on the store logs the token's officer; a wrong token is refused."""
    officer, token = service.officers.add("Officer Dupont")
    service.close()
    env = {"FRONTLINE_DATA_DIR": str(tmp_path), "FRONTLINE_OFFICER_TOKEN": token}
    runner = CliRunner()
    done = runner.invoke(post_cli.app, ["screen", "FRA.CDG", "--name", "Anna Eriksson"], env=env)
    assert done.exit_code == 0, done.output
    bad = runner.invoke(
        post_cli.app, ["screen", "FRA.CDG", "--name", "X", "--token", "1.nope"], env=env
    )
    assert bad.exit_code != 0
    again = PostService(Settings(data_dir=tmp_path), "FRA", "CDG")
    assert [r.officer for r in again.access.entries()] == [str(officer.id)]
    again.close()
