"""A post's catch-up with its feed through librdkafka: large fetches, records built in C.

A post far behind its feed (a first start reads millions of travel documents) reads up to
the last stable offsets it saw at start with a confluent-kafka consumer (read_committed,
the same connection settings as every client, ``librdkafka_config``), handing the records
to the feed's usual ``apply`` batch by batch; the aiokafka consumer then continues from the
positions reached. Assigned partitions only, no consumer group, nothing committed: the
store's offsets stay the only positions. A failure (the broker away, a refused login) ends
the catch-up early: the aiokafka consumer reads the rest, as it always did.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NamedTuple

import structlog
from aiokafka import TopicPartition
from confluent_kafka import Consumer, KafkaError, KafkaException
from confluent_kafka import TopicPartition as RdTopicPartition

from gateway.kafka.clients import librdkafka_config
from gateway.settings import Settings

__all__ = ["CATCH_UP_MIN", "FeedRecord", "catch_up"]

log = structlog.get_logger(__name__)

CATCH_UP_MIN = 50_000
"""Records behind the feed's end from which a start catches up through librdkafka."""
_BATCH = 10_000
_IDLE_S = 30.0  # no record nor end of partition for this long: let aiokafka go on


class FeedRecord(NamedTuple):
    """A fetched record as the feed reads one (aiokafka's ConsumerRecord's fields)."""

    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


Apply = Callable[[dict[TopicPartition, Sequence[Any]]], Awaitable[None]]


def _consumer(settings: Settings) -> Any:
    config: dict[str, Any] = librdkafka_config(settings) | {
        "group.id": "frontline-post-catch-up",  # required by the client; never joined
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "isolation.level": "read_committed",
        "enable.partition.eof": True,
        "fetch.max.bytes": 64 * 1024 * 1024,
        "max.partition.fetch.bytes": 16 * 1024 * 1024,
        "queued.max.messages.kbytes": 128 * 1024,
    }
    if settings.client_rack:
        config["client.rack"] = settings.client_rack
    return Consumer(config)


async def catch_up(
    settings: Settings,
    topic: str,
    starts: dict[int, int],
    apply: Apply,
    stopping: asyncio.Event,
) -> dict[int, int]:
    """Read ``topic`` from ``starts`` (partition -> offset) to each partition's end as it
    was at start, applying batch by batch; returns the next offset reached per partition."""
    reached = dict(starts)
    consumer = _consumer(settings)
    try:
        consumer.assign([RdTopicPartition(topic, p, o) for p, o in starts.items()])
        left = set(starts)
        idle_since = time.monotonic()
        while left and not stopping.is_set():
            messages = await asyncio.to_thread(consumer.consume, _BATCH, 0.5)
            batch: dict[int, list[FeedRecord]] = {}
            for m in messages:
                error = m.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        left.discard(m.partition())
                        continue
                    raise KafkaException(error)
                records = batch.get(m.partition())
                if records is None:
                    records = batch[m.partition()] = []
                records.append(FeedRecord(m.offset(), m.key(), m.value(), m.headers() or []))
            if messages:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > _IDLE_S:
                log.warning("post_catch_up_idle", topic=topic, idle_s=_IDLE_S)
                break
            if batch:
                fetched: dict[TopicPartition, Sequence[Any]] = {
                    TopicPartition(topic, p): r for p, r in batch.items()
                }
                await apply(fetched)
                for p, records in batch.items():
                    reached[p] = records[-1].offset + 1
    finally:
        await asyncio.to_thread(consumer.close)
    return reached
