"""Signed alerts on the real broker: the hub routes only what its organization signed, and an
alert altered after the hub never enters a border post's watchlist."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from gateway.contract.trust import Signer
from gateway.hub.service import HubService
from gateway.kafka.headers import SIG_HEADERS, H, RouteHeaders, headers_to_dict
from gateway.kafka.layout import apply_topics, plan_topics
from gateway.kafka.quarantine import QuarantineRecord
from gateway.kafka.topic_names import TopicNames
from gateway.node.service import NodeService
from gateway.post import PostService
from gateway.settings import Settings
from gateway.topology import parse_topology
from tests.support.alerts import make_alert
from tests.support.signing import flip_byte, make_key, trust_text

pytestmark = pytest.mark.integration

TOPOLOGY = """version = 1
[[organizations]]
code = "INTERPOL"
name = "INTERPOL"
kind = "global"
[[organizations]]
code = "EUROPOL"
name = "EUROPOL"
kind = "regional"
[[countries]]
code = "FRA"
name = "France"
  [[countries.posts]]
  id = "CDG"
  name = "Paris CDG"
  type = "AIRPORT"
"""
NOW = datetime.now(UTC)


@dataclass
class Keys:
    """INTERPOL's keys in rotation overlap (a, b), its revoked key, a stranger's, EUROPOL's."""

    a: Signer
    b: Signer
    revoked: Signer
    stranger: Signer
    europol: Signer


@dataclass
class Net:
    """A hub verifying against a trust file, on fresh topics."""

    settings: Settings
    names: TopicNames
    keys: Keys
    hub: HubService


async def read_topic(bootstrap: str, topic: str, expect: int, timeout_s: float = 30) -> list[Any]:
    """Committed records of a topic, once ``expect`` came and a quiet second passed."""
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


async def produce(bootstrap: str, topic: str, records: list[tuple[str, bytes, Any]]) -> None:
    """Write (key, value, headers) records in order."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for key, value, headers in records:
            await producer.send_and_wait(topic, value, key=key.encode(), headers=headers)
    finally:
        await producer.stop()


@pytest.fixture
async def net(bootstrap: str, prefix: str, tmp_path: Path) -> AsyncIterator[Net]:
    """A hub started with FRONTLINE_TRUST_FILE set, every topic of a one-country topology."""
    signers = {}
    entries = []
    for name, org, revoked in (
        ("a", "INTERPOL", None), ("b", "INTERPOL", None),
        ("revoked", "INTERPOL", NOW - timedelta(hours=1)), ("europol", "EUROPOL", None),
    ):  # fmt: skip
        signers[name], entry = make_key(org, revoked_at=revoked)
        entries.append(entry)
    stranger, _ = make_key("INTERPOL")  # not in the trust file
    trust = tmp_path / "trust.toml"
    trust.write_text(trust_text(*entries), encoding="utf-8")
    topology = tmp_path / "topology.toml"
    topology.write_text(TOPOLOGY, encoding="utf-8")
    settings = Settings(
        bootstrap_servers=bootstrap, topic_prefix=prefix, topology_file=topology,
        data_dir=tmp_path / "data", trust_file=trust, partitions=1, commit_interval_ms=50,
    )  # fmt: skip
    results = await apply_topics(plan_topics(parse_topology(TOPOLOGY), settings), settings)
    assert all(r.ok for r in results)
    hub = HubService(settings, hub_id="test-hub")
    task = asyncio.create_task(hub.run())
    await asyncio.wait_for(hub.engine.ready.wait(), 30)
    try:
        yield Net(settings, TopicNames(prefix), Keys(stranger=stranger, **signers), hub)
    finally:
        hub.stop()
        await asyncio.wait_for(task, 30)


async def test_hub_routes_signed_alerts_and_quarantines_refused_signatures(net: Net) -> None:
    """Signed by either key of an overlap (or a revoked one before revocation): routed with its
    fl-sig* headers; unsigned, flipped, unknown, foreign or revoked: quarantined, counted."""
    k = net.keys
    bootstrap = str(net.settings.bootstrap_servers)
    alerts = [make_alert(f"INTERPOL:G-{i}") for i in range(8)]
    plan: list[tuple[bytes, list[tuple[str, bytes]], str | None]] = [
        (alerts[0], k.a.sign(alerts[0]), None),
        (alerts[1], k.b.sign(alerts[1]), None),  # rotation: both keys valid
        (alerts[2], k.revoked.sign(alerts[2], at=NOW - timedelta(hours=2)), None),
        (alerts[3], [], "missing_signature"),
        (flip_byte(alerts[4]), k.a.sign(alerts[4]), "bad_signature"),
        (alerts[5], k.stranger.sign(alerts[5]), "unknown_key"),
        (alerts[6], k.europol.sign(alerts[6]), "wrong_org"),
        (alerts[7], k.revoked.sign(alerts[7]), "key_revoked"),
    ]
    await produce(
        bootstrap,
        net.names.ingress("INTERPOL"),
        [(f"INTERPOL:G-{i}", value, sig) for i, (value, sig, _) in enumerate(plan)],
    )
    routed = await read_topic(bootstrap, net.names.ncb("FRA"), 3)
    quarantined = await read_topic(bootstrap, net.names.quarantine, 5)

    assert sorted(r.key.decode() for r in routed) == [
        "INTERPOL:G-0",
        "INTERPOL:G-1",
        "INTERPOL:G-2",
    ]
    for r in routed:
        i = int(r.key.decode().rsplit("-", 1)[1])
        assert r.value == alerts[i]  # payload bytes unchanged
        assert [(k_, v) for k_, v in r.headers if k_ in SIG_HEADERS] == plan[i][1]
        assert headers_to_dict(r.headers)[H.ORG] == "INTERPOL"
    reasons = {}
    for r in quarantined:
        q = QuarantineRecord.from_kafka(r.value, r.headers)
        offset = int(q.source.rsplit("@", 1)[1])
        reasons[offset] = (q.stage, q.component, q.reasons[0].code)
    assert reasons == {
        i: ("signature", "hub", reason) for i, (_, _, reason) in enumerate(plan) if reason
    }
    registry = net.hub.metrics.registry
    for reason in ("missing_signature", "bad_signature", "unknown_key", "wrong_org", "key_revoked"):
        labels = {"org": "INTERPOL", "reason": reason}
        count = registry.get_sample_value("frontline_hub_signature_refused_total", labels)
        assert count == 1, reason


async def test_alert_altered_after_the_hub_never_enters_a_watchlist(net: Net) -> None:
    """Through hub and node a signed alert reaches the post; a byte flipped on the national
    topic by a client with write rights is refused there and the genuine version stays."""
    k = net.keys
    bootstrap = str(net.settings.bootstrap_servers)
    node_settings = net.settings.model_copy(update={"trust_file": None})  # node does not check
    node = NodeService(node_settings, parse_topology(TOPOLOGY), ["FRA"])
    post = PostService(net.settings, "FRA", "CDG")  # the trust file from the settings
    node_task = asyncio.create_task(node.run())
    post_task = asyncio.create_task(post.run())
    try:
        await asyncio.wait_for(node.engine.ready.wait(), 30)
        v1 = make_alert("INTERPOL:T-1", subject={"family_name": "DUPONT"})
        await produce(
            bootstrap, net.names.ingress("INTERPOL"), [("INTERPOL:T-1", v1, k.a.sign(v1))]
        )
        await until(lambda: post.watchlist.get("INTERPOL:T-1") is not None)

        # After the hub: version 2, genuinely signed by INTERPOL, one payload byte flipped.
        v2 = make_alert("INTERPOL:T-1", 2, subject={"family_name": "DUPONT"})
        altered = v2.replace(b"DUPONT", b"DUPONU")
        assert altered != v2
        route = RouteHeaders(
            kind="WANTED_PERSON", org="INTERPOL", tlp="GREEN", status="ACTUAL",
            msg_type="UPDATE", version=2, ts_hub=1,
        ).to_kafka()  # fmt: skip
        fetched = post.feed.fetched
        await produce(
            bootstrap, net.names.ncb("FRA"), [("INTERPOL:T-1", altered, [*route, *k.a.sign(v2)])]
        )
        await until(lambda: post.feed.fetched > fetched)
        held = post.watchlist.get("INTERPOL:T-1")
        assert held is not None
        assert held.version == 1
        refused = post.registry.get_sample_value(
            "frontline_post_signature_refused_total", {"post": "FRA.CDG", "reason": "bad_signature"}
        )
        assert refused == 1
    finally:
        post.stop()
        node.stop()
        await asyncio.wait_for(asyncio.gather(node_task, post_task), 30)


async def until(check: Any, timeout_s: float = 30) -> None:
    """Wait until ``check()`` holds, failing the test after ``timeout_s``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not check():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)
