"""What every CLI command shares: the settings object, consoles, and error reporting."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from prometheus_client import CollectorRegistry, start_http_server
from rich.console import Console

from gateway.errors import FrontlineError
from gateway.settings import Settings

__all__ = [
    "MetricsPort",
    "console",
    "err_console",
    "fail",
    "run_async",
    "serve_metrics",
    "settings_of",
]

console = Console()
err_console = Console(stderr=True)

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
