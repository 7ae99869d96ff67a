"""The ``frontline`` command: one entry point with a sub-command per component."""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import typer

from gateway.cli._common import fail
from gateway.errors import FrontlineError
from gateway.logconfig import configure_logging
from gateway.settings import LogFormat, load_settings

__all__ = ["app", "main"]

app = typer.Typer(
    name="frontline",
    help="Frontline: policing alerts from organizations to border posts, over Apache Kafka.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _flags_as_flags() -> None:
    """Show boolean flags as flags in ``--help`` (typer 0.2x prints ``--json <bool>``,
    which reads as if the flag took a value)."""
    option = typer.core.TyperOption
    shown = option.display_type_rich

    def display_type_rich(self: typer.core.TyperOption, ctx: Any) -> str | None:
        if self.is_flag and not self.count:
            return None
        return shown(self, ctx)

    option.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_as_flags()

# Sub-command name -> module under gateway.cli, in the order `--help` lists them.
SUBCOMMANDS = {
    "broker": "broker",
    "topics": "topics",
    "access": "access",
    "topology": "topology",
    "policy": "policy",
    "schemas": "schemas",
    "alert": "alert",
    "connector": "connector",
    "hub": "hub",
    "review": "review",
    "hits": "hits",
    "audit": "audit",
    "quarantine": "quarantine",
    "node": "node",
    "post": "post",
    "keys": "keys",
    "simulate": "simulate",
}


def _register() -> None:
    for name, module_name in SUBCOMMANDS.items():
        qualified = f"gateway.cli.{module_name}"
        try:
            module = importlib.import_module(qualified)
        except ModuleNotFoundError as exc:
            if exc.name != qualified:  # a real missing dependency: fail loudly
                raise
            continue  # a component not built yet; tests/unit/test_cli.py lists the expected ones
        sub = module.app
        if isinstance(sub, typer.Typer):
            app.add_typer(sub, name=name)
        else:  # a single command module exposes a function
            app.command(name=name)(sub)


_register()


def _print_version(value: bool) -> None:
    """``--version``: the installed package's version, then exit."""
    if value:
        from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415  # why: only for --version

        try:
            number = version("frontline-gateway")
        except PackageNotFoundError:
            number = "unknown (not installed)"
        typer.echo(f"frontline {number}")
        raise typer.Exit


@app.callback()
def root(
    ctx: typer.Context,
    log_format: Annotated[
        LogFormat | None,
        typer.Option(help="Log rendering; default from FRONTLINE_LOG_FORMAT, else auto."),
    ] = None,
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Build the settings once and configure logging for every sub-command."""
    overrides = {} if log_format is None else {"log_format": log_format}
    try:
        settings = load_settings(**overrides)
    except FrontlineError as error:
        raise fail(error) from None
    configure_logging(settings.log_format, settings.log_level)
    ctx.obj = settings


def main() -> None:
    """Console-script entry point: known errors print their fix instead of a traceback."""
    try:
        app()
    except FrontlineError as error:
        raise SystemExit(fail(error).exit_code) from None
