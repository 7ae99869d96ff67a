"""A broker of three SIGKILLed and restarted mid-stream: every national topic is still exact."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from gateway.broker import LocalCluster
from gateway.contract.codec import decode_dict
from gateway.settings import Settings
from tests.support.hub import (
    ALERTS,
    COUNTRIES,
    TOPOLOGY,
    alert_stream,
    create_hub_topics,
    expected_by_country,
    start_hub,
)
from tests.support.hub import stop_hub as stop_hub_task
from tests.support.kafka import read_all

pytestmark = [pytest.mark.integration, pytest.mark.slow]

VICTIM = 2  # the node SIGKILLed (1-based); it leads about a third of the partitions
DOWN_S = 4.0  # how long it stays down while the stream goes on


async def _restart_later(cluster: LocalCluster, delay_s: float) -> None:
    await asyncio.sleep(delay_s)
    await asyncio.to_thread(cluster.start_node, VICTIM)


@pytest.fixture
def cluster3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalCluster, str]]:
    """A three-broker local cluster of its own, stopped when the test ends."""
    cluster = LocalCluster(tmp_path_factory.mktemp("kafka3"))
    spec = cluster.up(port=0, brokers=3)
    try:
        yield cluster, spec.bootstrap
    finally:
        cluster.down(timeout=20)


@pytest.mark.timeout(180)
async def test_broker_sigkill_and_restart_keeps_national_topics_exact(
    cluster3: tuple[LocalCluster, str], tmp_path: Path
) -> None:
    """With topics at replication factor 1, a broker killed (SIGKILL) and restarted while the
    hub routes leaves each national topic with each eligible version once, and nothing else."""
    cluster, bootstrap = cluster3
    topology = tmp_path / "topology.toml"
    topology.write_text(TOPOLOGY, encoding="utf-8")
    settings = Settings(
        bootstrap_servers=bootstrap, topic_prefix="k.", topology_file=topology,
        commit_interval_ms=100,
    )  # fmt: skip
    await create_hub_topics(settings, TOPOLOGY)
    hub = await start_hub(settings, bootstrap)
    stream = alert_stream()
    try:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
        await producer.start()
        restart: asyncio.Task[None] | None = None
        try:
            for n, (org, value) in enumerate(stream):
                key = decode_dict(value)[1]["envelope"]["alert_id"].encode()
                await producer.send(hub.names.ingress(org), value, key=key)
                if n % 50 == 49:
                    await asyncio.sleep(0.03)  # a steady stream the hub works through live
                if n == len(stream) // 3:
                    await asyncio.to_thread(cluster.stop_node, VICTIM, kill=True)
                    restart = asyncio.create_task(_restart_later(cluster, DOWN_S))
            await producer.flush()
            assert restart is not None
            await restart
        finally:
            await producer.stop()
        want = expected_by_country(stream)
        for country in COUNTRIES:
            records = await read_all(
                bootstrap, hub.names.ncb(country), sum(want[country].values()), quiet_s=2.0,
                timeout_s=60,
            )  # fmt: skip
            got = Counter(
                (r.key.decode(), dict(r.headers)["fl-version"].decode(), r.value is None)
                for r in records
            )
            assert got == want[country], f"{country}: {sum(got.values())} vs expected"
        assert not hub.task.done(), "the hub stopped instead of riding out the broker restart"
        assert sum(want["FRA"].values()) > ALERTS  # the comparison covers a real volume
    finally:
        await stop_hub_task(hub)
