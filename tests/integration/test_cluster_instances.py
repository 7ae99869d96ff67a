"""Two hub and two node instances on a three-broker cluster; one of each SIGKILLed mid-stream,
and every national topic and every border-post feed still holds each version exactly once."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from gateway.broker import LocalCluster
from gateway.contract.codec import decode_dict
from gateway.kafka.layout import apply_topics, plan_topics
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings
from gateway.topology import parse_topology
from tests.support.alerts import make_alert
from tests.support.hub import COUNTRIES, expected_by_country
from tests.support.instances import expected_by_post, instance_env, owned, spawn, stop_all, until
from tests.support.kafka import read_all

# Starting three brokers takes 35 s idle, far more on a loaded machine.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

ALERTS = 240
PARTITIONS = 2
HUB_PARTITIONS = 3 * PARTITIONS  # two ingress topics and the hub inbox
NODE_PARTITIONS = 2 * len(COUNTRIES) * PARTITIONS  # each country's national and up topics
HUB_KILL = ALERTS + ALERTS // 5  # amid the updates
NODE_KILL = ALERTS + 3 * ALERTS // 5  # later: the node works behind the hub

# The hub tests' seven countries and two organizations, each country with two posts: AIR
# takes everything, LAND only INTERPOL's alerts (EUROPOL's updates tombstone it).
TOPOLOGY = (
    'version = 1\n[[organizations]]\ncode = "INTERPOL"\nname = "INTERPOL"\nkind = "global"\n'
    '[[organizations]]\ncode = "EUROPOL"\nname = "EUROPOL"\nkind = "regional"\n'
    + "".join(
        f'[[countries]]\ncode = "{c}"\nname = "{c}"\n'
        f'  [[countries.posts]]\n  id = "AIR"\n  name = "{c} airport"\n  type = "AIRPORT"\n'
        f'  [[countries.posts]]\n  id = "LAND"\n  name = "{c} border"\n  type = "LAND"\n'
        '  [countries.posts.subscribes]\n  organizations = ["INTERPOL"]\n'
        for c in COUNTRIES
    )
)


@pytest.fixture(scope="module")
def cluster3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A three-broker local cluster for the module, stopped at its end; its bootstrap."""
    cluster = LocalCluster(tmp_path_factory.mktemp("kafka3"))
    spec = cluster.up(port=0, brokers=3)
    try:
        yield spec.bootstrap
    finally:
        cluster.down(timeout=20)


def revisions() -> list[tuple[str, bytes]]:
    """(org, value) in publish order: every alert issued (some RED for FRA and COL only, some
    denied to USA), then updates (a third narrowed away from FRA and DEU, a third widened from
    RED to GREEN), then a CANCEL of every fifth."""
    shapes: list[dict[str, Any]] = [
        {},
        {"tlp": "RED", "release_to_countries": ["FRA", "COL"]},
        {"deny_countries": ["USA"]},
    ]
    out: list[tuple[str, bytes]] = []
    for i in range(ALERTS):
        org = "INTERPOL" if i % 2 else "EUROPOL"
        out.append((org, make_alert(f"{org}:C-{i}", 1, **shapes[i % 3])))
    for i in range(ALERTS):
        org = "INTERPOL" if i % 2 else "EUROPOL"
        if i % 3 == 0:
            out.append((org, make_alert(f"{org}:C-{i}", 2, deny_countries=["FRA", "DEU"])))
        elif i % 3 == 1:
            out.append((org, make_alert(f"{org}:C-{i}", 2, tlp="GREEN")))
    for i in range(0, ALERTS, 5):
        org = "INTERPOL" if i % 2 else "EUROPOL"
        out.append((org, make_alert(f"{org}:C-{i}", 3, msg_type="CANCEL")))
    return out


def _split(logs: list[Path], total: int) -> bool:
    """True when both instances own partitions and together all ``total`` of them."""
    last = [(owned(log) or [0])[-1] for log in logs]
    return min(last) > 0 and sum(last) == total


async def test_killed_hub_and_node_instances_lose_and_duplicate_nothing(
    cluster3: str, prefix: str, tmp_path: Path
) -> None:
    """With one of two hubs and one of two nodes SIGKILLed mid-stream on three brokers, each
    national topic and post feed holds each eligible version once and nothing else."""
    topology_path = tmp_path / "topology.toml"
    topology_path.write_text(TOPOLOGY, encoding="utf-8")
    topology = parse_topology(TOPOLOGY)
    settings = Settings(bootstrap_servers=cluster3, topic_prefix=prefix, partitions=PARTITIONS)
    results = await apply_topics(plan_topics(topology, settings), settings)
    assert all(r.ok for r in results)
    assert {r.spec.replication for r in results} == {3}
    names = TopicNames(prefix)
    env = instance_env(cluster3, prefix, topology_path)
    hub_logs = [tmp_path / "hub-a.log", tmp_path / "hub-b.log"]
    node_logs = [tmp_path / "node-a.log", tmp_path / "node-b.log"]
    hubs = [spawn(["hub", "run"], env, hub_logs[0])]
    nodes = [spawn(["node", "run", "--all"], env, node_logs[0])]
    stream = revisions()
    try:
        await until(lambda: bool(owned(hub_logs[0]) and owned(node_logs[0])), "first ones", 90)
        hubs.append(spawn(["hub", "run"], env, hub_logs[1]))
        nodes.append(spawn(["node", "run", "--all"], env, node_logs[1]))
        await until(lambda: _split(hub_logs, HUB_PARTITIONS), "hubs sharing", 90)
        await until(lambda: _split(node_logs, NODE_PARTITIONS), "nodes sharing", 90)
        before: dict[str, list[int]] = {}
        producer = AIOKafkaProducer(bootstrap_servers=cluster3, enable_idempotence=True)
        await producer.start()
        try:
            for n, (org, value) in enumerate(stream):
                key = decode_dict(value)[1]["envelope"]["alert_id"].encode()
                await producer.send(names.ingress(org), value, key=key)
                if n % 10 == 9:
                    await producer.flush()
                    await asyncio.sleep(0.05)  # a steady stream the instances work through
                if n == HUB_KILL:
                    before["hub"] = [owned(log)[-1] for log in hub_logs]
                    hubs[1].send_signal(signal.SIGKILL)
                    hubs[1].wait(10)
                if n == NODE_KILL:
                    before["node"] = [owned(log)[-1] for log in node_logs]
                    nodes[1].send_signal(signal.SIGKILL)
                    nodes[1].wait(10)
            await producer.flush()
        finally:
            await producer.stop()
        # Neither is restarted: each survivor takes the dead one's partitions over once its
        # session expires, fencing its open transactions with the same transactional ids.
        assert min(before["hub"]) > 0, f"a hub owned nothing at the kill: {before}"
        assert min(before["node"]) > 0, f"a node owned nothing at the kill: {before}"
        await until(lambda: owned(hub_logs[0])[-1] == HUB_PARTITIONS, "hub takeover", 90)
        await until(lambda: owned(node_logs[0])[-1] == NODE_PARTITIONS, "node takeover", 90)
        want = expected_by_country(stream)
        feeds = expected_by_post(topology, want, stream)
        topics = {names.ncb(c): want[c] for c in COUNTRIES}
        topics |= {names.post(c, p): feeds[c, p] for c, p in feeds}
        read = await asyncio.gather(
            *(
                read_all(cluster3, topic, sum(w.values()), quiet_s=2.0, timeout_s=90)
                for topic, w in topics.items()
            )
        )
        for (topic, wanted), records in zip(topics.items(), read, strict=True):
            got = Counter(
                (r.key.decode(), dict(r.headers)["fl-version"].decode(), r.value is None)
                for r in records
            )
            assert got == wanted, f"{topic}: {sum(got.values())} records, {len(wanted)} wanted"
        # The stream makes both kinds of topic count: versions some countries and posts must
        # not hold, revocations as tombstones, and a real volume.
        narrowed = "EUROPOL:C-0"  # issued to all, narrowed away from FRA, then cancelled
        assert want["ESP"][narrowed, "2", False] == want["FRA"][narrowed, "2", True] == 1
        assert not want["FRA"][narrowed, "3", True]
        assert feeds["FRA", "AIR"]["EUROPOL:C-0", "1", False] == 1
        assert not feeds["FRA", "LAND"]["EUROPOL:C-0", "1", False]
        assert sum(sum(w.values()) for w in topics.values()) > 10 * ALERTS
        assert hubs[0].poll() is None, "the surviving hub stopped"
        assert nodes[0].poll() is None, "the surviving node stopped"
    finally:
        stop_all(hubs + nodes)
