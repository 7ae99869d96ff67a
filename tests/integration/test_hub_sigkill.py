"""A hub killed with SIGKILL mid-stream and restarted still delivers each alert version once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from gateway.contract.codec import decode_dict
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings
from tests.support.hub import (
    ALERTS,
    COUNTRIES,
    TOPOLOGY,
    alert_stream,
    create_hub_topics,
    expected_by_country,
)
from tests.support.kafka import read_all

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _spawn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "gateway", "hub", "run"],
            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
        )  # fmt: skip


def _log_text(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else ""


async def _wait_for(log: Path, text: str, count: int, timeout_s: float = 45) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        if _log_text(log).count(text) >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{text!r} x{count} not in the hub's log:\n{_log_text(log)[-3000:]}")


async def test_sigkill_mid_stream_keeps_exactly_once(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """After SIGKILL and restart, each eligible node topic holds each version once, others none."""
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
    log = tmp_path / "hub.log"
    stream = alert_stream()
    hub = _spawn(env, log)
    try:
        await _wait_for(log, "eos_assigned", 1)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
        await producer.start()
        try:
            killed = False
            for n, (org, value) in enumerate(stream):
                key = decode_dict(value)[1]["envelope"]["alert_id"].encode()
                await producer.send(names.ingress(org), value, key=key)
                if n % 50 == 49:
                    await producer.flush()
                    await asyncio.sleep(0.03)  # a steady stream the hub works through live
                if not killed and n == len(stream) // 2:
                    hub.send_signal(signal.SIGKILL)
                    hub.wait(10)
                    killed = True
            await producer.flush()
        finally:
            await producer.stop()
        assert killed
        before = await read_all(bootstrap, names.ncb("FRA"), quiet_s=0.3, timeout_s=5)
        hub = _spawn(env, log)
        await _wait_for(log, "eos_assigned", 2, timeout_s=50)
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
        assert 0 < len(before) < sum(want["FRA"].values()), "the kill was not mid-stream"
        assert want["SYR"][("EUROPOL:K-0", "1", False)] == 0  # not a Europol member: nothing
        assert sum(want["FRA"].values()) > ALERTS  # the comparison covers a real volume
    finally:
        if hub.poll() is None:
            hub.send_signal(signal.SIGTERM)
            try:
                hub.wait(20)
            except subprocess.TimeoutExpired:
                hub.kill()
                hub.wait(5)
