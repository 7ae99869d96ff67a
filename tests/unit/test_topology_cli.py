"""The ``frontline topology`` commands: check and show."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gateway.cli.topology import app
from gateway.settings import Settings


def test_check_reports_counts_of_the_default() -> None:
    """``topology check`` on the shipped file says ok with its counts and exits 0."""
    result = CliRunner().invoke(app, ["check"], obj=Settings())
    assert result.exit_code == 0, result.output
    assert "ok: 11 organizations" in result.output


def test_check_prints_file_and_line_of_each_problem(tmp_path: Path) -> None:
    """``topology check`` on a bad file exits 2 and prints file:line of the problem."""
    path = tmp_path / "bad.toml"
    path.write_text("version = 1\norganizations = []\ncountries = []\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", "--topology", str(path)], obj=Settings())
    assert result.exit_code == 2
    assert "bad.toml:2:organizations:" in "".join(result.output.split())  # rich wraps lines


def test_show_json_is_the_validated_model() -> None:
    """``topology show --json`` prints JSON that lists every country of the default."""
    result = CliRunner().invoke(app, ["show", "--json"], obj=Settings())
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data["countries"]) == 39
    assert data["countries"][0]["posts"][0]["id"] == "CDG"
