"""On the real broker: a version held for review neither extends the delivered one's expiry
nor delays its own restrictions (issue 11, item 4)."""

from __future__ import annotations

import asyncio
import time

import pytest

from gateway.hub.audit import read_history
from gateway.hub.policy.decide import load_policy
from gateway.hub.review import ReviewDecision, list_held, publish_decision
from gateway.kafka.headers import headers_to_dict
from tests.support.alerts import make_alert
from tests.support.hub import Harness, by_alert

pytestmark = pytest.mark.integration

POLITICAL = {"offences": ["political offence"]}


def _stamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds))


async def test_delivered_version_expires_while_a_longer_lived_one_waits(
    hub: Harness,
) -> None:
    """v1 (4 s) is revoked on time while v2 (1 day) waits; a held deny list applies at once."""
    await hub.produce(
        "INTERPOL",
        make_alert("INTERPOL:HX-1", 1, expires_at=_stamp(4)),
        make_alert("INTERPOL:HX-1", 2, expires_at=_stamp(86_400), subject=POLITICAL),
        make_alert("INTERPOL:HD-1", 1),
        make_alert("INTERPOL:HD-1", 2, deny_countries=["FRA"], subject=POLITICAL),
    )
    fra = by_alert(await hub.ncb("FRA", 3))
    assert [r.value is None for r in fra["INTERPOL:HD-1"]] == [False, True]
    assert headers_to_dict(fra["INTERPOL:HD-1"][1].headers)["fl-reason"] == "NARROWED"
    await asyncio.sleep(6)  # v1's expiry passes and the next one-second tick runs
    # DEU holds HX-1 v1, its EXPIRED tombstone and HD-1 v1 (the deny list names FRA only).
    deu = by_alert(await hub.ncb("DEU", 3))
    assert [r.value is None for r in deu["INTERPOL:HX-1"]] == [False, True]
    assert headers_to_dict(deu["INTERPOL:HX-1"][1].headers)["fl-reason"] == "EXPIRED"
    held = {h.alert_id for h in await list_held(hub.settings)}
    assert held == {"INTERPOL:HX-1", "INTERPOL:HD-1"}
    history = await read_history(hub.settings, hub.names.audit, "INTERPOL:HX-1")
    assert [(r["action"], r["version"]) for r in history] == [
        ("DELIVERED", 1), ("HELD", 2), ("REVOKED", 1),
    ]  # fmt: skip
    assert {r["policy_version"] for r in history} == {load_policy().version}
    await publish_decision(hub.settings, ReviewDecision("INTERPOL:HX-1", 2, True, "alice"))
    deu = by_alert(await hub.ncb("DEU", 4))  # waits for the approved v2, the fourth
    assert [r.value is None for r in deu["INTERPOL:HX-1"]] == [False, True, False]
    assert headers_to_dict(deu["INTERPOL:HX-1"][2].headers)["fl-version"] == "2"
    approved = (await read_history(hub.settings, hub.names.audit, "INTERPOL:HX-1"))[-1]
    assert approved["action"] == "APPROVED"
    assert approved["reviewer_authenticated"] is False
    assert approved["policy_version"] == load_policy().version
