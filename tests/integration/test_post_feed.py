"""The border-post client on the real broker: bootstrap, tombstones, restart, broker away."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from gateway.broker import LocalCluster
from gateway.post import PostService
from gateway.post.api import create_app
from gateway.post.screening import PersonQuery
from gateway.post.service import FEED_LOST_AFTER_S
from tests.support.post import create_feed, person_alert, produce, settings_for

pytestmark = pytest.mark.integration


async def until(check: Callable[[], bool], timeout_s: float = 20) -> None:
    """Wait until ``check()`` holds, failing the test after ``timeout_s``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not check():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)


async def start(service: PostService, **kw: object) -> asyncio.Task[None]:
    """Run a post service in the background."""
    return asyncio.create_task(service.run(**kw))  # type: ignore[arg-type]  # why: run's keywords


async def finish(service: PostService, task: asyncio.Task[None]) -> None:
    """Stop a post service and wait for it."""
    service.stop()
    await asyncio.wait_for(task, 20)


async def test_feed_builds_watchlist_and_tombstones_remove(
    bootstrap: str, prefix: str, data_dir: Path
) -> None:
    """A first start reads the feed from the beginning; a tombstone removes the alert."""
    settings = settings_for(bootstrap, prefix, data_dir)
    service = PostService(settings, "FRA", "CDG")
    await create_feed(settings, service.topic)
    await produce(
        bootstrap, service.topic, [(f"INTERPOL:P-{i}", person_alert(i)) for i in range(30)]
    )
    task = await start(service)
    try:
        await asyncio.wait_for(service.feed.caught_up.wait(), 30)
        assert len(service.watchlist) == 30
        answer = service.screen_person(PersonQuery(name="Anna Maria Eriksson7"))
        assert answer.hits[0].subject_id == "INTERPOL:P-7"
        assert answer.hits[0].score == 1.0
        assert answer.staleness_seconds is not None
        assert answer.staleness_seconds < 5
        await produce(bootstrap, service.topic, [("INTERPOL:P-7", None)])
        await until(lambda: "INTERPOL:P-7" not in service.watchlist)
        after = service.screen_person(PersonQuery(name="Anna Maria Eriksson7"))
        assert "INTERPOL:P-7" not in {h.subject_id for h in after.hits}
        hop = {"hop": "node", "org": "INTERPOL", "kind": "WANTED_PERSON"}
        assert (
            service.registry.get_sample_value("frontline_post_hop_latency_seconds_count", hop) == 30
        )
    finally:
        await finish(service, task)


async def test_restart_catches_up_without_rereading(
    bootstrap: str, prefix: str, data_dir: Path
) -> None:
    """A restarted post answers from its store at once and fetches only the records it missed."""
    settings = settings_for(bootstrap, prefix, data_dir)
    first = PostService(settings, "FRA", "CDG")
    await create_feed(settings, first.topic)
    await produce(bootstrap, first.topic, [(f"INTERPOL:P-{i}", person_alert(i)) for i in range(40)])
    task = await start(first)
    await asyncio.wait_for(first.feed.caught_up.wait(), 30)
    await finish(first, task)
    assert first.feed.fetched == 40

    await produce(
        bootstrap,
        first.topic,
        [("INTERPOL:P-3", None), *((f"INTERPOL:P-{i}", person_alert(i)) for i in range(40, 45))],
    )
    second = PostService(settings, "FRA", "CDG")
    assert second.restored == 40  # answers before any fetch
    assert second.screen_person(PersonQuery(name="Anna Maria Eriksson3")).hits
    task = await start(second)
    try:
        await until(lambda: len(second.watchlist) == 44)
        await asyncio.sleep(1.0)  # nothing more arrives
        assert second.feed.fetched == 6
        assert "INTERPOL:P-3" not in second.watchlist
    finally:
        await finish(second, task)


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_screening_answers_with_staleness_when_broker_is_away(
    bootstrap: str, prefix: str, data_dir: Path
) -> None:
    """With the broker unreachable the post still screens from its store and reports staleness."""
    settings = settings_for(bootstrap, prefix, data_dir)
    online = PostService(settings, "FRA", "CDG")
    await create_feed(settings, online.topic)
    await produce(bootstrap, online.topic, [(f"INTERPOL:P-{i}", person_alert(i)) for i in range(5)])
    task = await start(online)
    await asyncio.wait_for(online.feed.caught_up.wait(), 30)
    await finish(online, task)

    away = settings.model_copy(update={"bootstrap_servers": f"127.0.0.1:{closed_port()}"})
    offline = PostService(away, "FRA", "CDG", retry_s=0.2)
    task = await start(offline)
    try:
        await asyncio.sleep(1.5)
        _, token = offline.officers.add("Officer Test")
        transport = httpx.ASGITransport(app=create_app(offline))
        auth = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://p", headers=auth) as web:
            body = (await web.post("/screen/person", json={"name": "Eriksson2 Anna"})).json()
            health = (await web.get("/health")).json()
            metrics = (await web.get("/metrics")).text
        assert body["hits"][0]["subject_id"] == "INTERPOL:P-2"
        assert body["staleness_seconds"] >= 1.0
        assert health["watchlist_size"] == 5
        assert health["caught_up"] is False
        gauge = re.search(r'frontline_post_staleness_seconds\{post="FRA.CDG"\} (\S+)', metrics)
        assert gauge is not None
        assert float(gauge.group(1)) >= 1.0
    finally:
        await finish(offline, task)


async def test_health_reports_the_broker_going_away(
    prefix: str, data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Within FEED_LOST_AFTER_S (+2 s) of its broker stopping, /health no longer says ok."""
    cluster = LocalCluster(tmp_path_factory.mktemp("kafka-away"))
    bootstrap = (await asyncio.to_thread(cluster.up, port=0)).bootstrap
    try:
        settings = settings_for(bootstrap, prefix, data_dir)
        service = PostService(settings, "FRA", "CDG", retry_s=0.2)
        await create_feed(settings, service.topic, partitions=1)
        await produce(bootstrap, service.topic, [("INTERPOL:P-1", person_alert(1))])
        task = await start(service)
        transport = httpx.ASGITransport(app=create_app(service))
        async with httpx.AsyncClient(transport=transport, base_url="http://post") as http:
            await asyncio.wait_for(service.feed.caught_up.wait(), 30)
            before = (await http.get("/health")).json()
            assert (before["status"], before["caught_up"]) == ("ok", True)
            await asyncio.to_thread(cluster.down)
            stopped = asyncio.get_running_loop().time()

            async def health() -> dict[str, object]:
                return dict((await http.get("/health")).json())

            while (now := await health())["status"] == "ok":
                waited = asyncio.get_running_loop().time() - stopped
                assert waited < FEED_LOST_AFTER_S + 2, f"still ok {waited:.0f} s after"
                await asyncio.sleep(0.2)
            assert (now["status"], now["feed_reachable"], now["caught_up"]) == (
                "stale", False, False
            )  # fmt: skip
            await finish(service, task)
    finally:
        cluster.down()
