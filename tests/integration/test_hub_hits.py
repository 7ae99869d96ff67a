"""On the real broker: confirmed hits reach the issuing organization and the originating
country exactly once and nobody else; acknowledgements reach the reporting country; a spoofed
acknowledgement is refused (issue 14)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer
from typer.testing import CliRunner, Result

from gateway.cli import app
from gateway.contract.messages import HitAck, HitOutcome, HitReport, Message, encode_message
from gateway.hub.audit import read_history
from gateway.kafka.headers import headers_to_dict
from tests.support.alerts import make_alert
from tests.support.hub import COUNTRIES, Harness
from tests.support.kafka import read_all

pytestmark = pytest.mark.integration

ALERT = "INTERPOL:IH-1"  # originating country FRA (the sample's)
NOW = datetime.now(UTC)


async def _send(hub: Harness, topic: str, key: str, *messages: Message) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=hub.bootstrap)
    await producer.start()
    try:
        for message in messages:
            value, headers = encode_message(message)
            await producer.send(topic, value, key=key.encode(), headers=headers)
        await producer.flush()
    finally:
        await producer.stop()


def _hit(hit_id: str) -> HitReport:
    return HitReport(
        hit_id=hit_id, alert_id=ALERT, alert_version=1, org="INTERPOL", tlp="GREEN",
        country="DEU", post_id="DEU-FRA", outcome=HitOutcome.DETAINED, reported_at=NOW,
    )  # fmt: skip


def _ack(hit_id: str, org: str = "INTERPOL") -> HitAck:
    return HitAck(
        hit_id=hit_id, alert_id=ALERT, org=org, instructions="detain, call the NCB",
        acked_at=NOW, acked_by="duty",
    )  # fmt: skip


async def test_hit_and_ack_flow_exactly_once_to_their_recipients_only(hub: Harness) -> None:
    """A confirmed hit sent twice reaches fl.outbound.interpol and fl.ncb.FRA once each and no
    other national topic; INTERPOL's ack reaches DEU; an ack on EUROPOL's ingress is refused."""
    await hub.produce("INTERPOL", make_alert(ALERT))
    await hub.ncb("FRA", 1)
    await _send(hub, hub.names.hub_inbox, "IH-H1", _hit("IH-H1"), _hit("IH-H1"))
    outbound = await read_all(hub.bootstrap, hub.names.outbound("INTERPOL"), 1)
    assert [(r.key, headers_to_dict(r.headers)["fl-msg"]) for r in outbound] == [
        (b"hit:IH-H1", "hit")
    ]
    await _send(hub, hub.names.ingress("INTERPOL"), "ack:IH-H1", _ack("IH-H1"))
    await _send(hub, hub.names.ingress("EUROPOL"), "ack:IH-H1", _ack("IH-H1"))
    await _send(hub, hub.names.ingress("EUROPOL"), "ack:IH-H1", _ack("IH-H1", org="EUROPOL"))
    deu = await hub.ncb("DEU", 2)  # the alert and the one acknowledgement
    acks = [r for r in deu if r.key == b"ack:IH-H1"]
    assert len(acks) == 1
    assert headers_to_dict(acks[0].headers)["fl-msg"] == "hit-ack"
    for country in COUNTRIES:
        records = await hub.ncb(country, quiet_s=0.3)
        hits = [r.key for r in records if r.key is not None and r.key.startswith(b"hit:")]
        assert hits == ([b"hit:IH-H1"] if country == "FRA" else []), country
    quarantined = await read_all(hub.bootstrap, hub.names.quarantine, 2)
    reasons = [headers_to_dict(r.headers).get("fl-q-reasons", "") for r in quarantined]
    assert len(quarantined) == 2
    assert all("ack_org_mismatch" in r for r in reasons), reasons
    history = await read_history(hub.settings, hub.names.audit, ALERT)
    actions = [r["action"] for r in history if r.get("hit_id") == "IH-H1"]
    assert actions == [
        "HIT_REPORTED", "HIT_CONFIRMED", "HIT_FORWARDED", "HIT_DUPLICATE", "HIT_ACKNOWLEDGED",
    ]  # fmt: skip


def _cli(hub: Harness, *args: str) -> Result:
    env = {"FRONTLINE_BOOTSTRAP_SERVERS": hub.bootstrap, "FRONTLINE_TOPIC_PREFIX": hub.names.prefix}
    return CliRunner().invoke(app, list(args), env=env)


async def test_hits_cli_shows_lists_and_acknowledges(hub: Harness) -> None:
    """`hits list --awaiting` names the forwarded hit, `hits ack` (org from the trail) reaches
    the reporting country's node, then `hits show` prints the whole trail and nothing awaits."""
    alert_id = "INTERPOL:IH-2"
    await hub.produce("INTERPOL", make_alert(alert_id))
    await hub.ncb("FRA", 1)
    hit = _hit("IH-H2").model_copy(update={"alert_id": alert_id})
    await _send(hub, hub.names.hub_inbox, "IH-H2", hit)
    await read_all(hub.bootstrap, hub.names.outbound("INTERPOL"), 1)
    waiting = await asyncio.to_thread(_cli, hub, "hits", "list", "--awaiting", "--json")
    assert waiting.exit_code == 0, waiting.output
    assert [r["hit_id"] for r in json.loads(waiting.stdout)] == ["IH-H2"]
    acked = await asyncio.to_thread(
        _cli, hub, "hits", "ack", "IH-H2", "--instructions", "hold, call NCB Paris"
    )
    assert acked.exit_code == 0, acked.output
    deu = await hub.ncb("DEU", 2)
    assert [r.key for r in deu if r.key.startswith(b"ack:")] == [b"ack:IH-H2"]
    for _ in range(50):
        shown = await asyncio.to_thread(_cli, hub, "hits", "show", "IH-H2", "--json")
        trail = [r["action"] for r in json.loads(shown.stdout)]
        if "HIT_ACKNOWLEDGED" in trail:
            break
        await asyncio.sleep(0.2)
    assert trail == ["HIT_REPORTED", "HIT_CONFIRMED", "HIT_FORWARDED", "HIT_ACKNOWLEDGED"]
    table = await asyncio.to_thread(_cli, hub, "hits", "show", "IH-H2")
    assert "HIT_ACKNOWLEDGED" in table.output
    none = await asyncio.to_thread(_cli, hub, "hits", "list", "--awaiting", "--json")
    assert json.loads(none.stdout) == []
    unknown = await asyncio.to_thread(_cli, hub, "hits", "ack", "NOPE", "--instructions", "x")
    assert unknown.exit_code == 2
