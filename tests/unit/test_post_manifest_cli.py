"""`frontline post screen-manifest` on a local store holding a planted wanted person."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import TopicPartition
from typer.testing import CliRunner

from gateway.cli import post as post_cli
from gateway.contract import WantedPersonAlert
from gateway.contract.codec import encode
from gateway.logconfig import configure_logging
from gateway.post import PostService
from gateway.post.api import create_app
from gateway.settings import LogFormat, Settings
from tests.support.paths import EXAMPLES, ROOT
from tests.support.post import feed_record

SAMPLES = ROOT / "docs" / "samples"
PLANTED = "INTERPOL:2025-118422"  # ERIKSSON ANNA MARIA, 1974-08-12, SWE passport L898902C3
runner = CliRunner()


@pytest.fixture(autouse=True)
def _logs_to_stderr() -> None:
    """Log lines go to stderr as under the root command, leaving stdout to the answer."""
    configure_logging(LogFormat.JSON, "WARNING")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data folder whose FRA.CDG store holds the wanted-person example."""
    service = PostService(Settings(data_dir=tmp_path), "FRA", "CDG")
    alert = WantedPersonAlert.model_validate(
        json.loads((EXAMPLES / "wanted_person.json").read_text())
    )
    record = feed_record(0, alert.envelope.alert_id, encode(alert), "WANTED_PERSON")
    service.feed.apply({TopicPartition(service.topic, 0): [record]})
    service.close()
    return tmp_path


def _run(data_dir: Path, *args: str) -> Any:
    return runner.invoke(
        post_cli.app,
        ["screen-manifest", "FRA.CDG", *args],
        env={"FRONTLINE_DATA_DIR": str(data_dir)},
    )


@pytest.mark.parametrize("sample", ["paxlst_d05b.edi", "paxlst_d02b.edi"])
def test_planted_traveller_is_the_first_line(data_dir: Path, sample: str) -> None:
    """The planted wanted traveller is printed first, as a hit with score, action and alert."""
    result = _run(data_dir, "--paxlst", str(SAMPLES / sample))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("PAXLST D:")
    first = lines[1]
    assert first.startswith("HIT")
    assert "DETAIN_AND_CONTACT_NODE" in first
    assert PLANTED in first
    assert "ERIKS" in first
    assert sum(line.startswith("HIT") for line in lines) == 1


def test_incomplete_records_are_screened_and_flagged(data_dir: Path) -> None:
    """A traveller without a document or birth date is screened on the rest and flagged."""
    result = _run(data_dir, "--paxlst", str(SAMPLES / "paxlst_d02b.edi"))
    flagged = [line for line in result.stdout.splitlines() if "[incomplete:" in line]
    assert len(flagged) == 2
    assert any("HOLM" in line and "document" in line for line in flagged)
    assert all(line.startswith("clear") for line in flagged)


def test_json_emits_every_passenger_and_logs_every_query(data_dir: Path) -> None:
    """--json gives all five travellers with their answers; each query is one access-log row."""
    result = _run(data_dir, "--paxlst", str(SAMPLES / "paxlst_d05b.edi"), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    passengers = document["passengers"]
    assert len(passengers) == 5
    assert passengers[0]["alerts"] == [PLANTED]
    assert passengers[0]["screened"] is True
    # ERIKSSON's identity card is screened as its own query.
    assert set(passengers[0]["answers"]) == {"p0002", "p0002.d2"}
    service = PostService(Settings(data_dir=data_dir), "FRA", "CDG")
    try:
        rows = service.access.entries()
    finally:
        service.close()
    assert len(rows) == 6  # five travellers and one further document
    assert all(row.officer.startswith("local:") for row in rows)


def test_malformed_manifest_is_a_clear_error(data_dir: Path, tmp_path: Path) -> None:
    """A manifest whose UNT count is wrong exits 2 naming the segment and its position."""
    text = (SAMPLES / "paxlst_d05b.edi").read_text().replace("UNT+68+", "UNT+60+")
    path = tmp_path / "cut.edi"
    path.write_text(text)
    result = _run(data_dir, "--paxlst", str(path))
    assert result.exit_code == 2
    assert "segment 71 (UNT)" in result.output


def test_missing_file_is_a_clear_error(data_dir: Path, tmp_path: Path) -> None:
    """A manifest path that does not exist exits 2 with a hint, not a traceback."""
    result = _run(data_dir, "--paxlst", str(tmp_path / "nope.edi"))
    assert result.exit_code == 2
    assert "cannot read the manifest" in result.output


def test_api_mode_uses_the_batch_endpoint(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With --api the queries go to /screen/batch with the token and the same lines come out."""
    service = PostService(Settings(data_dir=data_dir), "FRA", "CDG")
    _, token = service.officers.add("Officer Manifest")
    app = create_app(service)
    paths: list[str] = []

    async def call(method: str, path: str, tok: str | None, body: Any) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        auth = {"Authorization": f"Bearer {tok}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://post") as http:
            return await http.request(method, path, json=body, headers=auth)

    def ask(
        api: str, method: str, path: str, tok: str | None, body: dict[str, Any] | None = None
    ) -> Any:
        paths.append(path)
        response = asyncio.run(call(method, path, tok, body))
        assert response.status_code == 200, response.text
        return response.json()

    monkeypatch.setattr(post_cli, "_ask", ask)
    try:
        result = _run(
            data_dir, "--paxlst", str(SAMPLES / "paxlst_d05b.edi"), "--api", "http://post",
            "--token", token,
        )  # fmt: skip
    finally:
        service.close()
    assert result.exit_code == 0, result.output
    assert paths == ["/screen/batch"]
    assert result.stdout.splitlines()[1].startswith("HIT")
