"""``policy explain`` refuses labels and numbers it cannot mean; ``policy members --json``."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from gateway.cli.policy import app

RUNNER = CliRunner()


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--tlp", "PURPLE"], "--tlp"),
        (["--kind", "PERSON"], "--kind"),
        (["--status", "REAL"], "--status"),
        (["--msg-type", "NOTICE"], "--msg-type"),
        (["--org", "NOWHERE"], "--org"),
        (["--country", "F1"], "--country"),
        (["--deny-country", "FRANCE"], "--deny-country"),
        (["--release-org", "NATO"], "--release-org"),
        (["--expires-in-days", "nan"], "--expires-in-days"),
        (["--expires-in-days", "inf"], "--expires-in-days"),
        (["--expires-in-days", "-inf"], "--expires-in-days"),
        (["--expires-in-days", "1e9"], "--expires-in-days"),
    ],
)
def test_explain_refuses_unknown_labels_and_unusable_numbers(args: list[str], named: str) -> None:
    """An unknown label or a NaN, infinite or huge expiry is a clean error naming the option."""
    result = RUNNER.invoke(app, ["explain", "--org", "INTERPOL", *args])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert named in result.output
    assert "fix:" in result.output
    assert "INVALID_FACTS" not in result.output


def test_explain_accepts_lower_case_labels() -> None:
    """Known labels in any case still explain a decision."""
    result = RUNNER.invoke(
        app, ["explain", "--org", "europol", "--tlp", "amber", "--expires-in-days", "-1"]
    )
    assert result.exit_code == 0, result.output
    assert "EXPIRED" in result.output


def test_members_json_lists_every_organization() -> None:
    """``policy members --json`` prints the policy version and each organization's members."""
    result = RUNNER.invoke(app, ["members", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["policy_version"] == "2026.11.1"
    gcc = next(o for o in data["organizations"] if o["org"] == "GCCPOL")
    assert gcc["members"] == ["ARE", "BHR", "KWT", "OMN", "QAT", "SAU"]
    assert gcc["observer"] is False
