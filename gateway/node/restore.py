"""Reading a node's input partitions back at start, to rebuild its state.

The node keeps no state topic: its state is a fold of its inputs. When partitions are
assigned, each is read from its start: a record before the group's committed offset was
processed (its outputs committed) and is folded in; one at or after it will be processed
again by the engine. ``to_end`` topics are read to their end anyway (the ``up`` topics, where
an auto-confirming node's own decisions lie after the committed offset), others only to the
committed offset.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Any

from aiokafka import TopicPartition

from gateway.kafka.clients import make_consumer
from gateway.kafka.reading import read_to_end
from gateway.settings import Settings

__all__ = ["read_back"]


async def read_back(
    settings: Settings,
    group: str,
    partitions: Iterable[TopicPartition],
    on_record: Callable[[TopicPartition, Any, bool], None],
    *,
    to_end: Collection[str] = (),
    timeout_s: float = 60.0,
) -> None:
    """Feed every record of ``partitions`` to ``on_record(tp, record, processed)``."""
    tps = sorted(partitions)
    if not tps:
        return
    consumer = make_consumer(settings, group_id=group)  # assigned, never subscribed: no join
    try:
        await consumer.start()
        consumer.assign(tps)
        committed = {tp: (await consumer.committed(tp)) or 0 for tp in tps}
        end = await consumer.end_offsets(tps)
        target = {tp: end[tp] if tp.topic in to_end else min(committed[tp], end[tp]) for tp in tps}
        await consumer.seek_to_beginning(*tps)

        def feed(record: Any) -> None:
            tp = TopicPartition(record.topic, record.partition)
            if record.offset < target[tp]:
                on_record(tp, record, record.offset < committed[tp])

        await read_to_end(consumer, tps, feed, target=target, timeout_s=timeout_s)
    finally:
        await consumer.stop()
