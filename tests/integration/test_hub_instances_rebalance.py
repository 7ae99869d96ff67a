"""Two hub processes share the ingress partitions; one SIGKILLed mid-stream, the other takes its
partitions over in the middle of alerts' revisions, and every national topic stays exact."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from gateway.contract.codec import decode_dict
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings
from tests.support.alerts import make_alert
from tests.support.hub import COUNTRIES, TOPOLOGY, create_hub_topics, expected_by_country
from tests.support.kafka import read_all

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ALERTS = 240
PARTITIONS = 5  # two per organization's ingress topic, and the hub inbox


def revisions() -> list[tuple[str, bytes]]:
    """(org, value) in publish order: every alert issued, then updates (a third narrowed, a
    third widened from RED to GREEN), then a CANCEL of every fifth; the kill falls between."""
    out: list[tuple[str, bytes]] = []
    for i in range(ALERTS):
        org = "INTERPOL" if i % 2 else "EUROPOL"
        shape: dict[str, Any] = (
            {"tlp": "RED", "release_to_countries": ["FRA", "COL"]} if i % 3 == 1 else {}
        )
        out.append((org, make_alert(f"{org}:R-{i}", 1, **shape)))
    for i in range(ALERTS):
        org = "INTERPOL" if i % 2 else "EUROPOL"
        if i % 3 == 0:
            out.append((org, make_alert(f"{org}:R-{i}", 2, deny_countries=["FRA", "DEU"])))
        elif i % 3 == 1:
            out.append((org, make_alert(f"{org}:R-{i}", 2, tlp="GREEN")))
    for i in range(0, ALERTS, 5):
        org = "INTERPOL" if i % 2 else "EUROPOL"
        out.append((org, make_alert(f"{org}:R-{i}", 3, msg_type="CANCEL")))
    return out


def _spawn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "gateway", "hub", "run"],
            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
        )  # fmt: skip


def _text(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else ""


async def _wait_for(log: Path, text: str, count: int = 1, timeout_s: float = 45) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        if _text(log).count(text) >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{text!r} x{count} not in {log.name}:\n{_text(log)[-3000:]}")


@pytest.mark.timeout(150)
async def test_instance_killed_mid_revisions_keeps_every_national_topic_exact(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """With one of two hub instances SIGKILLed while alerts are updated, narrowed and
    cancelled, each eligible national topic holds each version once, others none."""
    topology = tmp_path / "topology.toml"
    topology.write_text(TOPOLOGY, encoding="utf-8")
    settings = Settings(bootstrap_servers=bootstrap, topic_prefix=prefix, topology_file=topology)
    await create_hub_topics(settings, TOPOLOGY)
    names = TopicNames(prefix)
    env = os.environ | {
        "FRONTLINE_BOOTSTRAP_SERVERS": bootstrap,
        "FRONTLINE_TOPIC_PREFIX": prefix,
        "FRONTLINE_TOPOLOGY_FILE": str(topology),
        "FRONTLINE_COMMIT_INTERVAL_MS": "100",
        "FRONTLINE_LOG_FORMAT": "json",
    }
    logs = [tmp_path / "hub-a.log", tmp_path / "hub-b.log"]
    hubs = [_spawn(env, logs[0])]
    stream = revisions()
    try:
        await _wait_for(logs[0], "eos_assigned")
        hubs.append(_spawn(env, logs[1]))
        await _wait_for(logs[1], "eos_assigned")
        await _wait_for(logs[0], "eos_assigned", 2)  # the survivor-to-be gave partitions up
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
        await producer.start()
        try:
            for n, (org, value) in enumerate(stream):
                key = decode_dict(value)[1]["envelope"]["alert_id"].encode()
                await producer.send(names.ingress(org), value, key=key)
                if n % 25 == 24:
                    await producer.flush()
                    await asyncio.sleep(0.05)  # a steady stream both instances work through
                if n == ALERTS + ALERTS // 4:  # amid the updates
                    hubs[1].send_signal(signal.SIGKILL)
                    hubs[1].wait(10)
            await producer.flush()
        finally:
            await producer.stop()
        # The survivor takes every partition once the dead member's session expires.
        await _wait_for(logs[0], f'"owned": {PARTITIONS}', timeout_s=60)
        want = expected_by_country(stream)
        for country in COUNTRIES:
            records = await read_all(
                bootstrap, names.ncb(country), sum(want[country].values()), quiet_s=1.5,
                timeout_s=40,
            )  # fmt: skip
            got = Counter(
                (r.key.decode(), dict(r.headers)["fl-version"].decode(), r.value is None)
                for r in records
            )
            assert got == want[country], f"{country}: {sum(got.values())} vs expected"
        assert '"owned": 2' in _text(logs[1]) or '"owned": 3' in _text(logs[1])
        assert sum(want["FRA"].values()) > ALERTS  # a real volume, tombstones included
        assert any(tomb for (_, _, tomb) in want["FRA"])
    finally:
        for hub in hubs:
            if hub.poll() is None:
                hub.send_signal(signal.SIGTERM)
                try:
                    hub.wait(20)
                except subprocess.TimeoutExpired:
                    hub.kill()
                    hub.wait(5)
