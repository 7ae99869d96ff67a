"""The one module that calls aiokafka's private API; every such call is here, named.

aiokafka has no public call for a few things Frontline needs (a group-less consumer's
metadata for one topic, a forced refresh). Keeping them here means an aiokafka upgrade is
checked in one place.
"""

from __future__ import annotations

from typing import Any

__all__ = ["cluster_metadata", "refresh_metadata", "track_topic"]


async def cluster_metadata(consumer: Any) -> Any:
    """The whole cluster's metadata (``ClusterMetadata``), asked from the broker now."""
    return await consumer._client.fetch_all_metadata()


async def track_topic(consumer: Any, topic: str) -> None:
    """Make a consumer without a subscription keep (and fetch) ``topic``'s metadata."""
    await consumer._client.add_topic(topic)


async def refresh_metadata(consumer: Any) -> None:
    """Ask the broker for fresh metadata (a topic created a moment ago)."""
    await consumer._client.force_metadata_update()
