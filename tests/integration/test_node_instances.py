"""Node instances in one group: whole countries each, the narrowest keeps its own, no loss."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from gateway.kafka.headers import RouteHeaders
from gateway.kafka.layout import apply_topics, plan_topics
from gateway.kafka.topic_names import TopicNames
from gateway.node.assignor import country_of_topic
from gateway.node.service import NodeService
from gateway.settings import Settings
from gateway.topology import parse_topology
from tests.support.alerts import make_alert
from tests.support.kafka import read_all

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
COUNTRIES = ["DEU", "ESP", "FRA", "ITA"]
POSTS = ["AIR", "LAND"]
ALERTS = 80  # alert ids, spread over the countries
VERSIONS = 3

TOPOLOGY = (
    'version = 1\n[[organizations]]\ncode = "INTERPOL"\nname = "INTERPOL"\nkind = "global"\n'
    + "".join(
        f'[[countries]]\ncode = "{c}"\nname = "{c}"\n'
        f'  [[countries.posts]]\n  id = "AIR"\n  name = "{c} airport"\n  type = "AIRPORT"\n'
        f'  [[countries.posts]]\n  id = "LAND"\n  name = "{c} border"\n  type = "LAND"\n'
        for c in COUNTRIES
    )
)


def _spawn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "gateway", "node", "run", "--all"],
            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
        )  # fmt: skip


def _owned(log: Path) -> list[int]:
    """The partitions the instance owned after each of its rebalances, from its JSON log."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return [
        int(json.loads(line[line.index("{") :])["owned"])
        for line in lines
        if '"eos_assigned"' in line
    ]


async def _group(bootstrap: str, group: str) -> tuple[str, list[dict[str, set[int]]]]:
    """The group's assignment protocol and each member's partitions, topic by topic."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    (described,) = response.to_object()["groups"]
    members = []
    for member in described["members"]:
        assignment = ConsumerProtocolMemberAssignment.decode(member["member_assignment"])
        members.append({topic: set(parts) for topic, parts in assignment.assignment})
    return described["protocol"], members


async def _until(check: object, what: str, timeout_s: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        if callable(check) and check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _stream() -> list[tuple[str, str, int]]:
    """(country, alert id, version) in the order the hub would write them."""
    return [
        (COUNTRIES[n % len(COUNTRIES)], f"INTERPOL:I-{n}", v)
        for v in range(1, VERSIONS + 1)
        for n in range(ALERTS)
    ]


@pytest.mark.timeout(240)  # generous: rebalances slow down a lot on a loaded machine
async def test_two_instances_share_countries_and_survive_a_sigkill(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """A second `node run --all` joining under load takes half the countries, the first is
    SIGKILLed later; every post feed holds each alert version exactly once (read_committed)."""
    topology = tmp_path / "topology.toml"
    topology.write_text(TOPOLOGY, encoding="utf-8")
    settings = Settings(bootstrap_servers=bootstrap, topic_prefix=prefix, topology_file=topology)
    assert all(
        r.ok for r in await apply_topics(plan_topics(parse_topology(TOPOLOGY), settings), settings)
    )
    names = TopicNames(prefix)
    env = os.environ | {
        "FRONTLINE_BOOTSTRAP_SERVERS": bootstrap,
        "FRONTLINE_TOPIC_PREFIX": prefix,
        "FRONTLINE_TOPOLOGY_FILE": str(topology),
        "FRONTLINE_COMMIT_INTERVAL_MS": "100",
        "FRONTLINE_LOG_FORMAT": "json",
    }
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = _spawn(env, first_log)
    second: subprocess.Popen[bytes] | None = None
    stream = _stream()
    try:
        await _until(lambda: _owned(first_log)[-1:] == [2 * 3 * len(COUNTRIES)], "first owns all")
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
        await producer.start()
        try:
            for n, (country, alert_id, version) in enumerate(stream):
                headers = RouteHeaders(
                    kind="WANTED_PERSON", org="INTERPOL", tlp="GREEN", status="ACTUAL",
                    msg_type="ALERT" if version == 1 else "UPDATE", version=version, ts_hub=1,
                ).to_kafka()  # fmt: skip
                value = make_alert(alert_id, version)
                await producer.send(
                    names.ncb(country), value, key=alert_id.encode(), headers=headers
                )
                await asyncio.sleep(0.01)
                if n == len(stream) // 4:  # a rebalance under load
                    second = _spawn(env, second_log)
                if n == 2 * len(stream) // 3:  # both share the work: kill the first
                    # each logs its own assignment; the first may log its share a moment later
                    await _until(
                        lambda: (
                            (_owned(second_log) or [0])[-1] > 0
                            and _owned(first_log)[-1] + _owned(second_log)[-1]
                            == 2 * 3 * len(COUNTRIES)
                        ),
                        "both share",
                    )
                    shared = _owned(first_log)[-1], _owned(second_log)[-1]
                    protocol, members = await _group(bootstrap, f"{prefix}node")
                    first.send_signal(signal.SIGKILL)
                    first.wait(10)
            await producer.flush()
        finally:
            await producer.stop()
        assert shared == (12, 12), f"countries not split evenly: {shared}"
        assert protocol == "frontline-country"
        for country in COUNTRIES:  # each country's six partitions on one instance
            holders = [m for m in members if {names.ncb(country), names.up(country)} & m.keys()]
            assert len(holders) == 1, f"{country} split over {len(holders)} instances"
            assert holders[0][names.ncb(country)] == holders[0][names.up(country)] == {0, 1, 2}
        for country in COUNTRIES:
            want = Counter((alert_id, version) for c, alert_id, version in stream if c == country)
            for post in POSTS:
                topic = names.post(country, post)
                records = await read_all(bootstrap, topic, sum(want.values()), timeout_s=60)
                got = Counter(
                    (r.key.decode(), int(dict(r.headers)["fl-version"].decode())) for r in records
                )
                assert got == want, f"{topic}: {sum(got.values())} records, {len(want)} wanted"
        assert country_of_topic(names.ncb("FRA")) == "FRA"
        assert second is not None
        assert second.poll() is None, "the survivor stopped"
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()


@pytest.mark.timeout(240)  # generous: rebalances slow down a lot on a loaded machine
async def test_an_instance_naming_a_country_keeps_it_from_an_all_instance(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """`node run FRA` and `node run --all` in one group: FRA's partitions go to the first only,
    every other country's to the second, and France moves to --all when the FRA one stops."""
    topology_path = tmp_path / "topology.toml"
    topology_path.write_text(TOPOLOGY, encoding="utf-8")
    settings = Settings(
        bootstrap_servers=bootstrap, topic_prefix=prefix, topology_file=topology_path
    )
    topology = parse_topology(TOPOLOGY)
    assert all(r.ok for r in await apply_topics(plan_topics(topology, settings), settings))
    names = TopicNames(prefix)
    everything = NodeService(settings, topology, COUNTRIES)
    france = NodeService(settings, topology, ["FRA"])
    tasks = [asyncio.create_task(everything.run())]

    def countries(service: NodeService) -> set[str]:
        return {country_of_topic(tp.topic) for tp in service.engine.assignment}

    try:
        await asyncio.wait_for(everything.engine.ready.wait(), 90)  # started one after the other
        tasks.append(asyncio.create_task(france.run()))
        await _until(
            lambda: (
                countries(france) == {"FRA"} and countries(everything) == set(COUNTRIES) - {"FRA"}
            ),
            "France on its own instance",
            timeout_s=120,
        )
        assert {tp.topic for tp in france.engine.assignment} == {names.ncb("FRA"), names.up("FRA")}
        france.stop()
        await asyncio.wait_for(tasks[1], 30)
        await _until(lambda: countries(everything) == set(COUNTRIES), "France taken over", 120)
    finally:
        for service in (france, everything):
            service.stop()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
