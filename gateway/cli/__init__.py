"""The ``frontline`` command: one entry point with a sub-command per component."""

from __future__ import annotations

from typing import Annotated

import typer

from gateway.cli import broker, topics
from gateway.cli._common import fail
from gateway.errors import FrontlineError
from gateway.logconfig import configure_logging
from gateway.settings import LogFormat, Settings

__all__ = ["app", "main"]

app = typer.Typer(
    name="frontline",
    help="Frontline: policing alerts from organizations to border posts, over Apache Kafka.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(broker.app, name="broker")
app.add_typer(topics.app, name="topics")


@app.callback()
def root(
    ctx: typer.Context,
    log_format: Annotated[
        LogFormat | None,
        typer.Option(help="Log rendering; default from FRONTLINE_LOG_FORMAT, else auto."),
    ] = None,
) -> None:
    """Build the settings once and configure logging for every sub-command."""
    overrides = {} if log_format is None else {"log_format": log_format}
    settings = Settings(**overrides)  # type: ignore[arg-type]  # env values fill the rest
    configure_logging(settings.log_format, settings.log_level)
    ctx.obj = settings


def main() -> None:
    """Console-script entry point: known errors print their fix instead of a traceback."""
    try:
        app()
    except FrontlineError as error:
        raise SystemExit(fail(error).exit_code) from None
