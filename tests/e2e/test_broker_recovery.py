"""Issue 11 item 3 on real brokers: `broker up` never destroys a cluster, and restarts a node.

It also stands for the three-node check: a topic replicated three times is created and read.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from gateway.broker import LocalCluster

from .conftest import Run

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ENV = {"FRONTLINE_BOOTSTRAP_SERVERS": ""}
TOPIC = "kept"


def _status(frontline: Run, data: Path) -> dict[str, Any]:
    shown = frontline("broker", "status", "--data-dir", str(data), "--json", env=ENV)
    assert shown.returncode == 0, shown.stderr
    value: dict[str, Any] = json.loads(shown.stdout)
    return value


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def _write_one(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(TOPIC, num_partitions=1, replication_factor=3)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(TOPIC, b"still here")
    finally:
        await producer.stop()


async def _brokers_and_record(one_node: str) -> tuple[int, list[bytes]]:
    """Broker count and the topic's records, as seen through one node's own port."""
    admin = AIOKafkaAdminClient(bootstrap_servers=one_node)
    await admin.start()
    try:
        brokers = len((await admin.describe_cluster())["brokers"])
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(
        TOPIC, bootstrap_servers=one_node, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=10_000)
        values = [r.value for records in batch.values() for r in records if r.value is not None]
    finally:
        await consumer.stop()
    return brokers, values


def test_up_with_wrong_shape_on_a_degraded_cluster_destroys_nothing(
    frontline: Run, tmp_path: Path
) -> None:
    """With a node killed, a wrong-shape `broker up` changes nothing; a plain one restarts it."""
    data = tmp_path / "cluster"
    up = frontline(
        "broker", "up", "--data-dir", str(data), "--port", "0", "--brokers", "3", env=ENV
    )
    assert up.returncode == 0, up.stderr
    bootstrap = up.stdout.strip().splitlines()[-1]
    try:
        asyncio.run(_write_one(bootstrap))
        first = _status(frontline, data)
        pids = [n["pid"] for n in first["nodes"]]
        port = first["nodes"][0]["port"]
        os.kill(pids[1], signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _alive(pids[1]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _status(frontline, data)["state"] == "partial"
        recorded = (data / "cluster.json").read_bytes()
        kept = sorted(p.name for p in (data / "node-2" / "data").iterdir())
        assert TOPIC + "-0" in kept

        wrong = frontline(
            "broker", "up", "--data-dir", str(data), "--port", str(port), "--brokers", "1", env=ENV
        )
        assert wrong.returncode == 2
        assert "3-node cluster" in wrong.stderr
        assert f"frontline broker up --data-dir {data}" in wrong.stderr
        assert (data / "cluster.json").read_bytes() == recorded
        assert sorted(p.name for p in (data / "node-2" / "data").iterdir()) == kept
        for index in (1, 2, 3):
            assert (data / f"node-{index}" / "data" / "meta.properties").exists()
        assert _alive(pids[0])
        assert _alive(pids[2])

        again = frontline("broker", "up", "--data-dir", str(data), "--port", str(port), env=ENV)
        assert again.returncode == 0, again.stderr
        assert "started node(s) 2 of 3" in again.stdout
        after = _status(frontline, data)
        assert after["state"] == "running"
        new_pids = [n["pid"] for n in after["nodes"]]
        assert new_pids[0] == pids[0]
        assert new_pids[2] == pids[2]
        assert new_pids[1] not in (None, pids[1])
        node2 = f"127.0.0.1:{after['nodes'][1]['port']}"
        brokers, values = asyncio.run(_brokers_and_record(node2))
        assert brokers == 3
        assert values == [b"still here"]

        loose = [
            str(p)
            for p in [data, *data.rglob("*")]
            if stat.S_IMODE(p.stat().st_mode) & 0o077 and not p.is_symlink()
        ]
        assert loose == []
    finally:
        # SIGKILL, not a graceful stop: the folder is thrown away, and it saves ~10 s.
        cluster = LocalCluster(data)
        for node in (1, 2, 3):
            cluster.stop_node(node, kill=True)
