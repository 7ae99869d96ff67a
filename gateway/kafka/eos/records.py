"""What the exactly-once engine exchanges with an application: outputs and the Processor."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from aiokafka import TopicPartition

__all__ = ["Fanout", "Headers", "Mode", "Output", "Processor"]

Headers = list[tuple[str, bytes]]


class Mode(StrEnum):
    """Delivery guarantee: transactions per input partition, or plain idempotent sends."""

    EXACTLY_ONCE = "exactly-once"
    AT_LEAST_ONCE = "at-least-once"


class Output(NamedTuple):
    """One record to produce; ``value=None`` is a tombstone, ``partition=None`` hashes the key.

    A NamedTuple, not a dataclass: the hub builds a dozen per alert, so creation cost counts.
    """

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers = []  # noqa: RUF012  # why: never mutated; a shared empty list is safe
    partition: int | None = None


class Fanout(NamedTuple):
    """One record (same key, value and headers) to each of ``topics``, key-hashed partitions.

    What a hub delivery is: one alert to a dozen national topics. Cheaper than a dozen
    :class:`Output` records, and the key's partition is computed once per partition count.
    """

    topics: Sequence[str]
    key: bytes | None
    value: bytes | None
    headers: Headers = []  # noqa: RUF012  # why: never mutated; a shared empty list is safe


class Processor(Protocol):
    """What an application plugs into the engine; every call runs on the event loop, one at a time.

    State changes made in ``process``/``tick`` must be staged per input partition and made
    visible only in ``committed``; ``aborted`` throws them away (the records are re-read).
    """

    async def on_assigned(self, partitions: frozenset[TopicPartition]) -> None:
        """New input partitions are ours (producers already fenced zombies): restore state."""

    def on_revoked(self, partitions: frozenset[TopicPartition]) -> None:
        """These input partitions are no longer ours (their last transaction has ended)."""

    async def prepare(self, tp: TopicPartition, records: Sequence[Any]) -> bool:
        """Before ``process``: False holds the batch back, unread, until the next commit
        interval (what deciding it needs is not visible yet); True lets it be processed."""

    def process(self, tp: TopicPartition, records: Sequence[Any]) -> Sequence[Output | Fanout]:
        """Transform a batch of one partition's ConsumerRecords into output records."""

    def tick(self, tp: TopicPartition, now_ms: int) -> Sequence[Output | Fanout]:
        """Timer work owned by this partition (e.g. expiry), run inside its transaction."""

    def committed(self, tp: TopicPartition) -> None:
        """The partition's transaction committed: apply its staged state."""

    def aborted(self, tp: TopicPartition) -> None:
        """The partition's transaction aborted: drop its staged state."""
