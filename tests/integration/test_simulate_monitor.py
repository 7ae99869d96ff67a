"""The exercise's monitor reads consumer lag on a thread of its own, on the real broker."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from gateway.settings import Settings
from gateway.simulate.monitor import Monitor

pytestmark = pytest.mark.integration


async def _group_behind(bootstrap: str, prefix: str, records: int) -> None:
    """Topic ``{prefix}ingress.x`` with ``records`` records and group ``{prefix}hub`` at 0."""
    topic = f"{prefix}ingress.x"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for i in range(records):
            await producer.send(topic, str(i).encode())
        await producer.flush()
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=f"{prefix}hub", enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        await consumer.commit({TopicPartition(topic, 0): 0})
    finally:
        await consumer.stop()


async def test_lag_is_sampled_while_the_exercise_loop_is_busy(bootstrap: str, prefix: str) -> None:
    """With the exercise's event loop blocked for 2 s, lag samples keep coming, each exact."""
    await _group_behind(bootstrap, prefix, 50)
    monitor = Monitor(
        Settings(bootstrap_servers=bootstrap, topic_prefix=prefix), dict, lag_every_s=0.2
    )
    monitor.start()
    try:
        deadline = time.monotonic() + 30
        while not monitor.lag and time.monotonic() < deadline:  # noqa: ASYNC110  # why: polls a list the sampler thread fills
            await asyncio.sleep(0.1)
        before = len(monitor.lag)
        time.sleep(2.0)  # noqa: ASYNC251  # why: the exercise's loop busy, as the connectors make it
        during = len(monitor.lag) - before
    finally:
        await monitor.stop()
    assert during >= 4, f"only {during} lag samples while the loop was blocked"
    assert {v for _, v in monitor.lag} == {50}
    assert {tuple(parts.items()) for _, parts in monitor.lag_by} == {(("ingress", 50),)}
