"""The exactly-once engine on the real broker: outputs and offsets commit together."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from gateway.kafka.eos import EosEngine, Mode, Output
from gateway.settings import Settings

pytestmark = pytest.mark.integration


class _Copy:
    """Copies every input record to ``out`` and counts commits and aborts."""

    def __init__(self, out: str, fail_first: bool = False, hold: int = 0) -> None:
        self.out = out
        self.hold = hold  # batches held back (prepare answers False) before any is taken
        self.held = 0
        self.committed_batches = 0
        self.aborted_batches = 0
        self.staged: dict[TopicPartition, int] = {}
        self.total = 0
        self.fail_first = fail_first

    async def on_assigned(self, partitions: frozenset[TopicPartition]) -> None:
        return None

    def on_revoked(self, partitions: frozenset[TopicPartition]) -> None:
        return None

    async def prepare(self, tp: TopicPartition, records: Sequence[Any]) -> bool:
        """The first ``hold`` batches are held back; then every batch is ready."""
        if self.held < self.hold:
            self.held += 1
            return False
        return True

    def process(self, tp: TopicPartition, records: Sequence[Any]) -> Sequence[Output]:
        self.staged[tp] = self.staged.get(tp, 0) + len(records)
        if self.fail_first and self.committed_batches == 0 and self.aborted_batches == 0:
            # A partition that does not exist makes this transaction fail once.
            return [Output(self.out, r.key, r.value, partition=99) for r in records]
        return [Output(self.out, r.key, r.value, [("copied", b"1")]) for r in records]

    def tick(self, tp: TopicPartition, now_ms: int) -> Sequence[Output]:
        return ()

    def committed(self, tp: TopicPartition) -> None:
        self.total += self.staged.pop(tp, 0)
        self.committed_batches += 1

    def aborted(self, tp: TopicPartition) -> None:
        self.staged.pop(tp, None)
        self.aborted_batches += 1


async def _topics(bootstrap: str, *names: str, partitions: int = 3) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, partitions, 1) for n in names])
    finally:
        await admin.close()


async def _read(bootstrap: str, topic: str, expect: int) -> list[Any]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen: list[Any] = []
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while asyncio.get_running_loop().time() < deadline and len(seen) < expect:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                seen.extend(records)
        for records in (await consumer.getmany(timeout_ms=500)).values():
            seen.extend(records)
    finally:
        await consumer.stop()
    return seen


async def _produce(bootstrap: str, topic: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for i in range(count):
            await producer.send(topic, f"v{i}".encode(), key=f"k{i}".encode())
    finally:
        await producer.stop()


@pytest.mark.parametrize("mode", [Mode.EXACTLY_ONCE, Mode.AT_LEAST_ONCE])
async def test_copies_each_record_once(bootstrap: str, prefix: str, mode: Mode) -> None:
    """Every input record appears once in the output, keyed and partitioned like Kafka does."""
    src, dst = f"{prefix}in", f"{prefix}out"
    await _topics(bootstrap, src, dst)
    await _produce(bootstrap, src, 300)
    settings = Settings(bootstrap_servers=bootstrap, commit_interval_ms=50)
    proc = _Copy(dst)
    engine = EosEngine(settings, app_id=f"{prefix}app", topics=[src], processor=proc, mode=mode)
    task = asyncio.create_task(engine.run())
    out = await _read(bootstrap, dst, 300)
    engine.stop()
    await asyncio.wait_for(task, 30)
    assert sorted(r.value for r in out) == sorted(f"v{i}".encode() for i in range(300))
    assert proc.total == 300
    # Same key, same partition as the default partitioner would choose.
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        expected = await producer.send_and_wait(dst, b"probe", key=out[0].key)
    finally:
        await producer.stop()
    assert expected.partition == out[0].partition


async def test_failed_transaction_is_retried(bootstrap: str, prefix: str) -> None:
    """An aborted transaction leaves nothing visible and its records are processed again."""
    src, dst = f"{prefix}in", f"{prefix}out"
    await _topics(bootstrap, src, dst, partitions=1)
    await _produce(bootstrap, src, 20)
    settings = Settings(bootstrap_servers=bootstrap, commit_interval_ms=50)
    proc = _Copy(dst, fail_first=True)
    engine = EosEngine(settings, app_id=f"{prefix}app", topics=[src], processor=proc)
    task = asyncio.create_task(engine.run())
    out = await _read(bootstrap, dst, 20)
    engine.stop()
    await asyncio.wait_for(task, 30)
    assert proc.aborted_batches >= 1
    assert sorted(r.value for r in out) == sorted(f"v{i}".encode() for i in range(20))


async def test_a_batch_held_back_is_read_again_and_copied_once(bootstrap: str, prefix: str) -> None:
    """A batch the processor is not ready for is left unread, read again after the commit
    interval and then copied exactly once, in order, with nothing aborted."""
    src, dst = f"{prefix}in", f"{prefix}out"
    await _topics(bootstrap, src, dst, partitions=1)
    await _produce(bootstrap, src, 50)
    settings = Settings(bootstrap_servers=bootstrap, commit_interval_ms=50)
    proc = _Copy(dst, hold=3)
    engine = EosEngine(settings, app_id=f"{prefix}app", topics=[src], processor=proc)
    task = asyncio.create_task(engine.run())
    out = await _read(bootstrap, dst, 50)
    engine.stop()
    await asyncio.wait_for(task, 30)
    assert proc.held == 3
    assert proc.aborted_batches == 0
    assert [r.value for r in out] == [f"v{i}".encode() for i in range(50)]
    assert proc.total == 50
