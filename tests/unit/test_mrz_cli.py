"""``frontline post screen-mrz`` on a local store and through a post's API (no broker)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from gateway.cli import post as post_cli
from gateway.logconfig import configure_logging
from gateway.post import PostService
from gateway.post.api import create_app
from gateway.settings import LogFormat
from tests.support.post import service  # noqa: F401  # why: the shared fixture

runner = CliRunner()
LINE1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
LINE2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
FORGED2 = LINE2[:19] + "3" + LINE2[20:]  # the birth date's check digit altered


@pytest.fixture(autouse=True)
def _logs_to_stderr() -> None:
    """Log lines go to stderr as under the root command, leaving stdout to the answer."""
    configure_logging(LogFormat.JSON, "WARNING")


@pytest.fixture
def env(service: PostService) -> dict[str, str]:  # noqa: F811  # why: the fixture above
    """The environment of a CLI reading the FRA.CDG store that holds the shipped examples."""
    data_dir = service.settings.data_dir
    service.store.close()
    return {"FRONTLINE_DATA_DIR": str(data_dir)}


def test_zone_with_bars_screens_from_the_local_store(env: dict[str, str]) -> None:
    """One --mrz with '|' between the lines reads the passport and hits the example alert."""
    result = runner.invoke(
        post_cli.app, ["screen-mrz", "FRA.CDG", "--mrz", f"{LINE1}|{LINE2}", "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["mrz"]["format"] == "TD3"
    assert answer["mrz"]["valid"] is True
    assert answer["screening"]["hits"][0]["subject_id"] == "INTERPOL:2025-118422"


def test_repeated_options_print_checks_warnings_and_hits(env: dict[str, str]) -> None:
    """One --mrz per line: the reading, each check digit, the warnings, then the hits."""
    result = runner.invoke(
        post_cli.app, ["screen-mrz", "FRA.CDG", "--mrz", LINE1, "--mrz", FORGED2], env=env
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "ERIKSSON" in out
    assert "L898902C3" in out
    assert out.count("INVALID") == 2  # birth date and composite
    assert out.count("valid") == 3  # the other three
    assert "check digit of the birth date fails" in out
    assert "the document expired on 2012-04-15" in out
    assert "INTERPOL:2025-118422" in out


def test_zone_from_stdin(env: dict[str, str]) -> None:
    """--mrz - reads the zone from standard input, CR/LF and lower case included."""
    result = runner.invoke(
        post_cli.app,
        ["screen-mrz", "FRA.CDG", "--mrz", "-", "--json"],
        input=f"{LINE1.lower()}\r\n{LINE2}\r\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["mrz"]["document_number"] == "L898902C3"


def test_unreadable_zone_is_a_clear_error(env: dict[str, str]) -> None:
    """A short line exits 2 naming line, column and format, with the fix."""
    result = runner.invoke(
        post_cli.app, ["screen-mrz", "FRA.CDG", "--mrz", f"{LINE1}|{LINE2[:-1]}"], env=env
    )
    assert result.exit_code == 2
    assert "MRZ line 2, column 44: 43 characters" in result.output
    assert "TD3: 2 lines of 44" in result.output
    assert "fix:" in result.output


def test_through_the_api(service: PostService, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811  # why: the fixture
    """With --api and an officer's token the post's /screen/mrz answers, logged as that officer."""
    officer, token = service.officers.add("Officer Test")
    transport = httpx.ASGITransport(app=create_app(service))
    asked: list[dict[str, Any]] = []

    async def ask(method: str, url: str, **kw: Any) -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://post") as http:
            return await http.request(method, url.removeprefix("http://post"), **kw)

    def request(method: str, url: str, **kw: Any) -> httpx.Response:
        """httpx.request, answered by the post's app in process."""
        asked.append(kw["json"])
        return asyncio.run(ask(method, url, **kw))

    monkeypatch.setattr(httpx, "request", request)
    result = runner.invoke(
        post_cli.app,
        ["screen-mrz", "FRA.CDG", "--mrz", f"{LINE1}\n{LINE2}", "--limit", "3", "--json",
         "--api", "http://post", "--token", token],
        env={"FRONTLINE_DATA_DIR": str(service.settings.data_dir)},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert asked == [{"mrz": f"{LINE1}\n{LINE2}", "threshold": 0.8, "limit": 3}]
    answer = json.loads(result.stdout)
    assert answer["screening"]["hits"][0]["subject_id"] == "INTERPOL:2025-118422"
    (row,) = service.access.entries()
    assert row.officer == str(officer.id)
