"""Raw reads of a topic until it gave the records a benchmark put there, under a deadline.

The benchmarks measure a raw consume (no group, no processing) as the ceiling a Frontline
reader is compared with. Each read stops when ``n`` records came back; a topic holding fewer
(a send that failed unnoticed, retention deleting the oldest, the wrong topic) would keep it
polling forever, so each read gives up after ``deadline_s`` with :class:`ShortTopicError`
naming the topic, the records expected and the records read.
"""

from __future__ import annotations

import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from confluent_kafka import Consumer

from bench._common import run_id
from gateway.errors import FrontlineError
from gateway.kafka.internals import refresh_metadata

__all__ = ["DEADLINE_S", "ShortTopicError", "aiokafka_read", "librdkafka_read"]

DEADLINE_S = 300.0


class ShortTopicError(FrontlineError):
    """A raw read saw fewer records than expected before its deadline."""

    def __init__(self, topic: str, expected: int, read: int, deadline_s: float) -> None:
        super().__init__(
            f"{topic}: read {read:,} of the {expected:,} records expected in {deadline_s:g} s",
            hint="the topic holds fewer records than the benchmark produced onto it: check "
            "that every send was acknowledged and that retention did not delete any, or "
            "give a slow machine a longer deadline",
        )
        self.topic = topic
        self.expected = expected
        self.read = read


async def aiokafka_read(
    servers: str,
    topic: str,
    n: int,
    *,
    deadline_s: float = DEADLINE_S,
    isolation_level: str = "read_committed",
    max_partition_fetch_bytes: int = 4_194_304,
) -> float:
    """Records/s of an aiokafka ``getmany`` read of ``n`` records from the start of every
    partition of ``topic`` (assigned, no group), timed from the assignment to the last."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers, group_id=None, auto_offset_reset="earliest",
        isolation_level=isolation_level, enable_auto_commit=False,
        max_partition_fetch_bytes=max_partition_fetch_bytes,
    )  # fmt: skip
    await consumer.start()
    try:
        found = consumer.partitions_for_topic(topic)
        if not found:
            await refresh_metadata(consumer)  # a topic created a moment ago
            found = consumer.partitions_for_topic(topic) or set()
        consumer.assign([TopicPartition(topic, p) for p in sorted(found)])
        seen = 0
        started = time.perf_counter()
        deadline = time.monotonic() + deadline_s
        while seen < n:
            if time.monotonic() > deadline:
                raise ShortTopicError(topic, n, seen, deadline_s)
            batch = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            seen += sum(len(records) for records in batch.values())
        return seen / (time.perf_counter() - started)
    finally:
        await consumer.stop()


def librdkafka_read(servers: str, topic: str, n: int, *, deadline_s: float = DEADLINE_S) -> float:
    """Records/s of a librdkafka (confluent-kafka) read_committed read of ``n`` records of
    ``topic`` from the start (a fresh group), the post's catch-up client."""
    consumer = Consumer(
        {
            "bootstrap.servers": servers, "group.id": f"bench-{run_id()}",
            "auto.offset.reset": "earliest", "enable.auto.commit": False,
            "isolation.level": "read_committed", "fetch.max.bytes": 64 * 1024 * 1024,
            "max.partition.fetch.bytes": 16 * 1024 * 1024,
        }
    )  # fmt: skip
    consumer.subscribe([topic])
    try:
        seen = 0
        started = time.perf_counter()
        deadline = time.monotonic() + deadline_s
        while seen < n:
            if time.monotonic() > deadline:
                raise ShortTopicError(topic, n, seen, deadline_s)
            seen += sum(1 for m in consumer.consume(10_000, 1.0) if m.error() is None)
        return seen / (time.perf_counter() - started)
    finally:
        consumer.close()
