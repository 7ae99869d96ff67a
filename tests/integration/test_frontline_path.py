"""The whole path on the real broker: connector -> hub -> national nodes -> border posts."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from connectors.registry import get_connector
from connectors.runtime.publisher import Publisher
from gateway.hub.service import HubService, hub_topics
from gateway.kafka.layout import COMPACTED, apply_topics, plan_topics
from gateway.kafka.topic_names import TopicNames
from gateway.node.service import NodeService
from gateway.post import PostService
from gateway.post.screening import PersonQuery
from gateway.settings import Settings
from gateway.topology import parse_topology
from tests.support.alerts import make_alert

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOPOLOGY = """version = 1
[[organizations]]
code = "INTERPOL"
name = "International Criminal Police Organization"
kind = "global"
[[organizations]]
code = "EUROPOL"
name = "European Union Agency for Law Enforcement Cooperation"
kind = "regional"
[[countries]]
code = "FRA"
name = "France"
  [[countries.posts]]
  id = "CDG"
  name = "Paris CDG"
  type = "AIRPORT"
  [[countries.posts]]
  id = "MENTON"
  name = "Menton"
  type = "LAND"
  [countries.posts.subscribes]
  kinds = ["WANTED_PERSON"]
[[countries]]
code = "DEU"
name = "Germany"
  [[countries.posts]]
  id = "MUC"
  name = "Munich Airport"
  type = "AIRPORT"
"""
POSTS = (("FRA", "CDG"), ("FRA", "MENTON"), ("DEU", "MUC"))


@dataclass
class Frontline:
    """Running hub, nodes and posts, with the settings they share."""

    settings: Settings
    posts: list[PostService]

    async def ingress(self, *values: tuple[str, bytes]) -> None:
        """Write alerts to INTERPOL's ingress topic as its connector would."""
        names = TopicNames(self.settings.topic_prefix)
        producer = AIOKafkaProducer(bootstrap_servers=self.settings.bootstrap_servers)
        await producer.start()
        try:
            for key, value in values:
                await producer.send_and_wait(names.ingress("INTERPOL"), value, key=key.encode())
        finally:
            await producer.stop()

    async def until(self, check: Callable[[PostService], bool], timeout_s: float = 45) -> None:
        """Wait until ``check`` holds at every post."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not all(check(p) for p in self.posts):
            assert loop.time() < deadline, [(p.name, len(p.watchlist)) for p in self.posts]
            await asyncio.sleep(0.2)


async def _create_topics(settings: Settings) -> None:
    topology = parse_topology(TOPOLOGY)
    results = await apply_topics(plan_topics(topology, settings), settings)
    assert all(r.ok for r in results)
    planned = {r.spec.name for r in results}
    extra = hub_topics(topology, TopicNames(settings.topic_prefix))["internal"]
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        missing = [t for t in extra if t not in planned]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(t, settings.partitions, 1, topic_configs=dict(COMPACTED))
                    for t in missing
                ]
            )
    finally:
        await admin.close()


@pytest.fixture
async def frontline(bootstrap: str, prefix: str, tmp_path: Path) -> AsyncIterator[Frontline]:
    """Hub, the nodes of France and Germany, and three posts, all running."""
    topology = tmp_path / "topology.toml"
    topology.write_text(TOPOLOGY, encoding="utf-8")
    settings = Settings(
        bootstrap_servers=bootstrap, topic_prefix=prefix, topology_file=topology,
        data_dir=tmp_path, commit_interval_ms=50,
    )  # fmt: skip
    await _create_topics(settings)
    hub = HubService(settings, hub_id="path-hub")
    node = NodeService(settings, parse_topology(TOPOLOGY), ["FRA", "DEU"])
    posts = [PostService(settings, c, p) for c, p in POSTS]
    tasks = [asyncio.create_task(hub.run()), asyncio.create_task(node.run())]
    tasks += [asyncio.create_task(p.run()) for p in posts]
    try:
        await asyncio.wait_for(hub.engine.ready.wait(), 30)
        await asyncio.wait_for(node.engine.ready.wait(), 30)
        yield Frontline(settings, posts)
    finally:
        for post in posts:
            post.stop()
        node.stop()
        hub.stop()
        for task in tasks:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 30)


async def test_alert_reaches_posts_and_revocations_remove_it(frontline: Frontline) -> None:
    """Connector output reaches every eligible watchlist; a cancel and a raise to RED remove it."""
    connector = get_connector("INTERPOL")
    sample = await asyncio.to_thread(Path("connectors/samples/interpol.json").read_bytes)
    async with Publisher(frontline.settings, connector) as publisher:
        await publisher.publish(sample, "interpol.json")
    await frontline.ingress(
        ("INTERPOL:PATH-1", make_alert("INTERPOL:PATH-1")),
        ("INTERPOL:PATH-2", make_alert("INTERPOL:PATH-2")),
    )
    wanted = {"INTERPOL:2021/75051", "INTERPOL:PATH-1", "INTERPOL:PATH-2"}
    await frontline.until(lambda p: wanted <= {e.alert_id for e in p.watchlist.entries()})

    cdg = frontline.posts[0]
    answer = cdg.screen_person(PersonQuery(name="Eriksson Anna Maria", date_of_birth="1974"))
    assert {"INTERPOL:PATH-1", "INTERPOL:PATH-2"} <= {
        a.alert_id for h in answer.hits for a in h.alerts
    }
    assert answer.staleness_seconds is not None
    e2e = cdg.registry.get_sample_value(
        "frontline_post_e2e_latency_seconds_count", {"org": "INTERPOL", "kind": "WANTED_PERSON"}
    )
    assert e2e is not None
    assert e2e >= 2
    for hop in ("connector", "hub", "node", "post"):
        labels = {"hop": hop, "org": "INTERPOL", "kind": "WANTED_PERSON"}
        assert cdg.registry.get_sample_value("frontline_post_hop_latency_seconds_count", labels)

    await frontline.ingress(
        ("INTERPOL:PATH-1", make_alert("INTERPOL:PATH-1", 2, msg_type="CANCEL")),
        ("INTERPOL:PATH-2", make_alert("INTERPOL:PATH-2", 2, tlp="RED")),
    )
    gone = {"INTERPOL:PATH-1", "INTERPOL:PATH-2"}
    await frontline.until(lambda p: not gone & {e.alert_id for e in p.watchlist.entries()})
    assert all("INTERPOL:2021/75051" in p.watchlist for p in frontline.posts)
