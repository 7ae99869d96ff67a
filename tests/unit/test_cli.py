"""The ``frontline`` command tree: every component's sub-command is there, and errors help."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from gateway.cli import SUBCOMMANDS, app
from gateway.cli.simulate import parse_duration
from gateway.errors import ConfigError


def test_every_component_has_its_sub_command() -> None:
    """Each planned sub-command module loads and is registered under its name."""
    command = typer.main.get_command(app)
    assert isinstance(command, typer.core.TyperGroup)
    assert set(SUBCOMMANDS) <= set(command.commands)


def test_help_lists_the_main_job() -> None:
    """`frontline --help` shows the simulate command a newcomer runs first."""
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "simulate" in result.output


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90.0), ("60s", 60.0), ("2m", 120.0), ("500ms", 0.5)]
)
def test_durations(text: str, seconds: float) -> None:
    """Durations read as seconds, minutes, hours or milliseconds."""
    assert parse_duration(text) == seconds


def test_bad_duration_names_the_format() -> None:
    """An unreadable duration is a ConfigError that shows how to write one."""
    with pytest.raises(ConfigError) as caught:
        parse_duration("soon")
    assert caught.value.hint is not None
    assert "60s" in caught.value.hint
