"""Replication follows the cluster's size, with the durability configs that go with it."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.kafka import clients
from gateway.kafka.durability import fix_hint, reassignment_plan, replication_for
from gateway.kafka.layout import plan_topics
from gateway.settings import Settings
from gateway.topology import parse_topology
from tests.support.topologies import SMALL


def test_unset_replication_follows_the_cluster() -> None:
    """Unset FRONTLINE_REPLICATION_FACTOR plans no factor; a cluster of N gets min(3, N)."""
    settings = Settings(bootstrap_servers="unused:9092")
    assert settings.replication_factor is None
    specs = plan_topics(parse_topology(SMALL), settings)
    assert {s.replication for s in specs} == {None}
    for brokers, copies, in_sync in [(1, 1, "1"), (2, 2, "1"), (3, 3, "2"), (5, 3, "2")]:
        sized = [s.sized(brokers) for s in specs]
        assert {s.replication for s in sized} == {copies}, brokers
        assert {s.configs["min.insync.replicas"] for s in sized} == {in_sync}, brokers
        assert {s.configs["unclean.leader.election.enable"] for s in sized} == {"false"}


def test_configured_replication_wins_over_the_cluster() -> None:
    """A set factor is kept whatever the cluster's size."""
    settings = Settings(bootstrap_servers="unused:9092", replication_factor=2)
    (first, *_) = plan_topics(parse_topology(SMALL), settings)
    assert first.sized(5).replication == 2
    assert replication_for(2, 7) == 2
    assert replication_for(None, 0) == 1


def test_reassignment_plan_adds_the_least_loaded_brokers_and_keeps_the_leader() -> None:
    """Each partition keeps its replicas in order and gains the brokers holding fewest."""
    plan = reassignment_plan({"t": [[1], [2], [3], [1]]}, {"t": 3}, [1, 2, 3])
    rows = plan["partitions"]
    assert plan["version"] == 1
    assert [r["replicas"][0] for r in rows] == [1, 2, 3, 1]
    assert all(sorted(r["replicas"]) == [1, 2, 3] for r in rows)
    assert reassignment_plan({"t": [[1, 2, 3]]}, {"t": 3}, [1, 2, 3])["partitions"] == []


def test_fix_hints_name_the_tool() -> None:
    """Each drift kind's hint names the command that fixes it."""
    assert "kafka-reassign-partitions" in fix_hint("t", "replication", "3", "b:9092")
    assert "--add-config retention.ms=1" in fix_hint("t", "retention.ms", "1", "b:9092")
    assert "--partitions 6" in fix_hint("t", "partitions", "6", "b:9092")


def test_consumers_name_their_rack_when_one_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """FRONTLINE_CLIENT_RACK reaches every consumer as client_rack; unset, none is sent."""
    made: list[dict[str, Any]] = []

    def record(*topics: str, **kwargs: Any) -> object:
        made.append(kwargs)
        return object()

    monkeypatch.setattr(clients, "AIOKafkaConsumer", record)
    clients.make_consumer(
        Settings(bootstrap_servers="127.0.0.1:1", client_rack="az-2"), group_id=None
    )
    clients.make_consumer(Settings(bootstrap_servers="127.0.0.1:1"), group_id=None)
    assert made[0]["client_rack"] == "az-2"
    assert "client_rack" not in made[1]
    assert {k["isolation_level"] for k in made} == {"read_committed"}


@pytest.mark.parametrize("transactional_id", [None, "fl.hub-x-0"])
def test_producers_wait_for_every_in_sync_replica_and_are_idempotent(
    transactional_id: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every producer Frontline makes uses acks=all and idempotence, whatever the overrides."""
    made: list[dict[str, Any]] = []

    def record(**kwargs: Any) -> object:
        made.append(kwargs)
        return object()

    monkeypatch.setattr(clients, "AIOKafkaProducer", record)
    settings = Settings(bootstrap_servers="127.0.0.1:1")
    clients.make_producer(settings, transactional_id=transactional_id)
    clients.make_producer(settings, transactional_id=transactional_id, acks=1, linger_ms=0)
    clients.make_producer(settings, enable_idempotence=False)
    assert [(k["acks"], k["enable_idempotence"]) for k in made] == [("all", True)] * 3
    assert made[1]["linger_ms"] == 0  # other settings may still be tuned
    assert made[0].get("transactional_id") == transactional_id
