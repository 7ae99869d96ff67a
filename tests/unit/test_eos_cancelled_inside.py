"""A future the Kafka client cancels inside is a failed send, not the engine's own cancellation."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition

from gateway.kafka.eos.errors import unasked_cancel
from gateway.kafka.eos.worker import Worker


async def _await_and_classify(fut: asyncio.Future[None]) -> bool:
    try:
        await fut
    except asyncio.CancelledError as error:
        return unasked_cancel(error)
    return False


async def test_a_future_cancelled_by_someone_else_is_not_a_cancellation_of_the_waiter() -> None:
    """A task awaiting a future another party cancels sees a CancelledError it never asked for."""
    fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    waiter = asyncio.create_task(_await_and_classify(fut))
    await asyncio.sleep(0)
    fut.cancel()
    assert await waiter is True


async def test_a_cancelled_task_is_a_real_cancellation() -> None:
    """A task cancelled with Task.cancel() was asked to stop: its CancelledError propagates."""
    fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    seen: list[bool] = []

    async def waits() -> None:
        try:
            await fut
        except asyncio.CancelledError as error:
            seen.append(unasked_cancel(error))
            raise

    task = asyncio.create_task(waits())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == [False]


def test_only_a_cancelled_error_counts() -> None:
    """Other errors and plain results are never taken for a cancellation."""
    assert unasked_cancel(RuntimeError("x")) is False
    assert unasked_cancel(None) is False


class _Producer:
    """Only ``send_batch``, whose future the client cancels (its connection dropped)."""

    async def send_batch(self, builder: Any, topic: str, *, partition: int) -> asyncio.Future[Any]:
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        fut.cancel()
        await fut  # raises CancelledError in the sender, as a cancelled request would
        return fut


async def test_send_all_reports_a_batch_cancelled_inside_the_client_as_a_failure() -> None:
    """A batch whose send the client cancels makes send_all return a failure (the engine then
    aborts and re-reads), instead of raising CancelledError out of the engine's commit."""
    worker = Worker(
        tp=TopicPartition("in", 0),
        producer=cast(AIOKafkaProducer, _Producer()),
        transactional=True,
        open=True,
    )
    worker.builders[("out", 0)] = object()
    failure = await worker.send_all()
    assert failure is not None
    assert isinstance(failure[1], asyncio.CancelledError)
