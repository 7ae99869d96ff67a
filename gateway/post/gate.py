"""Screenings read the watchlist from worker threads while the feed writes it on the event loop.

``WatchlistGate`` lets any number of screenings read at once and one writer (a feed batch,
a chunk of the store being loaded) change the watchlist alone. A waiting writer goes
first: new screenings wait for it, so a stream of requests cannot hold the feed back. The
writer waits without blocking the event loop (``write``), or, where no loop runs (tests,
the offline CLI), blocking (``write_blocking``). Every screening is bounded (the API bounds
its input), so a writer waits at most one screening.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Iterator

__all__ = ["WatchlistGate"]

_POLL_S = 0.001


class WatchlistGate:
    """A writer-preferring readers-writer lock; readers are threads, the writer an asyncio task."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        """Hold the watchlist still while screening (blocks the calling thread).

        On the event loop's own thread (``POST /hits`` storing a hit) a waiting writer is not
        waited for: it is a task of this very loop, which cannot run until this read ends, so
        waiting would stop the post for good; it cannot be inside its (synchronous) write
        either. Only a writer of another thread, already writing, is waited for.
        """
        on_loop = _loop_thread()
        with self._cond:
            if on_loop:
                self._cond.wait_for(lambda: not self._writing)
            else:
                self._cond.wait_for(lambda: not self._writing and not self._writers_waiting)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    def _try_write(self) -> bool:
        with self._cond:
            if self._readers or self._writing:
                return False
            self._writing = True
            self._writers_waiting -= 1
            return True

    def _done_writing(self) -> None:
        with self._cond:
            self._writing = False
            self._cond.notify_all()

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[None]:
        """Change the watchlist alone; waits for running screenings without blocking the loop."""
        with self._cond:
            self._writers_waiting += 1
        try:
            while not self._try_write():  # noqa: ASYNC110  # why: readers are threads, not tasks
                await asyncio.sleep(_POLL_S)
        except BaseException:
            with self._cond:
                self._writers_waiting -= 1
                self._cond.notify_all()
            raise
        try:
            yield
        finally:
            self._done_writing()

    @contextlib.contextmanager
    def write_blocking(self) -> Iterator[None]:
        """``write`` for callers outside the event loop."""
        with self._cond:
            self._writers_waiting += 1
            self._cond.wait_for(lambda: not self._readers and not self._writing)
            self._writing = True
            self._writers_waiting -= 1
        try:
            yield
        finally:
            self._done_writing()


def _loop_thread() -> bool:
    """Whether an asyncio event loop runs in the calling thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
