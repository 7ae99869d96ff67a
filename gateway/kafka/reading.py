"""Reading a topic from its start to its current end, as state restore, review and audit do."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiokafka import TopicPartition

from gateway.errors import SetupError
from gateway.kafka.clients import make_consumer
from gateway.kafka.internals import cluster_metadata
from gateway.settings import Settings

__all__ = ["assign_from_start", "partitions_of", "read_to_end", "read_topic"]


async def partitions_of(consumer: Any, topic: str) -> list[TopicPartition]:
    """The topic's partitions, asked from the broker; SetupError naming the fix if it is missing."""
    # aiokafka has no public per-topic metadata call for a consumer that has not subscribed.
    cluster = await cluster_metadata(consumer)
    parts = cluster.partitions_for_topic(topic)
    if not parts:
        raise SetupError(
            f"topic {topic} does not exist",
            hint="Run `frontline topics apply` (same FRONTLINE_TOPIC_PREFIX).",
        )
    return [TopicPartition(topic, p) for p in sorted(parts)]


async def assign_from_start(consumer: Any, topic: str) -> list[TopicPartition]:
    """Assign every partition of ``topic`` to a group-less consumer, from the beginning."""
    tps = await partitions_of(consumer, topic)
    consumer.assign(tps)
    await consumer.seek_to_beginning(*tps)
    return tps


async def read_to_end(
    consumer: Any,
    tps: list[TopicPartition],
    on_record: Callable[[Any], None],
    *,
    target: dict[TopicPartition, int] | None = None,
    timeout_s: float = 30.0,
) -> None:
    """Feed every record up to ``target`` (default: the end offsets now) to ``on_record``.

    ``timeout_s`` bounds a stall, not the read: SetupError when no partition still behind its
    target has moved for that long (a transaction stuck open), however long a large state
    that keeps moving takes to read back.
    """
    end = target if target is not None else await consumer.end_offsets(tps)
    loop = asyncio.get_running_loop()
    last: dict[TopicPartition, int] = {}
    moved_at = loop.time()
    while True:
        positions = {tp: await consumer.position(tp) for tp in tps}
        behind = [tp for tp in tps if positions[tp] < end[tp]]
        if not behind:
            return
        if positions != last:
            last, moved_at = positions, loop.time()
        elif loop.time() - moved_at > timeout_s:
            raise SetupError(
                f"could not read {behind[0].topic} to its end: no progress for {timeout_s:.0f}s",
                hint="A transaction may be stuck open; check the broker and other hub instances.",
            )
        for records in (await consumer.getmany(*behind, timeout_ms=200)).values():
            for record in records:
                on_record(record)


async def read_topic(
    settings: Settings, topic: str, on_record: Callable[[Any], None], *, timeout_s: float = 30.0
) -> None:
    """Feed every record of ``topic``, from its start to its end now, to ``on_record``.

    A group-less consumer of its own, closed on the way out whatever happens.
    """
    consumer = make_consumer(settings, group_id=None)
    try:
        await consumer.start()  # inside: stop() also closes a consumer that failed to start
        tps = await assign_from_start(consumer, topic)
        await read_to_end(consumer, tps, on_record, timeout_s=timeout_s)
    finally:
        await consumer.stop()
