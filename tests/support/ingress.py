"""Topics and settings for connector tests on the real broker: an org's ingress and quarantine."""

from __future__ import annotations

from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings

__all__ = ["connector_settings", "create_topics", "ingress_topics"]


def connector_settings(bootstrap: str, prefix: str, tmp_path: Path) -> Settings:
    """Settings for a connector publishing under ``prefix`` with local state in ``tmp_path``."""
    return Settings(bootstrap_servers=bootstrap, topic_prefix=prefix, data_dir=tmp_path)


async def create_topics(bootstrap: str, *names: str) -> None:
    """Create ``names`` with three partitions each."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, 3, 1) for n in names])
    finally:
        await admin.close()


async def ingress_topics(bootstrap: str, prefix: str, org: str) -> TopicNames:
    """Create ``org``'s ingress topic and the quarantine topic; return the names."""
    names = TopicNames(prefix)
    await create_topics(bootstrap, names.ingress(org), names.quarantine)
    return names
