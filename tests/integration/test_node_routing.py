"""The national node on the real broker: profile routing, exactly once, RED revocation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from gateway.contract import AlertKind
from gateway.kafka.headers import H, RouteHeaders, headers_to_dict
from gateway.kafka.layout import apply_topics, plan_topics
from gateway.kafka.topic_names import TopicNames
from gateway.node.service import NodeService
from gateway.settings import Settings
from gateway.topology import Topology, parse_topology
from tests.support.alerts import make_alert
from tests.support.node import TOPOLOGY

pytestmark = pytest.mark.integration


async def read_feed(bootstrap: str, topic: str, expect: int, timeout_s: float = 20) -> list[Any]:
    """Every committed record of a topic, once ``expect`` came and a quiet second passed."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
        isolation_level="read_committed", enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    seen: list[Any] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    quiet = loop.time() + 1.0
    try:
        while loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                seen.extend(records)
            if batch:
                quiet = loop.time() + 1.0
            elif len(seen) >= expect and loop.time() > quiet:
                break
    finally:
        await consumer.stop()
    return seen


@pytest.fixture
async def node(
    bootstrap: str, prefix: str, tmp_path: Path
) -> AsyncIterator[tuple[Settings, Topology]]:
    """France's national node running on fresh topics."""
    path = tmp_path / "topology.toml"
    path.write_text(TOPOLOGY, encoding="utf-8")
    settings = Settings(
        bootstrap_servers=bootstrap, topic_prefix=prefix, topology_file=path, commit_interval_ms=50
    )
    topology = parse_topology(TOPOLOGY)
    results = await apply_topics(plan_topics(topology, settings), settings)
    assert all(r.ok for r in results)
    service = NodeService(settings, topology, ["FRA"])
    task = asyncio.create_task(service.run())
    await asyncio.wait_for(service.engine.ready.wait(), 30)
    try:
        yield settings, topology
    finally:
        service.stop()
        await asyncio.wait_for(task, 30)


async def test_node_routes_by_profile_once_and_revokes_red(node: tuple[Settings, Topology]) -> None:
    """Persons reach CDG and MENTON, ship cargo only FRLEH, each once; RED tombstones every post."""
    settings, _ = node
    names = TopicNames(settings.topic_prefix)
    bootstrap = str(settings.bootstrap_servers)
    person = make_alert("INTERPOL:N-1")
    cargo = make_alert("INTERPOL:N-2", kind=AlertKind.COMMODITY, msg_type="ALERT", version=1)
    red = make_alert("INTERPOL:N-1", 2, tlp="RED")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for key, value, tlp in (("INTERPOL:N-1", person, "GREEN"), ("INTERPOL:N-2", cargo, "GREEN"),
                                ("INTERPOL:N-1", red, "RED")):  # fmt: skip
            headers = RouteHeaders(
                kind="COMMODITY" if key.endswith("2") else "WANTED_PERSON", org="INTERPOL",
                tlp=tlp, status="ACTUAL", msg_type="ALERT", version=1, ts_hub=1,
            ).to_kafka()  # fmt: skip
            await producer.send_and_wait(names.ncb("FRA"), value, key=key.encode(), headers=headers)
    finally:
        await producer.stop()

    cdg = await read_feed(bootstrap, names.post("FRA", "CDG"), 2)
    menton = await read_feed(bootstrap, names.post("FRA", "MENTON"), 2)
    havre = await read_feed(bootstrap, names.post("FRA", "FRLEH"), 2)
    assert [(r.key, r.value) for r in cdg] == [(b"INTERPOL:N-1", person), (b"INTERPOL:N-1", None)]
    assert [(r.key, r.value) for r in menton] == [
        (b"INTERPOL:N-1", person),
        (b"INTERPOL:N-1", None),
    ]
    # Different keys may sit on different partitions: compare without order.
    assert sorted(((r.key, r.value) for r in havre), key=repr) == sorted(
        [(b"INTERPOL:N-2", cargo), (b"INTERPOL:N-1", None)], key=repr
    )
    assert headers_to_dict(cdg[1].headers)[H.REASON] == "TLP_RED"
    assert int(headers_to_dict(cdg[0].headers)[H.TS_NODE]) > 1
