"""Nothing delivered twice: each national topic and each border post's feed, read as
``read_committed``, holds every alert version at most once.

A failed exactly-once hop shows as the same version of an alert written twice to one
topic (a record re-processed after a crash or by a zombie whose transaction was not
fenced). A removal (tombstone) is not counted: it carries no alert, and a revocation may
legitimately follow another for the same alert. A national node's flag re-sends the flagged
version to its posts with the flag's headers: that copy is counted apart.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from gateway.kafka.clients import make_consumer
from gateway.kafka.headers import H, RouteHeaders
from gateway.kafka.reading import assign_from_start, read_to_end
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings
from gateway.simulate.report import AccountingCheck
from gateway.topology import Topology

__all__ = ["doubles_check", "find_doubles"]


async def find_doubles(settings: Settings, topics: list[str]) -> tuple[int, dict[str, list[str]]]:
    """Alert records read, and per topic the ``alert@version`` written more than once."""
    consumer = make_consumer(settings, group_id=None, enable_auto_commit=False)
    await consumer.start()
    seen: dict[str, Counter[tuple[str, int]]] = {t: Counter() for t in topics}
    read = 0
    try:
        for topic in topics:

            def on_record(record: Any, topic: str = topic) -> None:
                nonlocal read
                if record.value is None or record.key is None:
                    return  # a removal
                read += 1
                headers = RouteHeaders.from_kafka(record.headers)
                # a node's flag re-sends the version to its posts, with the flag's headers
                flag = headers.extra.get(H.FLAG_COUNTRY, "")
                alert = record.key.decode("utf-8", "replace") + (f" flag {flag}" if flag else "")
                seen[topic][(alert, headers.version)] += 1

            tps = await assign_from_start(consumer, topic)
            await read_to_end(consumer, tps, on_record, timeout_s=120)
    finally:
        await consumer.stop()
    doubles = {
        topic: [f"{alert}@{version} x{n}" for (alert, version), n in sorted(c.items()) if n > 1]
        for topic, c in seen.items()
    }
    return read, {t: d for t, d in doubles.items() if d}


async def doubles_check(settings: Settings, topology: Topology) -> AccountingCheck:
    """The check over every national topic and every post feed of ``topology``."""
    names = TopicNames(settings.topic_prefix)
    topics = [names.ncb(c.code) for c in topology.countries]
    topics += [names.post(c.code, p.id) for c, p in topology.posts()]
    read, doubles = await find_doubles(settings, topics)
    shown = "; ".join(f"{t}: {', '.join(d[:5])}" for t, d in sorted(doubles.items()))
    return AccountingCheck(
        name="no alert version delivered twice to a country or a post",
        ok=not doubles,
        detail=f"{read} alert records on {len(topics)} national and post topics"
        + (f"; twice: {shown}" if doubles else ", each version once"),
    )
