"""Two hub instances on the real broker: linking sees the other instance's commits within D."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import TopicPartition

from gateway.contract.messages import HitAck, HitOutcome, HitReport, encode_message
from gateway.kafka.headers import RouteHeaders
from tests.support.alerts import make_alert
from tests.support.hub_pair import Pair, two_hubs
from tests.support.kafka import read_all

pytestmark = pytest.mark.integration

LINK_DELAY_S = 1.0
"""D of docs/hub.md: a commit on one instance is in every other instance's view by then."""
DOC = {"travel_documents": [{"doc_type": "P", "number": "X1234567", "issuing_country": "SWE"}]}


@pytest.fixture
async def pair(bootstrap: str, prefix: str, tmp_path: Path) -> AsyncIterator[Pair]:
    """Two hub instances sharing the ingress partitions (each owns one of every org's two)."""
    async with two_hubs(bootstrap, prefix, tmp_path) as found:
        yield found


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
