"""Hits, acknowledgements, receipts and FALSE_MATCH memory of a post on a real broker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from gateway.broker import LocalCluster
from gateway.contract.enums import Org
from gateway.contract.messages import (
    HitAck,
    HitOutcome,
    Receipt,
    decode_as,
    encode_message,
    message_kind,
)
from gateway.kafka.topic_names import TopicNames
from gateway.post import PostService
from gateway.post.api import create_app
from tests.support.post import create_feed, person_alert, produce, settings_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


async def _create(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 2, 1)])
    finally:
        await admin.close()


async def _read(bootstrap: str, topic: str, settle_s: float = 2.0) -> list[Any]:
    """Every record of ``topic`` (read until nothing came for ``settle_s``)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None,
        isolation_level="read_committed",
    )  # fmt: skip
    await consumer.start()
    got: list[Any] = []
    try:
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < settle_s:
            batch = await consumer.getmany(timeout_ms=300)
            for records in batch.values():
                got += records
                quiet_since = time.monotonic()
    finally:
        await consumer.stop()
    return got


async def _until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


async def _start(service: PostService) -> asyncio.Task[None]:
    task = asyncio.create_task(service.run())
    await _until(lambda: len(service.watchlist) > 0, 60, "the watchlist")
    return task


async def _stop(service: PostService, task: asyncio.Task[None]) -> None:
    service.stop()
    # With the broker down the outbox first waits out its send (10 s request timeout) and its
    # producer's stop (5 s); on a machine at load 8 that took over 30 s in one fresh run.
    await asyncio.wait_for(task, 60)


def _status(service: PostService) -> list[str]:
    return [hit.status for hit in service.book.hits()]


async def test_a_hit_reported_while_the_broker_is_down_is_sent_once_after(
    prefix: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A hit stored during an outage and a restart reaches fl.up.FRA exactly once, and the
    node's acknowledgement on the feed shows in the post's hits."""
    cluster = LocalCluster(tmp_path_factory.mktemp("kafka-hits"))
    bootstrap = (await asyncio.to_thread(cluster.up, port=0)).bootstrap
    try:
        settings = settings_for(bootstrap, prefix, tmp_path)
        names = TopicNames(prefix)
        feed, up = names.post("FRA", "CDG"), names.up("FRA")
        await create_feed(settings, feed)
        await _create(bootstrap, up)
        await produce(bootstrap, feed, [("INTERPOL:P-1", person_alert(1))])
        service = PostService(settings, "FRA", "CDG", retry_s=0.3)
        task = await _start(service)
        await asyncio.to_thread(cluster.down)
        report = service.report_hit("INTERPOL:P-1", HitOutcome.ARRESTED, note="gate B12")
        await asyncio.sleep(1)
        assert _status(service) == ["stored"]
        await _stop(service, task)
        await asyncio.to_thread(cluster.up)
        service = PostService(settings, "FRA", "CDG", retry_s=0.3)  # a restart
        task = await _start(service)
        await _until(lambda: _status(service) == ["sent"], 90, "the hit to be sent")
        ack = HitAck(
            hit_id=report.hit_id, alert_id="INTERPOL:P-1", org=Org.INTERPOL,
            instructions="hold, call NCB", acked_at=datetime.now(UTC), acked_by="interpol",
        )  # fmt: skip
        value, headers = encode_message(ack)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            key = f"ack:{report.hit_id}".encode()
            await producer.send_and_wait(feed, value, key=key, headers=headers)
        finally:
            await producer.stop()
        await _until(lambda: _status(service) == ["acknowledged"], 60, "the acknowledgement")
        assert service.book.hits()[0].ack == ack
        assert len(service.watchlist) == 1  # the ack is no alert
        await _stop(service, task)
        service = PostService(settings, "FRA", "CDG", retry_s=0.3)  # and again: nothing re-sent
        task = await _start(service)
        await asyncio.sleep(2)
        await _stop(service, task)
        records = await _read(bootstrap, up)
        hits = [r for r in records if message_kind(r.headers) == "hit"]
        assert [r.key for r in hits] == [report.hit_id.encode()]
        assert hits[0].value == encode_message(report)[0]
        receipts = [r for r in records if message_kind(r.headers) == "receipt"]
        assert [r.key for r in receipts] == [b"INTERPOL:P-1:CDG"]
    finally:
        await asyncio.to_thread(cluster.down)


async def test_receipts_for_versions_and_tombstones_and_false_match_memory(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """Every committed version and tombstone has one receipt on fl.up.FRA; a FALSE_MATCH
    reported on a screening keeps that traveller from matching that alert version again."""
    settings = settings_for(bootstrap, prefix, tmp_path)
    names = TopicNames(prefix)
    feed, up = names.post("FRA", "CDG"), names.up("FRA")
    await create_feed(settings, feed)
    await _create(bootstrap, up)
    await produce(
        bootstrap, feed,
        [("INTERPOL:P-1", person_alert(1)), ("INTERPOL:P-2", person_alert(2)),
         ("INTERPOL:P-2", None)],
    )  # fmt: skip
    service = PostService(settings, "FRA", "CDG", retry_s=0.3)
    task = await _start(service)
    try:
        _, token = service.officers.add("Officer Test")
        transport = httpx.ASGITransport(app=create_app(service))
        auth = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://post", headers=auth
        ) as web:
            first = (await web.post("/screen/person", json={"name": "Anna ERIKSSON1"})).json()
            assert [h["subject_id"] for h in first["hits"]] == ["INTERPOL:P-1"]
            body = {"alert_id": "INTERPOL:P-1", "outcome": "FALSE_MATCH",
                    "screening_id": first["screening_id"]}  # fmt: skip
            assert (await web.post("/hits", json=body)).status_code == 200
            again = (await web.post("/screen/person", json={"name": "eriksson1 anna"})).json()
            assert again["hits"] == []
            assert again["dismissed_false_matches"][0]["subject_id"] == "INTERPOL:P-1"
        await _until(lambda: service.outbox.pending() == 0, 60, "the outbox to drain")
    finally:
        await _stop(service, task)
    records = await _read(bootstrap, up)
    receipts = sorted(
        (r.key, decode_as(Receipt, "receipt", r.value))
        for r in records
        if message_kind(r.headers) == "receipt"
    )
    got = [(k, m.version, m.removed) for k, m in receipts]
    # P-2's put and tombstone may come in one batch: then only its removal is committed
    assert got[0] == (b"INTERPOL:P-1:CDG", 1, False)
    assert got[-1] == (b"INTERPOL:P-2:CDG", 1, True)
    assert got[1:-1] in ([], [(b"INTERPOL:P-2:CDG", 1, False)])
    assert [message_kind(r.headers) for r in records].count("hit") == 1
