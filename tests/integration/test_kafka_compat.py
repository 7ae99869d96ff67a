"""aiokafka on the pinned Apache Kafka: the client features Frontline relies on."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

pytestmark = pytest.mark.integration


class _AbortError(Exception):
    """Raised inside a transaction to make aiokafka abort it."""


async def _create(bootstrap: str, *names: str, partitions: int = 1) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, partitions, 1) for n in names])
    finally:
        await admin.close()


async def _drain(bootstrap: str, topic: str, *, isolation: str, expect: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        isolation_level=isolation,
        enable_auto_commit=False,
    )
    await consumer.start()
    seen: list[bytes] = []
    try:
        deadline = asyncio.get_running_loop().time() + 15
        while asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for records in batch.values():
                seen.extend(r.value for r in records if r.value is not None)
            if len(seen) >= expect and not batch:
                break
    finally:
        await consumer.stop()
    return seen


async def test_round_trip(bootstrap: str, prefix: str) -> None:
    """Records produced with aiokafka come back in order with keys and headers intact."""
    topic = f"{prefix}roundtrip"
    await _create(bootstrap, topic)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for i in range(20):
            await producer.send(topic, f"v{i}".encode(), key=b"k", headers=[("h", b"1")])
        await producer.flush()
    finally:
        await producer.stop()
    values = await _drain(bootstrap, topic, isolation="read_uncommitted", expect=20)
    assert values == [f"v{i}".encode() for i in range(20)]


async def test_idempotent_producer(bootstrap: str, prefix: str) -> None:
    """An idempotent, acks=all producer is accepted by the broker and writes each record once."""
    topic = f"{prefix}idem"
    await _create(bootstrap, topic)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        results = await asyncio.gather(
            *[await producer.send(topic, str(i).encode()) for i in range(100)]
        )
    finally:
        await producer.stop()
    assert [r.offset for r in results] == list(range(100))


async def test_transaction_consume_transform_produce(bootstrap: str, prefix: str) -> None:
    """Offsets commit inside the transaction, and an aborted transaction's records stay unseen."""
    source, sink, group = f"{prefix}src", f"{prefix}sink", f"{prefix}group"
    await _create(bootstrap, source, sink)
    feeder = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await feeder.start()
    for i in range(10):
        await feeder.send_and_wait(source, f"in{i}".encode())
    await feeder.stop()

    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, transactional_id=f"{prefix}tx-{uuid.uuid4().hex[:6]}"
    )
    await consumer.start()
    await producer.start()
    batch = await consumer.getmany(timeout_ms=5000, max_records=10)
    records = [r for rs in batch.values() for r in rs]
    assert len(records) == 10
    tp = TopicPartition(source, 0)

    # The first attempt fails mid-way: what it wrote is never seen, its offsets never commit.
    async def failing_attempt() -> None:
        async with producer.transaction():
            for r in records:
                await producer.send(sink, b"aborted-" + r.value)
            await producer.send_offsets_to_transaction({tp: records[-1].offset + 1}, group)
            raise _AbortError

    with pytest.raises(_AbortError):
        await failing_attempt()
    committed_after_abort = await consumer.committed(tp)
    try:
        async with producer.transaction():
            for r in records:
                await producer.send(sink, b"out-" + r.value)
            await producer.send_offsets_to_transaction({tp: records[-1].offset + 1}, group)
    finally:
        await producer.stop()
        await consumer.stop()
    assert committed_after_abort is None
    seen = await _drain(bootstrap, sink, isolation="read_committed", expect=10)
    assert seen == [f"out-in{i}".encode() for i in range(10)]
    check = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await check.start()
    try:
        assert await check.committed(tp) == 10
    finally:
        await check.stop()
