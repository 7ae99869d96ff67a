"""Two hub instances on the real broker: linking sees the other instance's commits within D."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition

from gateway.hub.service import HubService
from gateway.kafka.headers import RouteHeaders
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings
from tests.support.alerts import make_alert
from tests.support.hub import TOPOLOGY, create_hub_topics
from tests.support.kafka import read_all

pytestmark = pytest.mark.integration

LINK_DELAY_S = 1.0
"""D of docs/hub.md: a commit on one instance is in every other instance's view by then."""
DOC = {"travel_documents": [{"doc_type": "P", "number": "X1234567", "issuing_country": "SWE"}]}


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


async def _partitions(settings: Settings) -> set[TopicPartition]:
    names = TopicNames(settings.topic_prefix)
    ingress = [names.ingress(o) for o in ("INTERPOL", "EUROPOL")]
    return {TopicPartition(t, p) for t in ingress for p in (0, 1)} | {
        TopicPartition(names.hub_inbox, 0)
    }


@pytest.fixture
async def pair(bootstrap: str, prefix: str, tmp_path: Path) -> AsyncIterator[Pair]:
    """Two hub instances sharing the ingress partitions (each owns one of every org's two)."""
    topology = tmp_path / "topology.toml"
    topology.write_text(TOPOLOGY, encoding="utf-8")
    settings = Settings(bootstrap_servers=bootstrap, topic_prefix=prefix, topology_file=topology)
    await create_hub_topics(settings, TOPOLOGY)
    hubs = [HubService(settings, hub_id=f"hub-{i}") for i in range(2)]
    tasks = [asyncio.create_task(h.run()) for h in hubs]
    every = await _partitions(settings)
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


def _linked(record: Any) -> tuple[str, ...]:
    return RouteHeaders.from_kafka(record.headers).linked


async def test_twins_on_two_instances_are_linked_after_the_delay(pair: Pair) -> None:
    """A twin routed by one instance D after its twin committed on the other carries the link."""
    await pair.send(0, make_alert("INTERPOL:TW-1", subject=DOC))
    loop = asyncio.get_running_loop()
    times: list[float] = []
    for hub in pair.hubs:  # hub 0 commits it, hub 1 tails it in
        give_up = loop.time() + 20
        while hub.store.committed("INTERPOL:TW-1") is None:
            assert loop.time() < give_up, "the twin never reached the state"
            await asyncio.sleep(0.005)
        times.append(loop.time())
    delay = times[1] - times[0]
    print(f"hub 1 saw hub 0's commit {1000 * delay:.0f} ms after hub 0 applied it")
    assert delay <= LINK_DELAY_S
    await asyncio.sleep(LINK_DELAY_S - delay)
    await pair.send(1, make_alert("EUROPOL:TW-2", subject=DOC))
    twin = await pair.record("FRA", "EUROPOL:TW-2", 1)
    assert _linked(twin) == ("INTERPOL:TW-1",)
    # The link names the other alert by id only; the first twin itself carries none.
    assert _linked(await pair.record("FRA", "INTERPOL:TW-1", 1)) == ()


async def test_a_twin_narrowed_out_of_a_country_is_never_named_to_it(pair: Pair) -> None:
    """Once a country is narrowed out of an alert, another instance's twin never names it there,
    while countries still holding it are told."""
    await pair.send(0, make_alert("INTERPOL:NW-1", subject=DOC))
    await pair.record("FRA", "INTERPOL:NW-1", 1)
    await asyncio.sleep(LINK_DELAY_S)  # hub 1 now knows FRA holds NW-1
    await pair.send(0, make_alert("INTERPOL:NW-1", 2, subject=DOC, deny_countries=["FRA"]))
    gone = await pair.record("FRA", "INTERPOL:NW-1", 2)
    assert gone.value is None  # FRA's tombstone: it may no longer see NW-1
    await pair.record("DEU", "INTERPOL:NW-1", 2)
    await asyncio.sleep(LINK_DELAY_S)
    await pair.send(1, make_alert("EUROPOL:NW-2", subject=DOC))
    assert _linked(await pair.record("FRA", "EUROPOL:NW-2", 1)) == ()
    assert _linked(await pair.record("DEU", "EUROPOL:NW-2", 1)) == ("INTERPOL:NW-1",)
