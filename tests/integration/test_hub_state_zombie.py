"""A hub instance's state tail after it was away: others' records of its partitions count."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from gateway.hub.state import AlertState, ChangelogReader, StateStore, owner_headers
from gateway.settings import Settings

pytestmark = pytest.mark.integration

OWNER = ("fl.ingress.interpol", 0)


async def test_the_tail_applies_another_writers_records_of_a_partition_it_thinks_it_owns(
    bootstrap: str, prefix: str
) -> None:
    """A zombie instance (it still believes it owns a partition that another instance took
    while it was stopped) applies the other instance's newer entries for that partition, so
    it never routes the next version on its stale view."""
    topic = f"{prefix}hub.state"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    settings = Settings(bootstrap_servers=bootstrap, topic_prefix=prefix)
    store = StateStore(topic)
    reader = ChangelogReader(settings, store)
    await reader.start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        old = AlertState("INTERPOL:Z-1", 1, "INTERPOL", "WANTED_PERSON", OWNER,
                         recipients=frozenset({"FRA", "DEU"}), seq=1)  # fmt: skip
        await producer.send_and_wait(
            topic, old.to_bytes(), key=b"INTERPOL:Z-1", headers=owner_headers(OWNER)
        )
        await reader.catch_up()
        reader.own([OWNER])  # this process owns the partition, then is stopped
        newer = AlertState("INTERPOL:Z-1", 2, "INTERPOL", "WANTED_PERSON", OWNER,
                           recipients=frozenset(), cancelled=True, seq=2)  # fmt: skip
        await producer.send_and_wait(  # the instance that took the partition over cancels it
            topic, newer.to_bytes(), key=b"INTERPOL:Z-1", headers=owner_headers(OWNER, "other")
        )
        await reader.tail_once()
        entry = store.committed("INTERPOL:Z-1")
        assert entry is not None
        assert (entry.version, entry.cancelled, entry.recipients) == (2, True, frozenset())
    finally:
        await producer.stop()
        await reader.stop()
