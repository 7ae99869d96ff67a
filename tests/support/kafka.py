"""Reading what the broker holds, for the integration tests of every stage."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

__all__ = ["committed_offsets", "limit_message_bytes", "read_all"]


async def read_all(
    bootstrap: str, topic: str, expect: int = 0, *, quiet_s: float = 0.6, timeout_s: float = 20
) -> list[Any]:
    """Read a topic under read_committed until ``expect`` records came and it stayed quiet.

    ``expect`` counts every record of the topic, of any key: a caller waiting for one more
    record passes the count it already saw plus one.
    """
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
        isolation_level="read_committed", enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    seen: list[Any] = []
    loop = asyncio.get_running_loop()
    try:
        deadline = loop.time() + timeout_s
        quiet_until = loop.time() + quiet_s
        while loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                seen.extend(records)
            if batch:
                quiet_until = loop.time() + quiet_s
            elif len(seen) >= expect and loop.time() >= quiet_until:
                break
    finally:
        await consumer.stop()
    return seen


async def committed_offsets(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    """The offsets a consumer group has committed, per partition."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        found = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {tp: meta.offset for tp, meta in found.items()}


async def limit_message_bytes(bootstrap: str, topic: str, max_bytes: int) -> None:
    """Set a topic's ``max.message.bytes``: a record above it is refused by the broker."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, {"max.message.bytes": str(max_bytes)})]
        )
    finally:
        await admin.close()
