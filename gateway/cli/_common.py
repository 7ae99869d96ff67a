"""What every CLI command shares: the settings object, consoles, and error reporting."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import math
import sys
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from aiokafka.errors import KafkaError
from prometheus_client import CollectorRegistry, start_http_server
from rich.console import Console
from rich.markup import escape

from gateway.errors import ConfigError, FrontlineError, SetupError
from gateway.settings import Settings, load_settings

__all__ = [
    "FiniteFloat",
    "JsonOption",
    "MetricsPort",
    "PortNumber",
    "console",
    "emit_json",
    "err_console",
    "fail",
    "kafka_errors",
    "printable",
    "read_utf8",
    "run_async",
    "serve_metrics",
    "settings_of",
]


def _make_console(*, stderr: bool) -> Console:
    """A console that never cuts a cell when its output is piped (ids must survive ``| cat``)."""
    probe = Console(stderr=stderr)
    if probe.is_terminal:
        return probe
    return Console(stderr=stderr, width=100_000, soft_wrap=True)


console = _make_console(stderr=False)
err_console = _make_console(stderr=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

MetricsPort = Annotated[
    int | None,
    typer.Option(min=0, max=65535, help="Serve Prometheus metrics on this port (0 = any free)."),
]


def _finite(value: float | None) -> float | None:
    """Option callback: NaN and infinities pass typer's range checks, so refuse them here."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value!r} is not a finite number.")
    return value


def FiniteFloat(low: float | None, high: float | None, help_text: str) -> Any:  # noqa: N802  # why: reads like a type
    """A ``typer.Option`` for a float in ``[low, high]`` that refuses NaN and infinities."""
    return typer.Option(min=low, max=high, callback=_finite, help=help_text)


def PortNumber(help_text: str, *, allow_zero: bool = False) -> Any:  # noqa: N802  # why: reads like a type
    """A ``typer.Option`` for a TCP port: 1..65535 (0 too when ``allow_zero``: any free port)."""
    return typer.Option(min=0 if allow_zero else 1, max=65535, help=help_text)


P = ParamSpec("P")
T = TypeVar("T")


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the root callback built for this invocation."""
    obj = ctx.find_root().obj
    if isinstance(obj, Settings):
        return obj
    return load_settings()


def printable(text: str) -> str:
    """``text`` safe for any console: undecodable bytes (surrogates) as ``\\xNN`` escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def fail(error: FrontlineError, code: int = 2) -> typer.Exit:
    """Print an error with its fix and return the exit to raise."""
    err_console.print(f"[bold red]error:[/] {escape(printable(error.message))}")
    if error.hint:
        err_console.print(f"[yellow]fix:[/] {escape(printable(error.hint))}")
    return typer.Exit(code)


def read_utf8(path: Path | str, what: str = "file") -> str:
    """The text of ``path`` (``-`` = stdin) as strict UTF-8; a ``ConfigError`` otherwise."""
    name = printable(str(path))
    try:
        if str(path) == "-":
            name = "stdin"
            data = sys.stdin.buffer.read()
        else:
            data = Path(path).read_bytes()
    except OSError as error:
        raise ConfigError(
            f"cannot read {what} {name}: {error.strerror or error}",
            hint="Check the path and its permissions.",
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{what} {name} is not UTF-8: byte 0x{data[error.start]:02x} at offset {error.start}",
            hint="Save the file as UTF-8 (e.g. `iconv -f LATIN1 -t UTF-8`).",
        ) from None


def run_async(func: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    """Run an async command body on a fresh event loop."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        return asyncio.run(func(*args, **kwargs))

    return wrapper


def serve_metrics(registry: CollectorRegistry, port: int, settings: Settings) -> None:
    """Serve ``registry`` at ``/metrics`` on FRONTLINE_METRICS_HOST and say where.

    A port out of range, in use or not allowed is a ``SetupError`` naming the fix.
    """
    where = f"{settings.metrics_host}:{port}"
    if not 0 <= port <= 65535:
        raise SetupError(
            f"metrics port {port} is out of range", hint="Pick a port in 1..65535, or 0 for any."
        )
    try:
        server, _ = start_http_server(port, addr=settings.metrics_host, registry=registry)
    except OSError as error:
        raise SetupError(
            f"cannot serve metrics on {where}: {error.strerror or error}",
            hint="Pick a free port (`--metrics-port 0` takes any), or stop what holds it"
            f" (`ss -ltnp 'sport = :{port}'`); check FRONTLINE_METRICS_HOST.",
        ) from None
    console.print(f"metrics on http://127.0.0.1:{server.server_port}/metrics", highlight=False)


def emit_json(value: Any) -> None:
    """Print ``value`` as one JSON document on stdout (no rich markup, no wrapping)."""
    typer.echo(json.dumps(value, ensure_ascii=False, default=str, indent=2))


@contextlib.contextmanager
def kafka_errors(settings: Settings, doing: str) -> Iterator[None]:
    """Turn an unreachable or failing broker into a ``SetupError`` naming the fix."""
    try:
        yield
    except KafkaError as error:
        where = settings.bootstrap_servers or "the local broker"
        name, text = type(error).__name__, str(error)
        detail = text if text.startswith(name) else f"{name}: {text}"
        raise SetupError(
            f"cannot {doing} on {where}: {detail}",
            hint="Start one with `frontline broker up`, or fix FRONTLINE_BOOTSTRAP_SERVERS.",
        ) from None
