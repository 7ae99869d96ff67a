"""Topics on three brokers: three copies, two in sync, drift reported, no loss on a kill."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from typer.testing import CliRunner

from gateway.broker import LocalCluster, resolve_runtime
from gateway.cli import app
from gateway.kafka.clients import make_producer
from gateway.kafka.layout import apply_topics, apply_topics_report, plan_topics
from gateway.settings import Settings
from gateway.topology import parse_topology
from tests.support.kafka import read_all
from tests.support.topologies import SMALL

# The first test's time includes starting three brokers: 35 s idle, 110 s at load 35.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

YEAR = str(365 * 86_400_000)  # the audit topic's planned retention


@pytest.fixture(scope="module")
def cluster3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalCluster, str]]:
    """One three-broker local cluster for the module, stopped at its end."""
    cluster = LocalCluster(tmp_path_factory.mktemp("kafka3"))
    spec = cluster.up(port=0, brokers=3)
    try:
        yield cluster, spec.bootstrap
    finally:
        cluster.down(timeout=20)


@pytest.fixture
def settings(cluster3: tuple[LocalCluster, str], prefix: str) -> Settings:
    """Settings without FRONTLINE_REPLICATION_FACTOR: the factor follows the cluster."""
    return Settings(bootstrap_servers=cluster3[1], topic_prefix=prefix, partitions=2)


@pytest.fixture
async def admin(settings: Settings) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await client.start()
    try:
        yield client
    finally:
        mine = [n for n in await client.list_topics() if n.startswith(settings.topic_prefix)]
        if mine:
            await client.delete_topics(mine)
        await client.close()


async def _configs(admin: AIOKafkaAdminClient, topic: str) -> dict[str, str]:
    """The topic's configs, once the answering broker knows the new topic (any broker may
    answer, and each learns a new topic from the metadata log a moment after it is made:
    until then it answers UNKNOWN_TOPIC_OR_PARTITION, error 3)."""
    for _ in range(40):
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        (resource,) = responses[0].to_object()["resources"]
        if resource["error_code"] != 3:
            break
        await asyncio.sleep(0.25)
    assert resource["error_code"] == 0, resource
    return {e["config_names"]: e["config_value"] for e in resource["config_entries"]}


async def _settles(admin: AIOKafkaAdminClient, topic: str, key: str, value: str) -> bool:
    """True once six reads in a row (any broker may answer) give ``value`` for ``key``;
    each broker learns a changed config from the metadata log a moment after the change."""
    streak = 0
    for _ in range(80):
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        (resource,) = responses[0].to_object()["resources"]
        held = {e["config_names"]: e["config_value"] for e in resource["config_entries"]}
        streak = streak + 1 if held.get(key) == value else 0
        if streak >= 6:
            return True
        await asyncio.sleep(0.25)
    return False


async def _partitions(admin: AIOKafkaAdminClient, topic: str) -> list[dict[str, Any]]:
    """The topic's partitions, once the answering broker knows the new topic and its leaders."""
    for _ in range(40):
        (described,) = await admin.describe_topics([topic])
        parts: list[dict[str, Any]] = described["partitions"]
        if parts and all(p["leader"] >= 0 for p in parts):
            return parts
        await asyncio.sleep(0.25)
    return parts


async def _copies(admin: AIOKafkaAdminClient, topic: str) -> list[int]:
    """Replicas per partition, once the answering broker knows the new topic's partitions."""
    return [len(p["replicas"]) for p in await _partitions(admin, topic)]


async def test_apply_on_three_brokers_makes_three_copies_two_in_sync(
    settings: Settings, admin: AIOKafkaAdminClient
) -> None:
    """Without FRONTLINE_REPLICATION_FACTOR, every topic gets 3 replicas, min.insync 2 and
    unclean leader election off; a second apply finds nothing to fix."""
    specs = plan_topics(parse_topology(SMALL), settings)
    first = await apply_topics_report(specs, settings)
    assert first.brokers == [1, 2, 3]
    assert {r.status for r in first.results} == {"created"}
    assert {r.spec.replication for r in first.results} == {3}
    for topic in (f"{settings.topic_prefix}ncb.FRA", f"{settings.topic_prefix}ingress.interpol"):
        assert await _copies(admin, topic) == [3, 3]
        configs = await _configs(admin, topic)
        assert configs["min.insync.replicas"] == "2"
        assert configs["unclean.leader.election.enable"] == "false"
    second = await apply_topics(specs, settings)
    assert all(r.status == "exists" and not r.drift and not r.fixed for r in second)


async def test_drift_is_reported_fixed_where_safe_and_planned_where_not(
    settings: Settings, admin: AIOKafkaAdminClient, tmp_path: Path
) -> None:
    """A hand-made topic with one replica is reported with a reassignment plan that Kafka's
    own tool executes; one with min.insync 1 on three copies is set to 2 by apply."""
    prefix = settings.topic_prefix
    thin, loose = f"{prefix}ncb.FRA", f"{prefix}audit"
    await admin.create_topics(
        [
            NewTopic(thin, 2, 1, topic_configs={"cleanup.policy": "compact"}),
            NewTopic(loose, 2, 3, topic_configs={"min.insync.replicas": "1", "retention.ms": YEAR}),
        ]
    )
    topology = tmp_path / "topology.toml"
    topology.write_text(SMALL, encoding="utf-8")
    plan = tmp_path / "plan.json"
    env = {
        "FRONTLINE_BOOTSTRAP_SERVERS": str(settings.bootstrap_servers),
        "FRONTLINE_TOPIC_PREFIX": prefix,
        "FRONTLINE_PARTITIONS": "2",
    }
    args = ["topics", "apply", "--json", "--topology", str(topology), "--reassignment", str(plan)]
    result = await asyncio.to_thread(CliRunner().invoke, app, args, env=env)  # runs its own loop
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    rows = {t["topic"]: t for t in document["topics"]}
    assert rows[thin]["drift"]["replication"]["planned"] == "3"
    assert rows[thin]["drift"]["replication"]["broker"] == "1"
    assert "kafka-reassign-partitions" in rows[thin]["drift"]["replication"]["fix"]
    assert rows[loose]["fixed"] == {"min.insync.replicas": {"planned": "2", "broker": "1"}}
    assert not rows[loose]["drift"]
    assert document["counts"]["fixed"] == 1
    assert await _settles(admin, loose, "min.insync.replicas", "2")
    # The plan runs as is with Kafka's own tool, and the next apply sees three copies.
    written = json.loads(plan.read_text(encoding="utf-8"))
    assert written == document["reassignment"]
    assert {(r["topic"], len(r["replicas"])) for r in written["partitions"]} == {(thin, 3)}
    tool = [
        "java", "-cp", resolve_runtime().classpath,
        "org.apache.kafka.tools.reassign.ReassignPartitionsCommand",
        "--bootstrap-server", str(settings.bootstrap_servers),
        "--reassignment-json-file", str(plan),
    ]  # fmt: skip
    run = subprocess.run
    await asyncio.to_thread(run, [*tool, "--execute"], check=True, capture_output=True, timeout=60)
    for _ in range(60):
        if await _copies(admin, thin) == [3, 3]:
            break
        await asyncio.sleep(0.5)
    again = await apply_topics(plan_topics(parse_topology(SMALL), settings), settings)
    by_name = {r.spec.name: r for r in again}
    assert "replication" not in by_name[thin].drift
    assert not by_name[loose].drift


async def test_a_killed_broker_loses_no_acknowledged_record(
    cluster3: tuple[LocalCluster, str], settings: Settings
) -> None:
    """With three copies and two in sync, SIGKILL of the leader mid-stream: the acks=all
    producer keeps writing and a read_committed reader gets every record exactly once."""
    cluster, bootstrap = cluster3
    topic = f"{settings.topic_prefix}ncb.FRA"
    (spec,) = [s for s in plan_topics(parse_topology(SMALL), settings) if s.name == topic]
    (result,) = await apply_topics([spec], settings)
    assert result.spec.replication == 3
    # No topic cleanup afterwards: the victim may be the controller, and the cluster goes anyway.
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        partitions = await _partitions(admin, topic)
    finally:
        await admin.close()
    victim = next(p["leader"] for p in partitions if p["partition"] == 0)
    total = 2000
    producer = make_producer(settings)
    await producer.start()
    try:
        for n in range(total):
            await producer.send(topic, f"v{n}".encode(), key=f"k{n}".encode())
            if n == total // 3:
                await producer.flush()
                await asyncio.to_thread(cluster.stop_node, victim, kill=True)
            if n % 100 == 99:
                await asyncio.sleep(0.01)
        await producer.flush()
    finally:
        await producer.stop()
    # The victim stays down: this is the module's last test and the cluster goes down after it.
    records = await read_all(bootstrap, topic, total, quiet_s=1.0, timeout_s=60)
    got = Counter(r.value for r in records)
    assert len(got) == total, f"{total - len(got)} acknowledged records lost"
    assert set(got.values()) == {1}, "a record was written twice"
    assert cluster.node_pid(victim) is None  # the reads came from the two survivors
