"""A stolen passport on the real broker: ingress -> hub -> node -> the posts subscribed by kind."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from gateway.contract import AlertKind
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

# CDG subscribes to travel documents; MENTON keeps the default kinds (persons, commodities).
TOPOLOGY = """version = 1
[[organizations]]
code = "INTERPOL"
name = "International Criminal Police Organization"
kind = "global"
[[countries]]
code = "FRA"
name = "France"
  [[countries.posts]]
  id = "CDG"
  name = "Paris CDG"
  type = "AIRPORT"
  [countries.posts.subscribes]
  kinds = ["WANTED_PERSON", "TRAVEL_DOCUMENT"]
  [[countries.posts]]
  id = "MENTON"
  name = "Menton"
  type = "LAND"
"""
PASSPORT = "C01X00T47"
ALERT_ID = "INTERPOL:SLTD-DEU-PATH-1"


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
            topics = [
                NewTopic(t, settings.partitions, 1, topic_configs=dict(COMPACTED)) for t in missing
            ]
            await admin.create_topics(topics)
    finally:
        await admin.close()


@pytest.fixture
async def posts(bootstrap: str, prefix: str, tmp_path: Path) -> AsyncIterator[list[PostService]]:
    """Hub, France's node and its two posts, running until the test ends."""
    topology = tmp_path / "topology.toml"
    topology.write_text(TOPOLOGY, encoding="utf-8")
    settings = Settings(
        bootstrap_servers=bootstrap, topic_prefix=prefix, topology_file=topology,
        data_dir=tmp_path, commit_interval_ms=50,
    )  # fmt: skip
    await _create_topics(settings)
    hub = HubService(settings, hub_id="documents-hub")
    node = NodeService(settings, parse_topology(TOPOLOGY), ["FRA"])
    services = [PostService(settings, "FRA", "CDG"), PostService(settings, "FRA", "MENTON")]
    tasks = [asyncio.create_task(hub.run()), asyncio.create_task(node.run())]
    tasks += [asyncio.create_task(p.run()) for p in services]
    try:
        await asyncio.wait_for(hub.engine.ready.wait(), 30)
        await asyncio.wait_for(node.engine.ready.wait(), 30)
        yield services
    finally:
        for service in services:
            service.stop()
        node.stop()
        hub.stop()
        for task in tasks:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 30)


async def _ingress(settings: Settings, *values: tuple[str, bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers)
    await producer.start()
    try:
        for key, value in values:
            topic = TopicNames(settings.topic_prefix).ingress("INTERPOL")
            await producer.send_and_wait(topic, value, key=key.encode())
    finally:
        await producer.stop()


async def _until(check: Callable[[], bool], timeout_s: float = 45) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not check():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.2)


async def test_stolen_passport_reaches_subscribed_post_and_cancel_removes_it(
    posts: list[PostService],
) -> None:
    """A planted stolen passport reaches the post subscribed to TRAVEL_DOCUMENT (not the
    other), a screening by its number answers the DocumentHit with status and action, and
    a CANCEL takes it off the post."""
    cdg, menton = posts
    settings = cdg.settings
    stolen = make_alert(
        ALERT_ID, kind=AlertKind.TRAVEL_DOCUMENT,
        subject={"document_number": PASSPORT, "issuing_country": "DEU", "status": "STOLEN"},
    )  # fmt: skip
    # A wanted person too: it reaches both posts, so MENTON's feed is known to be flowing.
    await _ingress(settings, (ALERT_ID, stolen), ("INTERPOL:P-1", make_alert("INTERPOL:P-1")))
    await _until(lambda: len(cdg.documents) == 1 and "INTERPOL:P-1" in menton.watchlist)
    assert len(menton.documents) == 0
    assert ALERT_ID not in cdg.watchlist

    answer = await cdg.screen_person_async(
        PersonQuery(document_number="c01x 00t47", document_country="DEU"), officer="officer-1"
    )
    (hit,) = answer.documents
    assert (hit.alert_id, hit.status, hit.action, hit.issuing_country) == (
        ALERT_ID, "STOLEN", "SEIZE_DOCUMENT", "DEU",
    )  # fmt: skip
    assert hit.issuer_matches
    logged = cdg.access.entries(after_seq=(answer.screening_id or 1) - 1, limit=1)[0]
    assert (ALERT_ID, 1) in {tuple(a) for a in logged.alerts}
    assert menton.screen_person(PersonQuery(document_number=PASSPORT)).documents == []

    cancel = make_alert(ALERT_ID, 2, kind=AlertKind.TRAVEL_DOCUMENT, msg_type="CANCEL")
    await _ingress(settings, (ALERT_ID, cancel))
    await _until(lambda: len(cdg.documents) == 0)
    assert cdg.screen_person(PersonQuery(document_number=PASSPORT)).documents == []
    assert cdg.store.document_count() == 0
