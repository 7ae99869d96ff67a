"""The one module that calls aiokafka's private API; every such call is here, named.

aiokafka has no public call for a few things Frontline needs (a group-less consumer's
metadata for one topic, a forced refresh, a bare client's metadata for named topics). Keeping
them here means an aiokafka upgrade is checked in one place.
"""

from __future__ import annotations

from typing import Any

__all__ = ["cluster_metadata", "fetch_topic_metadata", "refresh_metadata", "track_topic"]


async def cluster_metadata(consumer: Any) -> Any:
    """The whole cluster's metadata (``ClusterMetadata``), asked from the broker now."""
    return await consumer._client.fetch_all_metadata()


async def track_topic(consumer: Any, topic: str) -> None:
    """Make a consumer without a subscription keep (and fetch) ``topic``'s metadata."""
    await consumer._client.add_topic(topic)


async def refresh_metadata(consumer: Any) -> None:
    """Ask the broker for fresh metadata (a topic created a moment ago)."""
    await consumer._client.force_metadata_update()


async def fetch_topic_metadata(client: Any, metadata: Any, topics: list[str]) -> bool:
    """Fill ``metadata`` (a ``ClusterMetadata``) from one metadata request for ``topics`` sent by
    a bootstrapped ``AIOKafkaClient``; False when no broker answered.

    Unlike the consumers' calls, it keeps what the broker says about topics the principal may
    not describe (``metadata.unauthorized_topics``).
    """
    answered: bool = await client._metadata_update(metadata, topics)
    return answered
