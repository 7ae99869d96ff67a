"""Help and output that people and scripts can rely on: flags read as flags, brokers fail clean."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner

from gateway.cli import app


def _commands(
    command: typer.core.TyperGroup | typer.core.TyperCommand, path: list[str]
) -> Iterator[list[str]]:
    yield path
    if isinstance(command, typer.core.TyperGroup):
        for name, sub in command.commands.items():
            assert isinstance(sub, typer.core.TyperGroup | typer.core.TyperCommand)
            yield from _commands(sub, [*path, name])


def test_no_help_page_shows_a_flag_as_taking_a_value() -> None:
    """No `--help` page of any command shows a boolean flag as `<bool>` or `--x/--no-x`."""
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    pages = 0
    for path in _commands(root, []):
        result = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)
        assert result.exit_code == 0, (path, result.output)
        assert "<bool>" not in result.output, path
        assert "/--no-" not in result.output, path
        pages += 1
    assert pages > 20


def _closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    return port


@pytest.mark.parametrize(
    "args",
    [["hub", "run"], ["node", "run", "FRA"], ["topics", "apply"], ["topics", "list", "--json"]],
)
def test_commands_fail_clearly_when_the_broker_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """With nothing listening at FRONTLINE_BOOTSTRAP_SERVERS, each exits 2 with the fix."""
    monkeypatch.setenv("FRONTLINE_BOOTSTRAP_SERVERS", f"127.0.0.1:{_closed_port()}")
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == 2
    assert "frontline broker up" in result.output
