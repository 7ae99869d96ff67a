"""The exactly-once engine's pure parts: Kafka-compatible partitioning and output records."""

from __future__ import annotations

import random

from aiokafka.partitioner import DefaultPartitioner

from gateway.kafka.eos import Mode, Output, partition_for
from gateway.kafka.partitioning import PARTITION_MEMO


def test_partition_for_matches_kafka_default_partitioner() -> None:
    """Keys land on the partition Kafka's default (murmur2) partitioner picks, so keys co-locate."""
    rng = random.Random(7)
    partitioner = DefaultPartitioner()
    for _ in range(500):
        key = f"INTERPOL:{rng.randrange(10**9)}".encode()
        count = rng.choice([1, 2, 3, 6, 12])
        expected = partitioner(key, list(range(count)), list(range(count)))
        assert partition_for(key, count) == expected
        assert partition_for(key, count) == expected  # the cached answer is the same


def test_known_java_client_partition() -> None:
    """A fixed key maps where the Java client maps it (murmur2 of b'foobar' is -790332482)."""
    assert partition_for(b"foobar", 100) == (-790332482 & 0x7FFFFFFF) % 100


def test_partition_memo_stays_bounded() -> None:
    """Three memos' worth of distinct keys leave at most PARTITION_MEMO answers kept, and the
    most recent key is among them (least recently used out first, not emptied when full)."""
    for i in range(3 * PARTITION_MEMO):
        partition_for(f"rs:INTERPOL:B-{i}:FRA".encode(), 12)
    info = partition_for.cache_info()
    assert info.currsize == PARTITION_MEMO
    hits = info.hits
    partition_for(f"rs:INTERPOL:B-{3 * PARTITION_MEMO - 1}:FRA".encode(), 12)
    assert partition_for.cache_info().hits == hits + 1


def test_output_defaults_and_tombstone() -> None:
    """An Output without headers carries an empty list, and value None is a tombstone."""
    out = Output("fl.ncb.FRA", b"k", None)
    assert out.headers == []
    assert out.partition is None
    assert out.value is None


def test_mode_values_are_the_cli_spellings() -> None:
    """The modes are spelled as `frontline hub run --mode` accepts them."""
    assert [m.value for m in Mode] == ["exactly-once", "at-least-once"]


def test_murmur2_matches_aiokafka_for_every_tail_length() -> None:
    """The word-wise murmur2 equals aiokafka's for keys of every length, tails included."""
    from aiokafka.partitioner import murmur2  # noqa: PLC0415  # why: the reference, only here

    from gateway.kafka.partitioning import _murmur2  # noqa: PLC0415  # why: a private helper, only here

    rng = random.Random(11)
    for length in range(0, 41):
        for _ in range(25):
            key = bytes(rng.randrange(256) for _ in range(length))
            assert _murmur2(key) == murmur2(key) & 0xFFFFFFFF
