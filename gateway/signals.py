"""Running a service until SIGTERM or SIGINT asks it to stop: one helper for every command."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable

__all__ = ["run_until_signalled"]

_SIGNALS = (signal.SIGTERM, signal.SIGINT)


async def run_until_signalled(run: Awaitable[None], stop: Callable[[], None]) -> None:
    """Await ``run``; SIGTERM or SIGINT call ``stop`` (which makes ``run`` return cleanly)."""
    loop = asyncio.get_running_loop()
    for sig in _SIGNALS:
        loop.add_signal_handler(sig, stop)
    try:
        await run
    finally:
        for sig in _SIGNALS:
            loop.remove_signal_handler(sig)
