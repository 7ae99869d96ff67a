"""One input partition's open transaction (or at-least-once batch): its producer and batches.

Outputs are appended straight to per-(topic, partition) ``BatchBuilder``s; a full batch is
sent at once, the rest when the engine commits. Every send's future is kept, so the engine
can wait for all of them before it commits and abort if any failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from gateway.kafka.eos.errors import unasked_cancel
from gateway.kafka.eos.records import Fanout, Headers, Output
from gateway.kafka.partitioning import partition_for

__all__ = ["WARM_UP_S", "Worker", "partition_count", "warm_up"]

# How long a new producer may wait for its output topics' metadata before its first send.
WARM_UP_S = 10.0


@dataclass(slots=True)
class Worker:
    """The open transaction (or at-least-once batch) of one input partition."""

    tp: TopicPartition
    producer: AIOKafkaProducer
    transactional: bool
    open: bool = False
    next_offset: int | None = None
    builders: dict[tuple[str, int], Any] = field(default_factory=dict)
    sent: list[tuple[str, asyncio.Future[Any]]] = field(default_factory=list)
    records: int = 0
    failed: bool = False
    failures: int = 0

    async def feed(self, outputs: Sequence[Output | Fanout], counts: dict[str, int]) -> None:
        """Open the transaction if needed and append outputs to its batches.

        ``counts`` holds the partition count of each output topic (shared by the engine's
        workers); a topic not in it is asked for once.
        """
        if not self.open:
            if self.transactional:
                await self.producer.begin_transaction()
            self.open = True
        builders = self.builders
        # Consecutive records mostly share a key (one alert's deliveries, state and audit):
        # its partition for the last partition count seen is remembered here.
        last: tuple[bytes | None, int, int] = (None, 0, 0)
        for out in outputs:
            key, value, headers = out.key, out.value, out.headers
            if type(out) is Fanout:
                topics, fixed = out.topics, None
            else:
                topics, fixed = (out.topic,), out.partition  # type: ignore[union-attr]  # why: an Output here
            for topic in topics:
                partition = fixed
                if partition is None:
                    count = counts.get(topic)
                    if count is None:
                        count = await partition_count(self.producer, topic, counts)
                    if key is None:
                        partition = 0
                    elif key is last[0] and count == last[1]:
                        partition = last[2]
                    else:
                        partition = partition_for(key, count)
                        last = (key, count, partition)
                slot = (topic, partition)
                builder = builders.get(slot)
                if builder is not None and builder.append(
                    key=key, value=value, timestamp=None, headers=headers
                ):
                    continue
                await self._append_new(slot, key, value, headers)

    async def _append_new(
        self,
        slot: tuple[str, int],
        key: bytes | None,
        value: bytes | None,
        headers: Headers,
    ) -> None:
        """Send the slot's full batch (if any), start a new one and append the record to it."""
        producer = self.producer
        full = self.builders.get(slot)
        if full is not None:
            sent = await producer.send_batch(full, slot[0], partition=slot[1])
            self.sent.append((slot[0], sent))
        builder = self.builders[slot] = producer.create_batch()
        if not builder.append(key=key, value=value, timestamp=None, headers=headers):
            raise KafkaError(f"one record for {slot[0]} exceeds max_batch_size")

    async def flush(self) -> None:
        """Send every open batch (the futures are kept in ``sent``)."""
        for (topic, partition), builder in self.builders.items():
            sent = await self.producer.send_batch(builder, topic, partition=partition)
            self.sent.append((topic, sent))
        self.builders.clear()

    async def send_all(self) -> tuple[str, BaseException] | None:
        """Send the open batches and wait for every send; the first failure (topic, error).

        Every future is awaited even after a failure, so no batch of this transaction is still
        in flight when it is aborted.
        """
        failure: tuple[str, BaseException] | None = None
        try:
            await self.flush()
        except Exception as error:  # why: a send refused before it left; the rest settles first
            failure = ("", error)
        except asyncio.CancelledError as error:
            if not unasked_cancel(error):
                raise  # asked for: the engine is being cancelled
            failure = ("", error)  # a future the client cancelled inside: a failed send
        results = await asyncio.gather(*(f for _, f in self.sent), return_exceptions=True)
        for (topic, _), result in zip(self.sent, results, strict=True):
            if isinstance(result, BaseException) and failure is None:
                failure = (topic, result)
        return failure

    def reset(self) -> None:
        """Forget the open transaction's batches (after a commit or an abort)."""
        self.open = False
        self.failed = False
        self.builders.clear()
        self.sent.clear()


async def warm_up(
    producer: AIOKafkaProducer, topics: Sequence[str], counts: dict[str, int]
) -> None:
    """Learn every known output topic's partitions in one metadata round, not one per topic.

    Each producer otherwise asks for metadata again at its first send to each topic (and
    the answer lists every topic asked so far). A topic that cannot be found is left for
    the first send to it to report, as without the warm-up.
    """
    if not topics:
        return
    asked = asyncio.gather(*(producer.partitions_for(t) for t in topics), return_exceptions=True)
    try:
        found = await asyncio.wait_for(asked, WARM_UP_S)
    except TimeoutError:
        return
    for topic, parts in zip(topics, found, strict=True):
        if isinstance(parts, (set, frozenset)) and parts:
            counts.setdefault(topic, len(parts))


async def partition_count(producer: AIOKafkaProducer, topic: str, counts: dict[str, int]) -> int:
    """Partitions of an output topic, asked once (waits for metadata; raises if missing)."""
    parts = await producer.partitions_for(topic)
    counts[topic] = len(parts)
    return len(parts)
