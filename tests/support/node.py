"""A national node on the real broker for the way-back tests: France with three posts, its
topics, a running NodeService, and helpers that write what posts and the hub write."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from aiokafka import AIOKafkaProducer

from gateway.contract.enums import Org, Tlp
from gateway.contract.messages import HitOutcome, HitReport, Message, encode_message
from gateway.kafka.headers import RouteHeaders
from gateway.kafka.layout import apply_topics, plan_topics
from gateway.kafka.topic_names import TopicNames
from gateway.node.service import NodeService
from gateway.settings import Settings
from gateway.topology import parse_topology
from tests.support.alerts import make_alert

__all__ = [
    "TOPOLOGY",
    "hit",
    "message_record",
    "node_settings",
    "running_node",
    "send",
    "send_alert",
    "send_message",
]

# A wanted person reaches CDG and MENTON (FRLEH takes commodities only).
TOPOLOGY = """version = 1
[[organizations]]
code = "INTERPOL"
name = "INTERPOL"
kind = "global"
[[countries]]
code = "FRA"
name = "France"
  [[countries.posts]]
  id = "CDG"
  name = "Paris CDG"
  type = "AIRPORT"
  [[countries.posts]]
  id = "FRLEH"
  name = "Le Havre"
  type = "SEAPORT"
  [countries.posts.subscribes]
  kinds = ["COMMODITY"]
  [[countries.posts]]
  id = "MENTON"
  name = "Menton"
  type = "LAND"
  [countries.posts.subscribes]
  kinds = ["WANTED_PERSON"]
"""


async def node_settings(bootstrap: str, prefix: str, tmp_path: Path) -> Settings:
    """Settings for France's node on fresh topics (created here), committing every 50 ms."""
    path = tmp_path / "topology.toml"
    path.write_text(TOPOLOGY, encoding="utf-8")
    settings = Settings(
        bootstrap_servers=bootstrap, topic_prefix=prefix, topology_file=path, commit_interval_ms=50
    )
    results = await apply_topics(plan_topics(parse_topology(TOPOLOGY), settings), settings)
    assert all(r.ok for r in results)
    return settings


@asynccontextmanager
async def running_node(
    settings: Settings, *, auto_confirm: bool = False
) -> AsyncIterator[NodeService]:
    """France's node running until the block ends (stopped cleanly: open transactions commit)."""
    service = NodeService(settings, parse_topology(TOPOLOGY), ["FRA"], auto_confirm=auto_confirm)
    task = asyncio.create_task(service.run())
    ready = asyncio.create_task(service.engine.ready.wait())
    done, _ = await asyncio.wait({task, ready}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        ready.cancel()
        await task  # raises what stopped it
    assert ready in done, "the node did not get its partitions within 30 s"
    try:
        yield service
    finally:
        service.stop()
        await asyncio.wait_for(task, 30)


def hit(
    hit_id: str,
    outcome: HitOutcome = HitOutcome.ARRESTED,
    *,
    post: str = "CDG",
    alert_id: str = "INTERPOL:N-1",
    subject_key: str | None = None,
) -> HitReport:
    """A hit a French post reports on an INTERPOL alert (version 1)."""
    return HitReport(
        hit_id=hit_id, alert_id=alert_id, alert_version=1, org=Org.INTERPOL, tlp=Tlp.GREEN,
        country="FRA", post_id=post, outcome=outcome, reported_at=datetime.now(UTC),
        subject_key=subject_key,
    )  # fmt: skip


def message_record(offset: int, key: str, message: Message) -> SimpleNamespace:
    """A consumed record carrying ``message``, as a processor receives it (no broker)."""
    value, headers = encode_message(message)
    return SimpleNamespace(offset=offset, key=key.encode(), value=value, headers=headers)


async def send(
    settings: Settings, topic: str, key: bytes, value: bytes | None, headers: list[Any]
) -> None:
    """One record, written by an idempotent producer and acknowledged."""
    producer = AIOKafkaProducer(
        bootstrap_servers=str(settings.bootstrap_servers), enable_idempotence=True
    )
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


async def send_message(settings: Settings, topic: str, key: str, message: Message) -> None:
    """A way-back message as its writer sends it: JSON value, ``fl-msg`` header."""
    value, headers = encode_message(message)
    await send(settings, topic, key.encode(), value, headers)


async def send_alert(settings: Settings, alert_id: str = "INTERPOL:N-1", version: int = 1) -> None:
    """A wanted-person alert on France's national topic, as the hub writes it."""
    names = TopicNames(settings.topic_prefix)
    headers = RouteHeaders(
        kind="WANTED_PERSON", org="INTERPOL", tlp="GREEN", status="ACTUAL", msg_type="ALERT",
        version=version, ts_hub=1,
    ).to_kafka()  # fmt: skip
    value = make_alert(alert_id, version)
    await send(settings, names.ncb("FRA"), alert_id.encode(), value, headers)
