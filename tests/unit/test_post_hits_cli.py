"""`frontline post report-hit` and `post hits` on a local store, without a broker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli import post as post_cli
from gateway.logconfig import configure_logging
from gateway.post import PostService
from gateway.settings import LogFormat
from tests.support.post import service  # noqa: F401  # why: the shared fixture

runner = CliRunner()
ALERT = "INTERPOL:2025-118422"


@pytest.fixture(autouse=True)
def _logs_to_stderr() -> None:
    """Log lines go to stderr as under the root command, leaving stdout to the answer."""
    configure_logging(LogFormat.JSON, "WARNING")


def test_report_hit_then_list_it(tmp_path: Path, service: PostService) -> None:  # noqa: F811  # why: the fixture above
    """`report-hit` stores a hit on the held version; `hits` lists it as stored, no broker."""
    env = {"FRONTLINE_DATA_DIR": str(tmp_path)}
    args = ["report-hit", "FRA.CDG", "--alert", ALERT, "--outcome", "arrested"]
    result = runner.invoke(post_cli.app, [*args, "--note", "at gate B12", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["outcome"], report["alert_version"], report["note"]) == (
        "ARRESTED", 1, "at gate B12",
    )  # fmt: skip
    assert report["officer_id"].startswith("local:")
    listed = runner.invoke(post_cli.app, ["hits", "FRA.CDG", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [(r["hit_id"], r["status"]) for r in rows] == [(report["hit_id"], "stored")]
    assert service.outbox.pending("hit") == 1  # the running post's publisher would send it
    table = runner.invoke(post_cli.app, ["hits", "FRA.CDG"], env=env)
    assert "1 hits" in table.stdout


def test_report_hit_refuses_unknown_alert_and_outcome(
    tmp_path: Path,
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """An alert the post does not hold, or an unknown outcome, is a clear error, nothing stored."""
    env = {"FRONTLINE_DATA_DIR": str(tmp_path)}
    unknown = runner.invoke(
        post_cli.app, ["report-hit", "FRA.CDG", "--alert", "NOPE:1", "--outcome", "ARRESTED"],
        env=env,
    )  # fmt: skip
    assert unknown.exit_code != 0
    assert "not on the watchlist" in unknown.output
    bad = runner.invoke(
        post_cli.app, ["report-hit", "FRA.CDG", "--alert", ALERT, "--outcome", "SHOT"], env=env
    )
    assert bad.exit_code != 0
    assert "FALSE_MATCH" in bad.output  # the hint lists the outcomes
    assert service.book.hits() == []
