"""Two hub instances on the real broker: linking sees the other instance's commits within D."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition

from gateway.contract.messages import HitAck, HitOutcome, HitReport, encode_message
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


async def test_a_hit_and_its_acknowledgement_cross_instances_whose_tails_are_stopped(
    pair: Pair,
) -> None:
    """With both tails stopped, a hit on an alert the other instance routed, and the
    acknowledgement of a hit the other instance forwarded, each wait for their instance's
    view and are forwarded, not quarantined as unknown_alert or unknown_hit."""
    for hub in pair.hubs:
        hub.reader.tail_interval_s = 3600.0
    await asyncio.sleep(1.0)  # a tail pass under way finishes; no other starts
    names = pair.names
    inbox = [i for i, h in enumerate(pair.hubs) if TopicPartition(names.hub_inbox, 0)
             in h.engine.assignment]  # fmt: skip
    assert len(inbox) == 1
    router = 1 - inbox[0]  # routes the alert and reads the acknowledgement
    await pair.send(router, make_alert("INTERPOL:WB-1"))
    await pair.record("FRA", "INTERPOL:WB-1", 1)
    assert pair.hubs[inbox[0]].store.committed("INTERPOL:WB-1") is None  # out of its view
    reported = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    hit = HitReport(
        hit_id="H-WB-1", alert_id="INTERPOL:WB-1", alert_version=1, org="INTERPOL",
        tlp="GREEN", country="DEU", post_id="DEU-AIR", outcome=HitOutcome.ARRESTED,
        reported_at=reported,
    )  # fmt: skip
    value, headers = encode_message(hit)
    await pair.producer.send_and_wait(names.hub_inbox, value, key=b"H-WB-1", headers=headers)
    forwarded = await read_all(pair.bootstrap, names.outbound("INTERPOL"), 1, timeout_s=30)
    assert [r.key for r in forwarded] == [b"hit:H-WB-1"]
    ack = HitAck(
        hit_id="H-WB-1", alert_id="INTERPOL:WB-1", org="INTERPOL", instructions="hold",
        acked_at=reported, acked_by="duty-officer",
    )  # fmt: skip
    value, headers = encode_message(ack)
    await pair.producer.send_and_wait(
        names.ingress("INTERPOL"), value, key=b"ack:H-WB-1", headers=headers,
        partition=pair.partition_of(router, "INTERPOL"),
    )  # fmt: skip
    for _ in range(60):
        records = await read_all(pair.bootstrap, names.ncb("DEU"), quiet_s=0.2)
        if any(r.key == b"ack:H-WB-1" for r in records):
            break
        await asyncio.sleep(0.25)
    else:
        raise AssertionError("the acknowledgement never reached DEU")
    assert not await read_all(pair.bootstrap, names.quarantine, quiet_s=0.5)
