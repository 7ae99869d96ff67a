"""Waiting for topics to show in the brokers' metadata, with one budget for every caller."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient

__all__ = ["TOPICS_WAIT_S", "wait_for_topics"]

# Topics created a moment ago reach every broker's metadata asynchronously (KRaft).
TOPICS_WAIT_S = 10.0
_INTERVAL_S = 0.25


async def wait_for_topics(
    admin: AIOKafkaAdminClient, names: Iterable[str], timeout_s: float = TOPICS_WAIT_S
) -> list[str]:
    """Look until every topic of ``names`` is listed; the ones still missing after the wait."""
    wanted = list(dict.fromkeys(names))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if not missing or loop.time() + _INTERVAL_S > deadline:
            return missing
        await asyncio.sleep(_INTERVAL_S)
