"""On the real broker, hub, national nodes and border posts: while a newer version waits for
review, every post's watchlist equals what the exercise's independent replay expects
(issue 11, item 4)."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from gateway.broker.ports import free_port
from gateway.contract.codec import decode_dict
from gateway.hub.policy.decide import load_policy
from gateway.hub.review import ReviewDecision, publish_decision
from gateway.kafka.clock import now_ms
from gateway.kafka.layout import apply_topics, plan_topics
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings
from gateway.simulate.expected import Expectation, Published, Verdict, expected_watchlists
from gateway.simulate.frontier import PostsClient, issue_tokens
from gateway.simulate.processes import Component, ComponentSet
from gateway.simulate.scenario import write_topology
from gateway.topology import Topology, load_topology
from tests.support.alerts import make_alert

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CODES = ("FRA", "DEU", "ITA")
HELD = {"offences": ["political offence"]}


def _topology() -> Topology:
    full = load_topology()
    kept = tuple(
        c.model_copy(update={"posts": c.posts[:1]}) for c in full.countries if c.code in CODES
    )
    return full.model_copy(update={"countries": kept})


def _stamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds))


def _records() -> list[bytes]:
    day = _stamp(86_400)
    return [
        # held deny list: DEU loses v1 at once, FRA and ITA keep it while v2 waits
        make_alert("INTERPOL:RH-DENY", 1, expires_at=day),
        make_alert("INTERPOL:RH-DENY", 2, expires_at=day, subject=HELD, deny_countries=["DEU"]),
        # held raise to RED: every holder loses v1 at once
        make_alert("INTERPOL:RH-RED", 1, expires_at=day),
        make_alert(
            "INTERPOL:RH-RED",
            2,
            expires_at=day,
            subject=HELD,
            tlp="RED",
            release_to_countries=["FRA"],
        ),
        # held narrowing: only ITA keeps v1
        make_alert("INTERPOL:RH-NARROW", 1, expires_at=day),
        make_alert(
            "INTERPOL:RH-NARROW",
            2,
            expires_at=day,
            subject=HELD,
            tlp="AMBER",
            release_to_countries=["ITA"],
        ),
        # held widening: FRA keeps v1 until the approval reaches everyone
        make_alert(
            "INTERPOL:RH-WIDEN", 1, expires_at=day, tlp="AMBER", release_to_countries=["FRA"]
        ),
        make_alert("INTERPOL:RH-WIDEN", 2, expires_at=day, subject=HELD),
        # rejected: every holder loses v1
        make_alert("INTERPOL:RH-REJECT", 1, expires_at=day),
        make_alert("INTERPOL:RH-REJECT", 2, expires_at=day, subject=HELD),
        # v1 expires in 8 s although the held v2 lives a day
        make_alert("INTERPOL:RH-EXPIRE", 1, expires_at=_stamp(8)),
        make_alert("INTERPOL:RH-EXPIRE", 2, expires_at=day, subject=HELD),
    ]


async def _publish(settings: Settings, published: Published) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers)
    await producer.start()
    try:
        for value in _records():
            kind, record = decode_dict(value)
            key = record["envelope"]["alert_id"].encode()
            await producer.send_and_wait(TopicNames(settings.topic_prefix).ingress("INTERPOL"),
                                         value, key=key)  # fmt: skip
            published.add(kind.value, record, datetime.now(UTC))
    finally:
        await producer.stop()


async def _settle(
    posts: PostsClient, published: Published, topology: Topology, verdicts: dict[str, Verdict],
    *, not_before: float, timeout_s: float = 40.0,
) -> tuple[Expectation, dict[str, dict[str, int]]]:  # fmt: skip
    """Poll until every post's watchlist equals the replay (no earlier than ``not_before``)."""
    names = [f"{c.code}.{p.id}" for c, p in topology.posts()]
    deadline = time.monotonic() + timeout_s
    while True:
        expectation = expected_watchlists(
            published, topology, load_policy(), datetime.now(UTC), verdicts
        )
        have = {n: await posts.watchlist(n) for n in names}
        settled = all(have[n] == expectation.posts[n] for n in names)
        if (settled and time.time() >= not_before) or time.monotonic() > deadline:
            return expectation, have
        await asyncio.sleep(0.5)


async def test_watchlists_follow_the_replay_while_versions_wait_for_review(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """Held deny list, RED raise and narrowing restrict v1 at once, a widening waits, v1 keeps
    its own expiry, and approval or rejection end the wait: the posts match the replay."""
    topology = _topology()
    settings = Settings(
        bootstrap_servers=bootstrap, topic_prefix=prefix,
        topology_file=write_topology(topology, tmp_path / "topology.toml"),
        data_dir=tmp_path / "state", partitions=1, commit_interval_ms=50,
    )  # fmt: skip
    assert all(r.ok for r in await apply_topics(plan_topics(topology, settings), settings))
    env = dict(os.environ) | {
        "FRONTLINE_BOOTSTRAP_SERVERS": bootstrap, "FRONTLINE_TOPIC_PREFIX": prefix,
        "FRONTLINE_TOPOLOGY_FILE": str(settings.topology_file),
        "FRONTLINE_DATA_DIR": str(settings.data_dir), "FRONTLINE_LOG_FORMAT": "json",
        "FRONTLINE_COMMIT_INTERVAL_MS": "50",
    }  # fmt: skip
    hub, node, post = free_port(), free_port(), free_port()
    logs = tmp_path / "logs"
    parts = ComponentSet(env)
    local = "http://127.0.0.1"
    names = [f"{c.code}.{p.id}" for c, p in topology.posts()]
    posts = PostsClient(f"{local}:{post}", issue_tokens(settings, names))  # an officer per post
    try:
        for name, args, ready in (
            ("hub", ["hub", "run", "--metrics-port", str(hub)], f"{local}:{hub}/metrics"),
            (
                "nodes",
                ["node", "run", "--all", "--metrics-port", str(node)],
                f"{local}:{node}/metrics",
            ),
            ("posts", ["post", "run", "--all", "--http-port", str(post)], f"{local}:{post}/health"),
        ):
            await parts.start(Component(name, args, ready, logs / f"{name}.log"))
        published = Published()
        await _publish(settings, published)
        verdicts: dict[str, Verdict] = {}
        waiting, have = await _settle(
            posts, published, topology, verdicts, not_before=time.time() + 9
        )
        assert have == waiting.posts
        holding = {a: sorted(p.split(".")[0] for p in have if a in have[p]) for a in waiting.held}
        assert holding["INTERPOL:RH-DENY"] == ["FRA", "ITA"]
        assert holding["INTERPOL:RH-RED"] == []
        assert holding["INTERPOL:RH-NARROW"] == ["ITA"]
        assert holding["INTERPOL:RH-WIDEN"] == ["FRA"]
        assert holding["INTERPOL:RH-REJECT"] == sorted(CODES)
        assert holding["INTERPOL:RH-EXPIRE"] == []  # v1 expired; v2 still waits
        assert {have[p]["INTERPOL:RH-DENY"] for p in have if "INTERPOL:RH-DENY" in have[p]} == {1}
        assert len(waiting.waiting) == 6
        for alert_id, approve in (("INTERPOL:RH-WIDEN", True), ("INTERPOL:RH-REJECT", False)):
            decision = ReviewDecision(alert_id, 2, approve, "exercise", "e2e", now_ms())
            await publish_decision(settings, decision)
            verdicts[alert_id] = Verdict(2, approve, datetime.now(UTC))
        judged, have = await _settle(posts, published, topology, verdicts, not_before=0)
        assert have == judged.posts
        assert all(have[p].get("INTERPOL:RH-WIDEN") == 2 for p in have)
        assert not any("INTERPOL:RH-REJECT" in w for w in have.values())
        assert judged.waiting == waiting.waiting - {"INTERPOL:RH-WIDEN", "INTERPOL:RH-REJECT"}
    finally:
        await posts.close()
        parts.stop_all()
