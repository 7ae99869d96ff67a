"""``read_to_end`` gives up on a stalled read, never on a long one that keeps moving."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import TopicPartition

from gateway.errors import SetupError
from gateway.kafka.reading import read_to_end

TP = TopicPartition("fl.ncb.FRA", 0)


class _Partition:
    """One partition read by a consumer that hands out ``per_read`` records per ``getmany``
    (none once ``stall_at`` is reached, as behind a transaction stuck open)."""

    def __init__(self, end: int, per_read: int, stall_at: int | None = None) -> None:
        self.end, self.per_read, self.stall_at, self.at = end, per_read, stall_at, 0

    async def end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return dict.fromkeys(tps, self.end)

    async def position(self, tp: TopicPartition) -> int:
        return self.at

    async def getmany(self, *tps: TopicPartition, timeout_ms: int) -> dict[Any, list[Any]]:
        limit = self.end if self.stall_at is None else self.stall_at
        taken = range(self.at, min(self.at + self.per_read, limit))
        self.at += len(taken)
        return {TP: [SimpleNamespace(offset=o) for o in taken]}


async def test_a_read_that_keeps_moving_outlasts_the_timeout() -> None:
    """A read slower in total than ``timeout_s`` but moving at every fetch reaches the end."""
    seen: list[Any] = []
    await read_to_end(_Partition(end=40, per_read=1), [TP], seen.append, timeout_s=0.0)
    assert [r.offset for r in seen] == list(range(40))


async def test_a_stalled_read_fails_with_the_topic_named() -> None:
    """No progress for ``timeout_s`` while behind: SetupError naming the partition's topic."""
    seen: list[Any] = []
    with pytest.raises(SetupError, match=r"fl\.ncb\.FRA to its end: no progress for 0s"):
        await read_to_end(_Partition(end=40, per_read=5, stall_at=10), [TP], seen.append,
                          timeout_s=0.05)  # fmt: skip
    assert len(seen) == 10
