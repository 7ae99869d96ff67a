"""On the real broker: a version held for review neither extends the delivered one's expiry
nor delays its own restrictions (issue 11, item 4)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.hub.audit import read_history
from gateway.hub.policy.decide import load_policy
from gateway.hub.review import ReviewDecision, list_held, publish_decision
from gateway.kafka.headers import headers_to_dict
from gateway.settings import Settings
from tests.integration import test_hub as base
from tests.support.alerts import make_alert

pytestmark = pytest.mark.integration

POLITICAL = {"offences": ["political offence"]}


@pytest.fixture
async def hub(bootstrap: str, prefix: str, tmp_path: Path) -> AsyncIterator[base.Harness]:
    """The seven-country hub of ``test_hub``, running until the test ends."""
    topology = tmp_path / "topology.toml"
    topology.write_text(base.TOPOLOGY, encoding="utf-8")
    settings = Settings(
        bootstrap_servers=bootstrap, topic_prefix=prefix, topology_file=topology,
        commit_interval_ms=50,
    )  # fmt: skip
    await base.create_hub_topics(settings, base.TOPOLOGY)
    harness = await base.start_hub(settings, bootstrap)
    try:
        yield harness
    finally:
        await base.stop_hub(harness)


def _stamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds))


async def test_delivered_version_expires_while_a_longer_lived_one_waits(
    hub: base.Harness,
) -> None:
    """v1 (4 s) is revoked on time while v2 (1 day) waits; a held deny list applies at once."""
    await hub.produce(
        "INTERPOL",
        make_alert("INTERPOL:HX-1", 1, expires_at=_stamp(4)),
        make_alert("INTERPOL:HX-1", 2, expires_at=_stamp(86_400), subject=POLITICAL),
        make_alert("INTERPOL:HD-1", 1),
        make_alert("INTERPOL:HD-1", 2, deny_countries=["FRA"], subject=POLITICAL),
    )
    fra = base._alerts(await hub.ncb("FRA", 3))
    assert [r.value is None for r in fra["INTERPOL:HD-1"]] == [False, True]
    assert headers_to_dict(fra["INTERPOL:HD-1"][1].headers)["fl-reason"] == "NARROWED"
    await asyncio.sleep(6)  # v1's expiry passes and the next one-second tick runs
    # DEU holds HX-1 v1, its EXPIRED tombstone and HD-1 v1 (the deny list names FRA only).
    deu = base._alerts(await hub.ncb("DEU", 3))
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
    deu = base._alerts(await hub.ncb("DEU", 4))  # waits for the approved v2, the fourth
    assert [r.value is None for r in deu["INTERPOL:HX-1"]] == [False, True, False]
    assert headers_to_dict(deu["INTERPOL:HX-1"][2].headers)["fl-version"] == "2"
    approved = (await read_history(hub.settings, hub.names.audit, "INTERPOL:HX-1"))[-1]
    assert approved["action"] == "APPROVED"
    assert approved["reviewer_authenticated"] is False
    assert approved["policy_version"] == load_policy().version
