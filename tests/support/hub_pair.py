"""Two hub instances of one consumer group in this event loop, on the real broker, for the
integration tests of several instances (linking, a partition moving between them)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer, TopicPartition

from gateway.hub.service import HubService
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings
from tests.support.hub import TOPOLOGY, create_hub_topics
from tests.support.kafka import read_all

__all__ = ["Pair", "two_hubs"]


@dataclass
class Pair:
    """Two hub instances of one consumer group, and a producer writing to chosen partitions."""

    bootstrap: str
    names: TopicNames
    hubs: list[HubService]
    tasks: list[asyncio.Task[None]]
    producer: AIOKafkaProducer

    def partition_of(self, index: int, org: str) -> int:
        """A partition of ``org``'s ingress topic that hub ``index`` owns."""
        topic = self.names.ingress(org)
        owned = [tp.partition for tp in self.hubs[index].engine.assignment if tp.topic == topic]
        assert owned, f"hub {index} owns no partition of {topic}"
        return int(owned[0])

    async def send(self, index: int, value: bytes) -> None:
        """Publish an alert on a partition the hub ``index`` owns (all its versions alike)."""
        org = "INTERPOL" if value.find(b"INTERPOL:") >= 0 else "EUROPOL"
        await self.producer.send_and_wait(
            self.names.ingress(org), value, partition=self.partition_of(index, org)
        )

    async def record(self, country: str, alert_id: str, version: int) -> Any:
        """The national topic's record of that alert version (read_committed), waiting for it."""
        for _ in range(40):
            for r in await read_all(self.bootstrap, self.names.ncb(country), quiet_s=0.2):
                if (
                    r.key.decode() == alert_id
                    and dict(r.headers)["fl-version"] == str(version).encode()
                ):
                    return r
            await asyncio.sleep(0.25)
        raise AssertionError(f"{alert_id} v{version} never reached {country}")


def _partitions(names: TopicNames) -> set[TopicPartition]:
    ingress = [names.ingress(o) for o in ("INTERPOL", "EUROPOL")]
    return {TopicPartition(t, p) for t in ingress for p in (0, 1)} | {
        TopicPartition(names.hub_inbox, 0)
    }


@asynccontextmanager
async def two_hubs(bootstrap: str, prefix: str, tmp_path: Path) -> AsyncIterator[Pair]:
    """Two hub instances sharing the ingress partitions (each owns one of every org's two),
    stopped (those still running) when the block ends."""
    topology = tmp_path / "topology.toml"
    topology.write_text(TOPOLOGY, encoding="utf-8")
    settings = Settings(bootstrap_servers=bootstrap, topic_prefix=prefix, topology_file=topology)
    await create_hub_topics(settings, TOPOLOGY)
    hubs = [HubService(settings, hub_id=f"hub-{i}") for i in range(2)]
    tasks = [asyncio.create_task(h.run()) for h in hubs]
    every = _partitions(TopicNames(prefix))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 45
    while True:
        for task in tasks:
            if task.done():
                task.result()
        owned = [h.engine.assignment for h in hubs]
        ingress = [{tp.topic for tp in o if "ingress" in tp.topic} for o in owned]
        if (
            owned[0] | owned[1] == every
            and not owned[0] & owned[1]
            and all(len(i) == 2 for i in ingress)
        ):
            break
        assert loop.time() < deadline, f"the two hubs never shared the partitions: {owned}"
        await asyncio.sleep(0.2)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        yield Pair(bootstrap, TopicNames(prefix), hubs, tasks, producer)
    finally:
        await producer.stop()
        for h in hubs:
            h.stop()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 40)
