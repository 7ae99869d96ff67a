"""The access log reaches the bureau's access topic on a real broker, also after an outage."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from gateway.broker import LocalCluster
from gateway.kafka.topic_names import TopicNames
from gateway.post import PostService
from gateway.post.access_log import AccessPublisher
from gateway.post.api import create_app
from gateway.settings import Settings
from tests.support.post import service  # noqa: F401  # why: the shared fixture

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


async def _create_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 2, 1)])
    finally:
        await admin.close()


async def _read_all(bootstrap: str, topic: str, want: int) -> list[tuple[bytes, dict[str, Any]]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    got: list[tuple[bytes, dict[str, Any]]] = []
    try:
        deadline = time.monotonic() + 30
        while len(got) < want and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                got += [(r.key, json.loads(r.value)) for r in records]
    finally:
        await consumer.stop()
    return got


async def _screen(svc: PostService, token: str, names: list[str]) -> list[float]:
    """Screen each name through the API; returns how long each answer took (s)."""
    transport = httpx.ASGITransport(app=create_app(svc))
    took = []
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://p", headers=auth) as web:
        for name in names:
            began = time.perf_counter()
            assert (await web.post("/screen/person", json={"name": name})).status_code == 200
            took.append(time.perf_counter() - began)
    return took


async def _drained(svc: PostService, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while svc.access.pending():
        assert time.monotonic() < deadline, f"{svc.access.pending()} rows still pending"
        await asyncio.sleep(0.2)


async def test_screenings_are_published_to_the_access_topic(
    bootstrap: str,
    prefix: str,
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """Each screening appears once on <prefix>access.FRA, keyed by post, with officer and alerts."""
    settings = Settings(bootstrap_servers=bootstrap, topic_prefix=prefix)
    topic = TopicNames(prefix).access("FRA")
    await _create_topic(bootstrap, topic)
    officer, token = service.officers.add("Officer Dupont")
    publisher = AccessPublisher(settings, service.access, topic, idle_s=0.1)
    task = asyncio.create_task(publisher.run())
    try:
        await _screen(service, token, ["Anna Eriksson", "Nobody Atall", "Anna Maria Eriksson"])
        await _drained(service, 30)
    finally:
        publisher.stop()
        await task
    got = await _read_all(bootstrap, topic, 3)
    assert [value["seq"] for _, value in got] == [1, 2, 3]
    assert {key for key, _ in got} == {b"FRA.CDG"}
    first = got[0][1]
    assert first["officer"] == str(officer.id)
    assert first["post"] == "FRA.CDG"
    assert first["query"]["name"] == "Anna Eriksson"
    assert first["alerts"] == [{"alert_id": "INTERPOL:2025-118422", "version": 1}]
    assert got[1][1]["alerts"] == []
    assert service.access.published() == 3


async def test_screenings_during_a_broker_outage_are_sent_when_it_returns(
    prefix: str,
    service: PostService,  # noqa: F811  # why: the fixture above
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """With the broker down screening stays fast; every row is sent once it is back (none lost)."""
    cluster = LocalCluster(tmp_path_factory.mktemp("kafka-access"))
    bootstrap = (await asyncio.to_thread(cluster.up, port=0)).bootstrap
    try:
        settings = Settings(bootstrap_servers=bootstrap, topic_prefix=prefix)
        topic = TopicNames(prefix).access("FRA")
        await _create_topic(bootstrap, topic)
        _, token = service.officers.add("Officer Dupont")
        publisher = AccessPublisher(settings, service.access, topic, idle_s=0.1, retry_s=0.5)
        task = asyncio.create_task(publisher.run())
        try:
            await _screen(service, token, ["Anna Eriksson"])
            await _drained(service, 30)
            await asyncio.to_thread(cluster.down)
            took = await _screen(service, token, [f"Traveller{i} Away" for i in range(20)])
            assert max(took) < 1.0, took  # screening never waits for the broker
            await asyncio.sleep(1)
            assert service.access.pending() == 20
            await asyncio.to_thread(cluster.up)
            await _drained(service, 90)
        finally:
            publisher.stop()
            await task
        got = await _read_all(bootstrap, topic, 21)
        assert {value["seq"] for _, value in got} == set(range(1, 22))
    finally:
        await asyncio.to_thread(cluster.down)
