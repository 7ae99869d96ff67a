"""Property on the real broker: hostile and oversized input through every connector loses nothing.

For each of the eleven connectors, hypothesis takes a generated native payload and mutates it
(hostile bytes inserted or swapped in, a value inflated past a megabyte, the payload cut short,
plain garbage). Each example is published, and the records that reached the ingress and the
quarantine topics are counted from the broker's end offsets: every record the payload splits
into (or the payload itself, when it is refused whole) is on exactly one of them.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from connectors.base import split_records
from connectors.registry import CONNECTOR_MODULES, get_connector
from connectors.runtime.publisher import Publisher
from connectors.synthetic import get_generator
from gateway.kafka.topic_names import TopicNames
from tests.support.ingress import connector_settings, ingress_topics

pytestmark = pytest.mark.integration

HOSTILE: list[bytes] = [
    b"\x00", b"\xff\xfe\xfd", "\u202e".encode(), "\ud800".encode("utf-8", "surrogatepass"),
    b"NaN", b"1e999", b"-Infinity", b"9" * 400, b"\r\n", b"<", b"&#0;", b'"', b"\\", b"{",
    b"]]>", "\U0001d518".encode(), "\uff21\uff22".encode(), b"\t|;,", b"<!DOCTYPE x [",
]  # fmt: skip
BIG = [1_100_000, 2_100_000]

Mutation = tuple[str, float, bytes | int]
mutations = st.one_of(
    st.tuples(st.just("insert"), st.floats(0, 1), st.sampled_from(HOSTILE) | st.binary(max_size=9)),
    st.tuples(st.just("replace"), st.floats(0, 1), st.sampled_from(HOSTILE)),
    st.tuples(st.just("inflate"), st.floats(0, 1), st.sampled_from(BIG)),
    st.tuples(st.just("truncate"), st.floats(0, 1), st.just(0)),
    st.tuples(st.just("garbage"), st.just(0.0), st.binary(max_size=512)),
)


def _near_letter(payload: bytes, fraction: float) -> int:
    """An offset just after a letter near ``fraction`` of the payload: inside a value, mostly."""
    start = int(fraction * max(0, len(payload) - 1))
    for offset in range(start, len(payload)):
        if chr(payload[offset]).isalpha():
            return offset + 1
    return start


def _mutate(payload: bytes, mutation: Mutation) -> bytes:
    name, fraction, what = mutation
    at = _near_letter(payload, fraction)
    if name == "insert":
        assert isinstance(what, bytes)
        return payload[:at] + what + payload[at:]
    if name == "replace":
        assert isinstance(what, bytes)
        return payload[:at] + what + payload[at + len(what) :]
    if name == "inflate":
        assert isinstance(what, int)
        return payload[:at] + b"A" * what + payload[at:]
    if name == "truncate":
        return payload[: int(fraction * len(payload))]
    assert isinstance(what, bytes)
    return what


async def _consumer(bootstrap: str) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    return consumer


async def _end(consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> int:
    offsets = await consumer.end_offsets(partitions)
    return sum(offsets.values())


@pytest.mark.parametrize("org", list(CONNECTOR_MODULES))
def test_every_record_is_published_or_quarantined(
    org: str, bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """Whatever hostile or oversized bytes a payload holds, each record lands on one topic."""
    connector = get_connector(org)
    names = TopicNames(prefix)
    with asyncio.Runner() as runner:
        runner.run(ingress_topics(bootstrap, prefix, org))
        publisher = Publisher(connector_settings(bootstrap, prefix, tmp_path), connector)
        consumer = runner.run(_consumer(bootstrap))
        runner.run(publisher.start())
        ingress = [TopicPartition(names.ingress(org), p) for p in range(3)]
        quarantine = [TopicPartition(names.quarantine, p) for p in range(3)]
        totals = {"payloads": 0, "published": 0, "quarantined": 0, "too_large": 0}

        @settings(
            max_examples=25, deadline=None, database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )  # fmt: skip
        @given(
            seed=st.integers(0, 2**16),
            count=st.integers(1, 3),
            changes=st.lists(mutations, min_size=1, max_size=3),
        )
        @example(seed=1, count=3, changes=[("inflate", 0.5, 1_100_000)])
        @example(seed=2, count=2, changes=[("garbage", 0.0, b"\xff" * 1_100_000)])
        def check(seed: int, count: int, changes: list[Mutation]) -> None:
            payload = get_generator(connector.org).generate(
                random.Random(seed), count, datetime.now(UTC)
            )
            for change in changes:
                payload = _mutate(payload, change)
            split = split_records(connector, payload, "p")
            expected = 1 if not isinstance(split, list) else len(split)
            before = (runner.run(_end(consumer, ingress)), runner.run(_end(consumer, quarantine)))
            report = runner.run(publisher.publish(payload, "p", keep_results=True))
            after = (runner.run(_end(consumer, ingress)), runner.run(_end(consumer, quarantine)))
            total = report.stats.total
            assert total.records_in == expected
            assert after[0] - before[0] == total.published
            assert after[1] - before[1] == total.quarantined
            assert total.published + total.quarantined == expected
            totals["payloads"] += 1
            totals["published"] += total.published
            totals["quarantined"] += total.quarantined
            totals["too_large"] += sum(
                1 for r in report.results if r.reasons and r.reasons[0].code == "too_large"
            )

        try:
            check()
        finally:
            runner.run(consumer.stop())
            runner.run(publisher.stop())
    assert totals["payloads"] >= 6
    assert totals["too_large"] >= 1  # the explicit example at least: 1.1 MB refused whole
