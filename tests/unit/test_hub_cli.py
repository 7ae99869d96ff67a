"""The hub, review and audit commands: options and clear errors, without a broker."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from gateway.cli import audit, hub, review

runner = CliRunner()


@pytest.fixture
def no_broker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An environment with no bootstrap servers and no local broker."""
    monkeypatch.delenv("FRONTLINE_BOOTSTRAP_SERVERS", raising=False)
    return {"FRONTLINE_DATA_DIR": str(tmp_path / "nothing-here")}


def test_hub_run_offers_metrics_port_and_mode() -> None:
    """`hub run --help` documents the metrics port and both delivery modes."""
    result = runner.invoke(hub.app, ["run", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--metrics-port" in result.output
    assert "exactly-once" in result.output
    assert "at-least-once" in result.output


def test_hub_run_rejects_unknown_mode() -> None:
    """An unknown --mode is a usage error, not a start."""
    result = runner.invoke(hub.app, ["run", "--mode", "twice"])
    assert result.exit_code == 2


def test_reject_requires_a_reason() -> None:
    """`review reject` without --reason refuses to run: a rejection is always justified."""
    result = runner.invoke(review.app, ["reject", "INTERPOL:1"])
    assert result.exit_code == 2
    assert "--reason" in result.output


@pytest.mark.parametrize(
    ("app", "args"),
    [
        (hub.app, ["run"]),
        (review.app, ["list"]),
        (review.app, ["approve", "INTERPOL:1"]),
        (audit.app, ["show", "INTERPOL:1"]),
    ],
)
def test_commands_without_broker_print_the_fix(
    app: typer.Typer, args: list[str], no_broker: dict[str, str]
) -> None:
    """Without a reachable broker each command exits 2 with the error and its fix, no traceback."""
    result = runner.invoke(app, args, env=no_broker)
    assert result.exit_code == 2, result.output
    assert "No Kafka broker" in result.output
    assert "fix:" in result.output
    assert "Traceback" not in result.output
