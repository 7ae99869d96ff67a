"""`frontline node hits|flag` refuse what the bureau must not send, before any broker call."""

from __future__ import annotations

from typer.testing import CliRunner

from gateway.cli import app

# An address nothing listens on: a command that reached the broker would fail differently.
ENV = {"FRONTLINE_BOOTSTRAP_SERVERS": "127.0.0.1:9", "COLUMNS": "200"}


def test_dismiss_without_a_reason_is_refused() -> None:
    """`node hits FRA dismiss H-1` without --reason (or a blank one) exits 2 naming the fix."""
    for extra in ([], ["--reason", "   "]):
        result = CliRunner().invoke(app, ["node", "hits", "FRA", "dismiss", "H-1", *extra], env=ENV)
        assert result.exit_code == 2, result.output
        assert "needs a reason" in result.output


def test_flag_without_a_reason_and_unknown_country_are_refused() -> None:
    """`node flag` needs a reason; a country outside the topology is named with the fix."""
    result = CliRunner().invoke(app, ["node", "flag", "FRA", "INTERPOL:R-1"], env=ENV)
    assert result.exit_code == 2, result.output
    assert "needs a reason" in result.output
    result = CliRunner().invoke(app, ["node", "hits", "XXX", "list"], env=ENV)
    assert result.exit_code == 2, result.output
    assert "not in the topology" in result.output
