"""On the real broker: a hub SIGKILLed while forwarding hits, restarted, forwards each hit exactly
once to the issuing organization and the originating country, and re-sent hits not again."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from gateway.contract.messages import HitOutcome, HitReport, encode_message
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings
from tests.support.alerts import make_alert
from tests.support.hub import COUNTRIES, TOPOLOGY, create_hub_topics
from tests.support.kafka import read_all
from tests.support.paths import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HITS = 300
ALERTS = 10


def _spawn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "gateway", "hub", "run"],
            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
        )  # fmt: skip


def _count(log: Path, text: str) -> int:
    return log.read_text(errors="replace").count(text) if log.exists() else 0


async def _wait_for(log: Path, text: str, count: int, timeout_s: float = 45) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        if _count(log, text) >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{text!r} x{count} not in the hub's log")


def _hit(n: int) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    hit = HitReport(
        hit_id=f"SK-H{n}", alert_id=f"INTERPOL:SK-{n % ALERTS}", alert_version=1, org="INTERPOL",
        tlp="GREEN", country="DEU", post_id="DEU-FRA", outcome=HitOutcome.REFUSED_ENTRY,
        reported_at=datetime.now(UTC),
    )  # fmt: skip
    value, headers = encode_message(hit)
    return hit.hit_id.encode(), value, headers


async def test_sigkill_while_forwarding_hits_keeps_exactly_once(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """After SIGKILL and restart every hit is on fl.outbound.interpol and fl.ncb.FRA once."""
    topology = tmp_path / "topology.toml"
    topology.write_text(TOPOLOGY, encoding="utf-8")
    settings = Settings(bootstrap_servers=bootstrap, topic_prefix=prefix, topology_file=topology)
    await create_hub_topics(settings, TOPOLOGY)
    names = TopicNames(prefix)
    env = os.environ | {
        "FRONTLINE_BOOTSTRAP_SERVERS": bootstrap, "FRONTLINE_TOPIC_PREFIX": prefix,
        "FRONTLINE_TOPOLOGY_FILE": str(topology), "FRONTLINE_COMMIT_INTERVAL_MS": "100",
        "FRONTLINE_LOG_FORMAT": "json",
    }  # fmt: skip
    log = tmp_path / "hub.log"
    hub = _spawn(env, log)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    try:
        await _wait_for(log, "eos_assigned", 1)
        await producer.start()
        for i in range(ALERTS):
            alert_id = f"INTERPOL:SK-{i}"
            await producer.send(
                names.ingress("INTERPOL"), make_alert(alert_id), key=alert_id.encode()
            )
        await producer.flush()
        await read_all(bootstrap, names.ncb("FRA"), ALERTS)
        for n in range(HITS):
            key, value, headers = _hit(n)
            await producer.send(names.hub_inbox, value, key=key, headers=headers)
            if n % 25 == 24:
                await producer.flush()
                await asyncio.sleep(0.03)
            if n == HITS // 2:
                hub.send_signal(signal.SIGKILL)
                hub.wait(10)
        await producer.flush()
        before = await read_all(bootstrap, names.outbound("INTERPOL"), quiet_s=0.3, timeout_s=5)
        hub = _spawn(env, log)
        await _wait_for(log, "eos_assigned", 2, timeout_s=50)
        for n in range(50):  # re-sent hits: forwarded already, so never again
            key, value, headers = _hit(n)
            await producer.send(names.hub_inbox, value, key=key, headers=headers)
        await producer.flush()
        outbound = await read_all(bootstrap, names.outbound("INTERPOL"), HITS, quiet_s=1.5)
        assert 0 < len(before) < HITS, "the kill was not mid-flow"
        got = Counter(r.key for r in outbound)
        assert got == Counter(f"hit:SK-H{n}".encode() for n in range(HITS))
        for country in COUNTRIES:
            records = await read_all(bootstrap, names.ncb(country), quiet_s=0.5, timeout_s=10)
            hits = Counter(r.key for r in records if r.key.startswith(b"hit:"))
            assert hits == (got if country == "FRA" else Counter()), country
    finally:
        await producer.stop()
        if hub.poll() is None:
            hub.send_signal(signal.SIGTERM)
            try:
                hub.wait(20)
            except subprocess.TimeoutExpired:
                hub.kill()
                hub.wait(5)
