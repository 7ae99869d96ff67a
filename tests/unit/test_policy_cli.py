"""Tests of ``frontline policy``: check, members and explain, driven through typer's runner."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from gateway._resources import resource_path
from gateway.cli.policy import app

RUNNER = CliRunner()


def test_check_shipped_policy() -> None:
    """``policy check`` accepts the shipped file and names its version."""
    result = RUNNER.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output
    assert "2026.11.1" in result.output


def test_check_reports_file_and_line(tmp_path: Path) -> None:
    """``policy check`` on a broken file exits 2 and prints file:line of the problem."""
    text = resource_path("policy").read_text(encoding="utf-8")
    bad = tmp_path / "policy.toml"
    bad.write_text(text.replace('"BHR", "KWT", "OMN"', '"BHR", "QQQ", "OMN"'), encoding="utf-8")
    line = next(n for n, t in enumerate(bad.read_text().splitlines(), 1) if "QQQ" in t)
    result = RUNNER.invoke(app, ["check", "--policy", str(bad)])
    assert result.exit_code == 2
    assert f"policy.toml:{line}:" in result.output.replace("\n", "")


def test_members_of_one_org() -> None:
    """``policy members gccpol`` lists the six GCC states."""
    result = RUNNER.invoke(app, ["members", "gccpol"])
    assert result.exit_code == 0, result.output
    assert "ARE BHR KWT OMN QAT SAU" in result.output


def test_members_unknown_org() -> None:
    """An unknown organization code is an error that lists the valid codes."""
    result = RUNNER.invoke(app, ["members", "NATO"])
    assert result.exit_code == 2
    assert "ASEANAPOL" in result.output


def test_explain_red_names_only() -> None:
    """``policy explain`` of a RED alert lists only the named countries as recipients."""
    result = RUNNER.invoke(
        app,
        ["explain", "--org", "INTERPOL", "--tlp", "red", "--release-country", "DEU",
         "--release-country", "ita"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "recipients (2): DEU ITA" in result.output
    assert "TLP_RED_NOT_NAMED" in result.output


def test_explain_shows_review_hold_and_deny() -> None:
    """``policy explain`` shows the deny-list reason and the review rule that holds the alert."""
    result = RUNNER.invoke(
        app,
        ["explain", "--org", "GCCPOL", "--country", "SAU", "--deny-country", "QAT",
         "--offence", "Apostasy"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "recipients (5): ARE BHR KWT OMN SAU" in result.output
    assert "DENY_LIST_COUNTRY (1): QAT" in result.output
    assert "held for review: offence:apostasy" in result.output
