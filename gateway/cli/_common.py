"""What every CLI command shares: the settings object, consoles, and error reporting."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from gateway.errors import FrontlineError
from gateway.settings import Settings

__all__ = ["console", "err_console", "fail", "run_async", "settings_of"]

console = Console()
err_console = Console(stderr=True)

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
