"""Creating the topic layout on a real Apache Kafka broker, idempotently and with its configs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from typer.testing import CliRunner

from gateway.cli.topics import app
from gateway.kafka.layout import apply_topics, plan_topics
from gateway.settings import Settings
from gateway.topology import Topology, parse_topology
from tests.support.topologies import SMALL

pytestmark = pytest.mark.integration


@pytest.fixture
def topology() -> Topology:
    return parse_topology(SMALL)


@pytest.fixture
def settings(bootstrap: str, prefix: str) -> Settings:
    return Settings(bootstrap_servers=bootstrap, topic_prefix=prefix, partitions=2)


@pytest.fixture
async def admin(bootstrap: str, prefix: str) -> AsyncIterator[AIOKafkaAdminClient]:
    """An admin client that deletes this test's topics afterwards."""
    client = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await client.start()
    try:
        yield client
    finally:
        mine = [name for name in await client.list_topics() if name.startswith(prefix)]
        if mine:
            await client.delete_topics(mine)
        await client.close()


async def _configs(admin: AIOKafkaAdminClient, topic: str) -> dict[str, str]:
    responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    (resource,) = responses[0].to_object()["resources"]
    return {e["config_names"]: e["config_value"] for e in resource["config_entries"]}


async def test_apply_twice_creates_once_with_the_planned_configs(
    topology: Topology, settings: Settings, admin: AIOKafkaAdminClient, prefix: str
) -> None:
    """The first apply creates every topic; the second creates none and reports no drift."""
    specs = plan_topics(topology, settings)
    first = await apply_topics(specs, settings)
    assert {r.status for r in first} == {"created"}
    on_broker = {n for n in await admin.list_topics() if n.startswith(prefix)}
    assert on_broker == {s.name for s in specs}

    second = await apply_topics(specs, settings)
    assert {r.status for r in second} == {"exists"}
    assert all(not r.drift for r in second)

    post = await _configs(admin, f"{prefix}post.FRA.CDG")
    assert post["cleanup.policy"] == "compact"
    assert post["delete.retention.ms"] == str(7 * 86_400_000)
    assert post["min.cleanable.dirty.ratio"] == "0.1"
    audit = await _configs(admin, f"{prefix}audit")
    assert (audit["cleanup.policy"], audit["retention.ms"]) == ("delete", str(365 * 86_400_000))
    (described,) = await admin.describe_topics([f"{prefix}hub.state"])
    assert len(described["partitions"]) == 2


async def test_dry_run_changes_nothing(
    topology: Topology, settings: Settings, admin: AIOKafkaAdminClient, prefix: str
) -> None:
    """A dry run reports would-create for every topic and leaves the broker untouched."""
    results = await apply_topics(plan_topics(topology, settings), settings, dry_run=True)
    assert {r.status for r in results} == {"would-create"}
    assert not [n for n in await admin.list_topics() if n.startswith(prefix)]


async def test_existing_topic_with_other_configs_reports_drift(
    topology: Topology, settings: Settings, admin: AIOKafkaAdminClient, prefix: str
) -> None:
    """A pre-existing NCB topic made delete-policy with one partition is flagged, not altered."""
    ncb = f"{prefix}ncb.FRA"
    await admin.create_topics([NewTopic(ncb, 1, 1, topic_configs={"cleanup.policy": "delete"})])
    results = {
        r.spec.name: r for r in await apply_topics(plan_topics(topology, settings), settings)
    }
    assert results[ncb].status == "exists"
    assert results[ncb].drift["cleanup.policy"] == ("compact", "delete")
    assert results[ncb].drift["partitions"] == ("2", "1")
    assert (await _configs(admin, ncb))["cleanup.policy"] == "delete"


async def test_refused_topic_is_reported_failed(
    topology: Topology, bootstrap: str, prefix: str, admin: AIOKafkaAdminClient
) -> None:
    """Asking for more replicas than brokers gives failed results with the broker's reason."""
    settings = Settings(bootstrap_servers=bootstrap, topic_prefix=prefix, replication_factor=5)
    results = await apply_topics(plan_topics(topology, settings), settings)
    assert {r.status for r in results} == {"failed"}
    assert all(r.error and "replication" in r.error.lower() for r in results)


def test_cli_apply_prints_a_table_and_summary(
    topology: Topology,
    settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
    admin: AIOKafkaAdminClient,
) -> None:
    """``topics apply`` prints each topic with its status, then a summary, and exits 0."""
    path = tmp_path_factory.mktemp("topo") / "topology.toml"
    path.write_text(SMALL, encoding="utf-8")
    runner = CliRunner()
    dry = runner.invoke(app, ["apply", "--dry-run", "--topology", str(path)], obj=settings)
    assert dry.exit_code == 0, dry.output
    assert "would-create" in dry.output
    assert "0 created" in dry.output
    real = runner.invoke(app, ["apply", "--topology", str(path)], obj=settings)
    assert real.exit_code == 0, real.output
    total = len(plan_topics(topology, settings))
    assert f"{total} topics: {total} created, 0 existing" in real.output
    listed = runner.invoke(app, ["list", "--topology", str(path)], obj=settings)
    assert listed.exit_code == 0, listed.output
    assert "0 planned but missing" in listed.output


def test_cli_apply_without_a_broker_explains_the_fix(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """With no bootstrap set and no local broker, apply exits 2 naming `frontline broker up`."""
    empty = tmp_path_factory.mktemp("nobroker")
    settings = Settings(bootstrap_servers=None, data_dir=empty)
    result = CliRunner().invoke(app, ["apply", "--dry-run"], obj=settings)
    assert result.exit_code == 2
    assert "frontline broker up" in result.output
