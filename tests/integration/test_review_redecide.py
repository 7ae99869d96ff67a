"""On the real broker: a review approval decides again at the approval moment; an alert that
expired or was narrowed while held is delivered only as it now may be (issue 14)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from gateway.hub.audit import read_history
from gateway.hub.review import ReviewDecision, publish_decision
from gateway.kafka.headers import headers_to_dict
from tests.support.alerts import make_alert
from tests.support.hub import COUNTRIES, Harness, start_hub, stop_hub
from tests.support.paths import ROOT

pytestmark = pytest.mark.integration

POLITICAL = {"offences": ["political offence"]}


def _stamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds))


async def _decide(hub: Harness, decision: ReviewDecision) -> None:
    """Write a decision as `review approve` does, without its check that the alert still waits."""
    producer = AIOKafkaProducer(bootstrap_servers=hub.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            hub.names.review_decisions, decision.to_bytes(), key=decision.alert_id.encode()
        )
    finally:
        await producer.stop()


async def test_approval_after_expiry_delivers_nothing(hub: Harness) -> None:
    """A held version whose expiry passed before its approval reaches no national topic."""
    alert_id = "INTERPOL:RX-1"
    await hub.produce("INTERPOL", make_alert(alert_id, expires_at=_stamp(2), subject=POLITICAL))
    await asyncio.sleep(4)
    await _decide(hub, ReviewDecision(alert_id, 1, True, "alice"))
    await asyncio.sleep(2.5)
    for country in COUNTRIES:
        records = await hub.ncb(country, quiet_s=0.2, timeout_s=3)
        assert [r for r in records if r.key == alert_id.encode()] == [], country
    history = await read_history(hub.settings, hub.names.audit, alert_id)
    assert history[0]["action"] == "HELD"
    assert all(not r.get("recipients") for r in history if r["action"] != "HELD")


async def test_approval_decides_with_the_policy_of_the_approval_moment(
    hub: Harness, tmp_path: Path
) -> None:
    """A hub restarted with a policy dropping DEU delivers an approved alert held before to the
    other countries only, its latency measured from the approval."""
    alert_id = "INTERPOL:RP-1"
    await hub.produce("INTERPOL", make_alert(alert_id, subject=POLITICAL))
    history: list[dict[str, object]] = []
    for _ in range(50):
        history = await read_history(hub.settings, hub.names.audit, alert_id)
        if history:
            break
        await asyncio.sleep(0.2)
    [held] = history
    assert held["action"] == "HELD"
    assert "DEU" in held["recipients"]  # type: ignore[operator]
    await stop_hub(hub)
    policy = tmp_path / "policy.toml"
    text = (ROOT / "deploy" / "policy.toml").read_text(encoding="utf-8")
    policy.write_text(text.replace('"DEU", ', ""), encoding="utf-8")
    settings = hub.settings.model_copy(update={"policy_file": policy})
    again = await start_hub(settings, hub.bootstrap)
    try:
        await publish_decision(settings, ReviewDecision(alert_id, 1, True, "alice"))
        fra = [r for r in await again.ncb("FRA", 1) if r.key == alert_id.encode()]
        assert len(fra) == 1
        headers = headers_to_dict(fra[0].headers)
        assert int(headers["fl-ts-approved"]) == int(headers["fl-ts-connector"])
        assert int(headers["fl-review-wait-ms"]) > 0
        deu = await again.ncb("DEU", quiet_s=0.5, timeout_s=3)
        assert [r for r in deu if r.key == alert_id.encode()] == []
        approved = (await read_history(settings, again.names.audit, alert_id))[-1]
        assert approved["action"] == "APPROVED"
        assert "DEU" in approved["denied"]
    finally:
        await stop_hub(again)
