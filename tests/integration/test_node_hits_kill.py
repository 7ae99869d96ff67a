"""A node killed with SIGKILL while hits stream in, then restarted, forwards each hit once."""

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

from gateway.contract.messages import encode_message
from gateway.kafka.topic_names import TopicNames
from tests.support.kafka import read_all
from tests.support.node import hit, node_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
HITS = 60


def _spawn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "gateway", "node", "run", "FRA", "--auto-confirm"],
            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
        )  # fmt: skip


def _log_text(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else ""


async def _wait_for(log: Path, text: str, count: int, timeout_s: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        if _log_text(log).count(text) >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{text!r} x{count} not in the node's log")


async def test_sigkill_mid_flow_forwards_each_hit_once(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """Hits sent while the node is SIGKILLed and restarted reach fl.hub.inbox exactly once each."""
    settings = await node_settings(bootstrap, prefix, tmp_path)
    names = TopicNames(prefix)
    env = os.environ | {
        "FRONTLINE_BOOTSTRAP_SERVERS": bootstrap,
        "FRONTLINE_TOPIC_PREFIX": prefix,
        "FRONTLINE_TOPOLOGY_FILE": str(settings.topology_file),
        "FRONTLINE_COMMIT_INTERVAL_MS": "100",
        "FRONTLINE_LOG_FORMAT": "json",
    }
    log = tmp_path / "node.log"
    node = _spawn(env, log)
    try:
        await _wait_for(log, "eos_assigned", 1)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
        await producer.start()
        try:
            for n in range(HITS):
                value, headers = encode_message(hit(f"H-{n}"))
                await producer.send_and_wait(
                    names.up("FRA"), value, key=f"H-{n}".encode(), headers=headers
                )
                await asyncio.sleep(0.02)
                if n == HITS // 2:
                    node.send_signal(signal.SIGKILL)
                    node.wait(10)
        finally:
            await producer.stop()
        before = await read_all(bootstrap, names.hub_inbox, quiet_s=0.3, timeout_s=5)
        node = _spawn(env, log)
        inbox = await read_all(bootstrap, names.hub_inbox, HITS, quiet_s=2.0, timeout_s=90)
    finally:
        if node.poll() is None:
            node.send_signal(signal.SIGTERM)
            try:
                node.wait(20)
            except subprocess.TimeoutExpired:
                node.kill()
                node.wait(5)
    got = Counter(r.key.decode() for r in inbox)
    assert got == Counter({f"H-{n}": 1 for n in range(HITS)})
    assert 0 < len(before) < HITS, "the kill was not mid-flow"
