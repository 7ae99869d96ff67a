"""The benchmarks' raw topic reads on the real broker: a topic short of records ends in a
clear error instead of a read that never returns."""

from __future__ import annotations

import time

import pytest
from aiokafka import AIOKafkaProducer

from bench._common import create_topics, run_id
from bench._consume import ShortTopicError, aiokafka_read, librdkafka_read
from bench.fuzz.ingress import _read
from gateway.errors import FrontlineError

pytestmark = pytest.mark.integration


async def _topic_with(bootstrap: str, records: int) -> str:
    topic = f"rawread-{run_id()}"
    await create_topics(bootstrap, [topic], 2)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for n in range(records):
            await producer.send_and_wait(topic, b"x", key=str(n).encode())
    finally:
        await producer.stop()
    return topic


@pytest.mark.timeout(60)
async def test_a_raw_read_of_a_short_topic_names_it_and_both_counts(bootstrap: str) -> None:
    """aiokafka's and librdkafka's raw reads of 5 records from a topic holding 3 give up at
    their deadline naming the topic, 5 expected and 3 read; asking for 3 returns a rate."""
    topic = await _topic_with(bootstrap, 3)
    assert await aiokafka_read(bootstrap, topic, 3) > 0
    started = time.monotonic()
    with pytest.raises(ShortTopicError) as by_aiokafka:
        await aiokafka_read(bootstrap, topic, 5, deadline_s=2)
    with pytest.raises(ShortTopicError) as by_librdkafka:
        librdkafka_read(bootstrap, topic, 5, deadline_s=2)
    assert time.monotonic() - started < 30
    for caught in (by_aiokafka, by_librdkafka):
        assert (caught.value.topic, caught.value.expected, caught.value.read) == (topic, 5, 3)
        assert f"{topic}: read 3 of the 5 records expected" in str(caught.value)
        assert caught.value.hint


@pytest.mark.timeout(60)
async def test_the_fuzz_accounting_read_stops_at_an_open_transaction(bootstrap: str) -> None:
    """A transaction left open holds a read_committed read short of the end offset: the fuzz
    leg's read gives up at its deadline naming the partition and both offsets."""
    topic = await _topic_with(bootstrap, 2)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=f"tx-{topic}")
    await producer.start()
    try:
        await producer.begin_transaction()
        await producer.send_and_wait(topic, b"pending", key=b"0")
        started = time.monotonic()
        with pytest.raises(FrontlineError, match=rf"{topic}\[\d\] at offset \d+ of \d+"):
            await _read(bootstrap, [topic], deadline_s=2)
        assert time.monotonic() - started < 20
        await producer.commit_transaction()
    finally:
        await producer.stop()
    assert len(await _read(bootstrap, [topic], deadline_s=20)) == 3
