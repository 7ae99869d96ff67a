"""Two hub instances on the real broker: an alert's partition moves from one to the other
between its routing and its expiry, or between its hold for review and the approval."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.hub.audit import read_history
from gateway.hub.review import ReviewDecision, list_held, publish_decision
from gateway.hub.service import HubService
from gateway.hub.state import AlertState
from gateway.kafka import clock
from gateway.kafka.headers import headers_to_dict
from tests.support.alerts import make_alert
from tests.support.hub import COUNTRIES
from tests.support.hub_pair import Pair, two_hubs
from tests.support.kafka import read_all

pytestmark = pytest.mark.integration

POLITICAL = {"offences": ["political offence"]}
EXPIRES_IN_S = 10
"""Time enough to route the alert, stop its owner and rebalance before it expires."""
EVERY = 5  # partitions: two per organization's ingress topic, and the hub inbox


@pytest.fixture
async def pair(bootstrap: str, prefix: str, tmp_path: Path) -> AsyncIterator[Pair]:
    """Two hub instances sharing the ingress partitions (each owns one of every org's two)."""
    async with two_hubs(bootstrap, prefix, tmp_path) as found:
        yield found


def _stamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds))


async def _in_view(hub: HubService, alert_id: str) -> AlertState:
    """The alert's committed entry once the instance's view holds it (its own or tailed in)."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + 20
    while (entry := hub.store.committed(alert_id)) is None:
        assert loop.time() < give_up, f"{alert_id} never reached {hub.hub_id}'s view"
        await asyncio.sleep(0.05)
    return entry


async def _history(pair: Pair, alert_id: str, count: int) -> list[dict[str, Any]]:
    """The alert's audit records once there are at least ``count`` of them."""
    settings = pair.hubs[1].settings
    for _ in range(60):
        found = await read_history(settings, pair.names.audit, alert_id)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.25)
    raise AssertionError(f"{alert_id}: fewer than {count} audit records: {found}")


async def _hand_over(pair: Pair, index: int) -> None:
    """Stop hub ``index`` cleanly and wait until the other owns every partition."""
    pair.hubs[index].stop()
    await asyncio.wait_for(pair.tasks[index], 30)
    other = pair.hubs[1 - index]
    loop = asyncio.get_running_loop()
    give_up = loop.time() + 30
    while len(other.engine.assignment) < EVERY:
        assert loop.time() < give_up, f"{other.hub_id} never took the partitions over"
        await asyncio.sleep(0.05)
    # The engine counts a partition as owned once its producer is up, before the hub has
    # restored and re-armed what it took over; that restore runs under the engine's lock.
    async with other.engine._lock:
        pass


async def _national(pair: Pair, alert_id: str, expect: dict[str, int]) -> dict[str, list[Any]]:
    """Each country's records of the alert (read_committed): ``expect`` of them awaited per
    country, then quiet long enough for a duplicate from a later tick to show."""
    found = await asyncio.gather(
        *(
            read_all(pair.bootstrap, pair.names.ncb(c), expect.get(c, 0), quiet_s=2.5,
                     timeout_s=30)
            for c in COUNTRIES
        )
    )  # fmt: skip
    return {
        c: [r for r in records if r.key == alert_id.encode()]
        for c, records in zip(COUNTRIES, found, strict=True)
    }


async def test_expiry_of_an_alert_whose_partition_moved_runs_once_on_the_new_owner(
    pair: Pair,
) -> None:
    """An alert routed by one instance whose partition moves to the other before it expires
    gets exactly one EXPIRED tombstone per holder, written by the new owner's re-armed timer."""
    alert_id = "INTERPOL:HO-X1"
    owner = (pair.names.ingress("INTERPOL"), pair.partition_of(0, "INTERPOL"))
    await pair.send(0, make_alert(alert_id, expires_at=_stamp(EXPIRES_IN_S)))
    entry = await _in_view(pair.hubs[1], alert_id)  # hub 1's tail brought it in
    assert entry.expires_at_ms is not None
    [delivered] = await _history(pair, alert_id, 1)
    assert (delivered["action"], delivered["hub"]) == ("DELIVERED", "hub-0")
    holders = set(delivered["recipients"])
    assert len(holders) >= 2
    # Only the owner arms the expiry: hub 1 holds the entry but no timer for it.
    assert (pair.hubs[0].store.armed(owner), pair.hubs[1].store.armed(owner)) == (1, 0)
    await _hand_over(pair, 0)
    assert clock.now_ms() < entry.expires_at_ms, "the move came after the expiry"
    assert pair.hubs[1].store.armed(owner) == 1  # armed again from the committed entry
    national = await _national(pair, alert_id, dict.fromkeys(holders, 2))
    for country, records in national.items():
        got = [(r.value is None, headers_to_dict(r.headers).get("fl-reason")) for r in records]
        want = [(False, None), (True, "EXPIRED")] if country in holders else []
        assert got == want, country
    history = await read_history(pair.hubs[1].settings, pair.names.audit, alert_id)
    assert [(r["action"], r["hub"]) for r in history] == [
        ("DELIVERED", "hub-0"), ("REVOKED", "hub-1"),
    ]  # fmt: skip
    assert set(history[1]["revoked"]) == holders


async def test_a_hold_approved_after_its_partition_moved_is_released_once_by_the_new_owner(
    pair: Pair,
) -> None:
    """A version held by one instance and approved after its partition moved to the other
    reaches each recipient of the hold exactly once, released by the new owner."""
    alert_id = "INTERPOL:HO-R1"
    await pair.send(0, make_alert(alert_id, subject=POLITICAL))
    [held] = await _history(pair, alert_id, 1)
    assert (held["action"], held["hub"]) == ("HELD", "hub-0")
    recipients = set(held["recipients"])
    assert len(recipients) >= 2
    entry = await _in_view(pair.hubs[1], alert_id)
    assert entry.held is not None  # hub 1's tail brought the hold in
    assert entry.held.version == 1
    await _hand_over(pair, 0)
    early = await _national(pair, alert_id, {})
    assert not any(early.values()), early  # nothing went out before the approval
    await publish_decision(pair.hubs[1].settings, ReviewDecision(alert_id, 1, True, "alice"))
    national = await _national(pair, alert_id, dict.fromkeys(recipients, 1))
    for country, records in national.items():
        got = [(r.value is None, headers_to_dict(r.headers)["fl-version"]) for r in records]
        assert got == ([(False, "1")] if country in recipients else []), country
    history = await read_history(pair.hubs[1].settings, pair.names.audit, alert_id)
    assert [(r["action"], r["hub"]) for r in history] == [
        ("HELD", "hub-0"), ("APPROVED", "hub-1"),
    ]  # fmt: skip
    assert set(history[1]["recipients"]) == recipients
    assert await list_held(pair.hubs[1].settings) == []  # the review record is tombstoned
