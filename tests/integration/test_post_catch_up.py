"""A post far behind its feed catches up through librdkafka, then follows with aiokafka."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from gateway.broker import LocalCluster
from gateway.contract import AlertKind
from gateway.contract.codec import decode_dict
from gateway.kafka.headers import RouteHeaders
from gateway.node.route import DOCUMENT_HEADER, document_header
from gateway.post import PostService
from gateway.post.catch_up import catch_up
from gateway.post.screening import PersonQuery
from gateway.settings import Settings
from tests.support.alerts import make_alert
from tests.support.kafka import read_all
from tests.support.post import create_feed, settings_for

pytestmark = [pytest.mark.integration]


async def _produce_documents(bootstrap: str, topic: str, first: int, count: int) -> None:
    """Write travel-document alerts as a node writes them (routing headers and ``fl-doc``)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for i in range(first, first + count):
            alert_id = f"INTERPOL:SLTD-CU-{i}"
            value = make_alert(
                alert_id, kind=AlertKind.TRAVEL_DOCUMENT, subject={"document_number": f"CU{i:06d}"}
            )
            doc = document_header(decode_dict(value)[1])
            assert doc is not None
            route = RouteHeaders(
                kind="TRAVEL_DOCUMENT", org="INTERPOL", tlp="GREEN", status="ACTUAL",
                msg_type="ALERT", version=1,
            )  # fmt: skip
            headers = [*route.to_kafka(), (DOCUMENT_HEADER, doc)]
            await producer.send(topic, value, key=alert_id.encode(), headers=headers)
        await producer.flush()
    finally:
        await producer.stop()


async def _until(check: Callable[[], bool], timeout_s: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not check():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.2)


async def test_catch_up_then_follow(
    bootstrap: str, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first start 300 records behind (threshold lowered to 100) reads them through the
    librdkafka catch-up, stores its offsets, and the aiokafka consumer then takes a new one."""
    settings = settings_for(bootstrap, prefix, tmp_path)
    service = PostService(settings, "FRA", "CDG")
    await create_feed(settings, service.topic)
    await _produce_documents(bootstrap, service.topic, 0, 300)
    reached: list[dict[int, int]] = []
    real = catch_up

    async def spy(*args: Any) -> dict[int, int]:
        out = await real(*args)
        reached.append(out)
        return out

    monkeypatch.setattr("gateway.post.feed.catch_up", spy)
    service.feed.catch_up_min = 100
    task = asyncio.create_task(service.run())
    try:
        await asyncio.wait_for(service.feed.caught_up.wait(), 90)
        assert len(service.documents) == 300
        assert len(reached) == 1
        assert sum(reached[0].values()) == 300
        assert sum(service.store.offsets(service.topic).values()) == 300
        await _produce_documents(bootstrap, service.topic, 300, 1)
        await _until(lambda: len(service.documents) == 301)
        answer = await service.screen_person_async(PersonQuery(document_number="CU000300"))
        assert [d.alert_id for d in answer.documents] == ["INTERPOL:SLTD-CU-300"]
        assert len(reached) == 1  # the live record came through aiokafka
    finally:
        service.stop()
        await asyncio.wait_for(task, 30)


@pytest.fixture
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalCluster, str]]:
    """A one-broker cluster of this test's own, which it may kill and restart."""
    cluster = LocalCluster(tmp_path_factory.mktemp("kafka-catch-up"))
    spec = cluster.up(port=0, brokers=1)
    try:
        yield cluster, spec.bootstrap
    finally:
        cluster.down(timeout=20)


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_catch_up_through_a_broker_kill_holds_every_document_of_the_feed(
    own_broker: tuple[LocalCluster, str],
    prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The broker SIGKILLed after the catch-up's first batch and restarted 4 s later: the
    post ends holding exactly the feed's documents (read back from the topic) and offsets at
    its end, whether librdkafka or aiokafka read the rest."""
    cluster, bootstrap = own_broker
    settings = settings_for(bootstrap, prefix, tmp_path)
    service = PostService(settings, "FRA", "CDG")
    await create_feed(settings, service.topic)
    total = 30_000  # three of the catch-up's 10,000-record batches at least
    await _produce_documents(bootstrap, service.topic, 0, total)
    killed: list[int] = []
    real = catch_up

    async def killing(settings: Settings, topic: str, starts: dict[int, int], apply: Any,
                      stopping: asyncio.Event) -> dict[int, int]:  # fmt: skip
        async def apply_then_kill(batch: Any) -> None:
            await apply(batch)
            if not killed:
                killed.append(sum(len(r) for r in batch.values()))
                await asyncio.to_thread(cluster.stop_node, 1, kill=True)
                restart.append(asyncio.create_task(_restart(cluster)))

        return await real(settings, topic, starts, apply_then_kill, stopping)

    restart: list[asyncio.Task[None]] = []
    monkeypatch.setattr("gateway.post.feed.catch_up", killing)
    service.feed.catch_up_min = 1_000
    task = asyncio.create_task(service.run())
    try:
        await _until(lambda: len(service.documents) == total, timeout_s=180)
        assert killed  # the broker died with the catch-up mid-stream
        assert killed[0] < total
        await asyncio.gather(*restart)
        held = {r.key.decode() for r in await read_all(bootstrap, service.topic)}
        assert len(held) == total
        listed = {alert_id for alert_id, *_ in service.store.document_listing()}
        assert listed == held
        assert sum(service.store.offsets(service.topic).values()) >= total
    finally:
        service.stop()
        await asyncio.wait_for(task, 60)


async def _restart(cluster: LocalCluster) -> None:
    await asyncio.sleep(4.0)
    await asyncio.to_thread(cluster.start_node, 1)
