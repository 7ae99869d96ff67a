"""The post's watchlist gate: screenings on threads, the feed writer on the event loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from gateway.post.gate import WatchlistGate

pytestmark = pytest.mark.timeout(20)  # a deadlocked loop fails here, not at the suite's limit


async def test_a_read_on_the_event_loop_thread_does_not_wait_for_a_writer_of_that_loop() -> None:
    """While a screening thread holds the gate and the feed's writer waits for it, a read on
    the loop's own thread (``POST /hits``) goes through at once instead of blocking the loop
    for good; the writer then writes once the screening ends."""
    gate = WatchlistGate()
    holding, release = threading.Event(), threading.Event()

    def screening() -> None:
        with gate.read():
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=screening)
    thread.start()
    assert await asyncio.to_thread(holding.wait, 5)
    wrote = asyncio.Event()

    async def feed() -> None:
        async with gate.write():
            wrote.set()

    writer = asyncio.create_task(feed())
    await asyncio.sleep(0.05)  # the writer is waiting for the screening
    assert not wrote.is_set()
    timer = threading.Timer(3.0, release.set)  # would free a deadlocked loop, too late
    timer.start()
    started = asyncio.get_running_loop().time()
    with gate.read():
        took = asyncio.get_running_loop().time() - started
    assert took < 1.0
    release.set()
    timer.cancel()
    await asyncio.wait_for(writer, 5)
    assert wrote.is_set()
    thread.join(5)


async def test_a_read_on_a_worker_thread_lets_a_waiting_writer_go_first() -> None:
    """A screening that starts on a worker thread while the feed's writer waits waits for the
    write (writers go first, so a stream of screenings cannot hold the feed back)."""
    gate = WatchlistGate()
    order: list[str] = []
    holding, release = threading.Event(), threading.Event()

    def first() -> None:
        with gate.read():
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=first)
    thread.start()
    assert await asyncio.to_thread(holding.wait, 5)

    async def feed() -> None:
        async with gate.write():
            order.append("write")

    writer = asyncio.create_task(feed())
    await asyncio.sleep(0.05)

    def second() -> None:
        with gate.read():
            order.append("read")

    later = asyncio.create_task(asyncio.to_thread(second))
    await asyncio.sleep(0.05)
    release.set()
    await asyncio.wait_for(asyncio.gather(writer, later), 5)
    thread.join(5)
    assert order == ["write", "read"]
