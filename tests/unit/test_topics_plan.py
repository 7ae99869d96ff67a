"""The topic layout planned from a topology: names, sizing and broker configs."""

from __future__ import annotations

import pytest

from gateway.kafka.layout import TopicSpec, plan_topics
from gateway.settings import Settings
from gateway.topology import Topology, load_topology

DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def topology() -> Topology:
    return load_topology(None)


@pytest.fixture(scope="module")
def plan(topology: Topology) -> dict[str, TopicSpec]:
    settings = Settings(bootstrap_servers="unused:9092", partitions=4, replication_factor=1)
    return {spec.name: spec for spec in plan_topics(topology, settings)}


def test_one_topic_per_organization_country_and_post(
    topology: Topology, plan: dict[str, TopicSpec]
) -> None:
    """The plan has ingress and outbound per organization, NCB, access log and up per country,
    a feed per post, and 6 shared."""
    posts = list(topology.posts())
    expected = 2 * len(topology.organizations) + 3 * len(topology.countries) + len(posts) + 6
    assert len(plan) == expected
    assert "fl.ingress.interpol" in plan
    assert "fl.ncb.FRA" in plan
    assert plan["fl.access.FRA"].policy == "delete"
    assert "fl.post.USA.SYS" in plan
    shared = {
        "fl.quarantine",
        "fl.audit",
        "fl.review",
        "fl.review.decisions",
        "fl.hub.state",
        "fl.hub.inbox",
    }
    assert shared <= set(plan)
    assert "fl.node.state" not in plan  # the national node keeps no state


def test_names_are_unique(topology: Topology) -> None:
    """No two planned topics share a name, so no spec silently replaces another."""
    specs = plan_topics(topology, Settings(bootstrap_servers="unused:9092"))
    assert len({s.name for s in specs}) == len(specs)


def test_feeds_and_state_are_compacted_with_tombstone_retention(
    plan: dict[str, TopicSpec],
) -> None:
    """NCB, post, review and state topics compact and keep tombstones for seven days."""
    for name in ("fl.ncb.FRA", "fl.post.FRA.CDG", "fl.review", "fl.hub.state"):
        configs = plan[name].configs
        assert configs["cleanup.policy"] == "compact", name
        assert configs["delete.retention.ms"] == str(7 * DAY_MS), name
        assert float(configs["min.cleanable.dirty.ratio"]) < 0.5, name
        assert int(configs["segment.ms"]) < 7 * DAY_MS, name
        assert "retention.ms" not in configs, name


@pytest.mark.parametrize(
    ("name", "days"),
    [("fl.ingress.europol", 7), ("fl.quarantine", 30), ("fl.audit", 365)],
)
def test_log_topics_delete_after_their_retention(
    plan: dict[str, TopicSpec], name: str, days: int
) -> None:
    """Ingress, quarantine and audit topics are delete-policy with their retention."""
    assert plan[name].configs["cleanup.policy"] == "delete"
    assert plan[name].configs["retention.ms"] == str(days * DAY_MS)
    assert plan[name].policy == "delete"


def test_state_topics_have_at_least_the_ingress_partitions(plan: dict[str, TopicSpec]) -> None:
    """Every topic takes settings.partitions, and state never has fewer than ingress."""
    assert {s.partitions for s in plan.values()} == {4}
    assert plan["fl.hub.state"].partitions >= plan["fl.ingress.interpol"].partitions


def test_prefix_and_replication_come_from_settings(topology: Topology) -> None:
    """A custom prefix names every topic, and three replicas require two in sync."""
    settings = Settings(bootstrap_servers="unused:9092", topic_prefix="x.", replication_factor=3)
    specs = plan_topics(topology, settings)
    assert all(s.name.startswith("x.") for s in specs)
    assert all(s.replication == 3 for s in specs)
    assert all(s.configs["min.insync.replicas"] == "2" for s in specs)


def test_single_replica_asks_one_in_sync_and_no_unclean_election(
    plan: dict[str, TopicSpec],
) -> None:
    """With one replica set explicitly, min.insync.replicas is 1 and unclean election off."""
    assert all(s.configs["min.insync.replicas"] == "1" for s in plan.values())
    assert all(s.configs["unclean.leader.election.enable"] == "false" for s in plan.values())
