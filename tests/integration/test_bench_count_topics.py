"""The benchmarks' output count on the real broker: it stops at the end of committed data."""

from __future__ import annotations

import time

import pytest
from aiokafka import AIOKafkaProducer

from bench._common import count_topics, create_topics, run_id

pytestmark = pytest.mark.integration


@pytest.mark.timeout(60)
async def test_count_stops_at_the_committed_end_not_after_the_idle_wait(bootstrap: str) -> None:
    """Records committed in transactions (one aborted) and an empty topic are counted exactly,
    and the count returns once it has read to the end, well before its 30 s idle wait."""
    full, empty = f"count-{run_id()}", f"count-{run_id()}"
    await create_topics(bootstrap, [full, empty], 3)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=f"tx-{full}")
    await producer.start()
    try:
        for batch in range(3):
            async with producer.transaction():
                for n in range(10):
                    await producer.send(full, b"x", key=f"{batch}-{n}".encode())
        await producer.begin_transaction()
        await producer.send_and_wait(full, b"aborted", key=b"a")
        await producer.abort_transaction()
    finally:
        await producer.stop()
    started = time.monotonic()
    counts = await count_topics(bootstrap, [full, empty], idle_s=30.0)
    assert counts == {full: 30, empty: 0}
    assert time.monotonic() - started < 15
