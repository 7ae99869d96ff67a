"""What every CLI command shares: the settings object, consoles, and error reporting."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import Callable, Coroutine, Iterator
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from aiokafka.errors import KafkaError
from prometheus_client import CollectorRegistry, start_http_server
from rich.console import Console

from gateway.errors import FrontlineError, SetupError
from gateway.settings import Settings

__all__ = [
    "JsonOption",
    "MetricsPort",
    "console",
    "emit_json",
    "err_console",
    "fail",
    "kafka_errors",
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
    int | None, typer.Option(help="Serve Prometheus metrics on this port (0 = any free).")
]

P = ParamSpec("P")
T = TypeVar("T")


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the root callback built for this invocation."""
    obj = ctx.find_root().obj
    if isinstance(obj, Settings):
        return obj
    return Settings()


def fail(error: FrontlineError, code: int = 2) -> typer.Exit:
    """Print an error with its fix and return the exit to raise."""
    err_console.print(f"[bold red]error:[/] {error.message}")
    if error.hint:
        err_console.print(f"[yellow]fix:[/] {error.hint}")
    return typer.Exit(code)


def run_async(func: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    """Run an async command body on a fresh event loop."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        return asyncio.run(func(*args, **kwargs))

    return wrapper


def serve_metrics(registry: CollectorRegistry, port: int, settings: Settings) -> None:
    """Serve ``registry`` at ``/metrics`` on FRONTLINE_METRICS_HOST and say where."""
    server, _ = start_http_server(port, addr=settings.metrics_host, registry=registry)
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
        raise SetupError(
            f"cannot {doing} on {where}: {type(error).__name__} {error}",
            hint="Start one with `frontline broker up`, or fix FRONTLINE_BOOTSTRAP_SERVERS.",
        ) from None
