"""The hub on the real broker: connector to national nodes, revocation, review, restart."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from typer.testing import CliRunner

from connectors.registry import get_connector
from connectors.runtime.publisher import Publisher
from gateway.cli import audit as audit_cli
from gateway.cli import review as review_cli
from gateway.hub.audit import read_history
from gateway.hub.review import ReviewDecision, list_held, publish_decision
from gateway.kafka.headers import RouteHeaders, headers_to_dict
from gateway.kafka.quarantine import QuarantineRecord
from gateway.settings import Settings
from tests.support.alerts import make_alert
from tests.support.hub import COUNTRIES, SAMPLE, Harness, by_alert, start_hub, stop_hub
from tests.support.kafka import read_all

pytestmark = pytest.mark.integration


async def test_connector_sample_reaches_exactly_the_allowed_nodes(hub: Harness) -> None:
    """INTERPOL's sample goes from the connector to each allowed national node once, unchanged."""
    connector = get_connector("INTERPOL")
    payload = SAMPLE.read_bytes()
    async with Publisher(hub.settings, connector) as publisher:
        report = await publisher.publish(payload, "interpol.json", keep_results=True)
    ingress = await read_all(hub.bootstrap, hub.names.ingress("INTERPOL"), 5)
    sent = {r.key.decode(): r.value for r in ingress}
    assert len(sent) == 5, report
    seen = {c: by_alert(await hub.ncb(c, 1)) for c in COUNTRIES}
    # GREEN alerts: every INTERPOL member with a node.
    for country in COUNTRIES:
        assert [r.value for r in seen[country]["INTERPOL:2021/75051"]] == [
            sent["INTERPOL:2021/75051"]
        ]
    # RED: only the named recipients; AMBER with a deny list: never SYR.
    red = {c for c in COUNTRIES if "INTERPOL:2023/10422" in seen[c]}
    assert red == {"ESP", "COL"}
    assert "INTERPOL:2019/31208" not in seen["SYR"]
    assert "INTERPOL:2019/31208" in seen["FRA"]
    # A CANCEL of an alert nobody holds delivers nothing anywhere.
    assert all("INTERPOL:2018/90017" not in seen[c] for c in COUNTRIES)
    record = seen["FRA"]["INTERPOL:2021/75051"][0]
    headers = RouteHeaders.from_kafka(record.headers)
    assert headers.org == "INTERPOL"
    assert headers.ts_connector is not None
    assert headers.ts_hub is not None
    assert headers.ts_hub >= headers.ts_connector
    history = await read_history(hub.settings, hub.names.audit, "INTERPOL:2023/10422")
    assert [r["action"] for r in history] == ["DELIVERED"]
    assert history[0]["denied"]["FRA"] == "TLP_RED_NOT_NAMED"


async def test_spoofed_and_corrupt_records_go_to_quarantine(hub: Harness) -> None:
    """A record claiming another organization and undecodable bytes are quarantined with reasons."""
    spoof = make_alert("EUROPOL:S-1")
    producer = AIOKafkaProducer(bootstrap_servers=hub.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(hub.names.ingress("INTERPOL"), spoof, key=b"EUROPOL:S-1")
        await producer.send_and_wait(
            hub.names.ingress("INTERPOL"), b"junk, not single-object avro", key=b"x"
        )
    finally:
        await producer.stop()
    quarantined = await read_all(hub.bootstrap, hub.names.quarantine, 2)
    reasons = {
        QuarantineRecord.from_kafka(r.value, r.headers).reasons[0].code: r.value
        for r in quarantined
    }
    assert reasons == {"source_org_mismatch": spoof, "bad_marker": b"junk, not single-object avro"}
    assert await hub.ncb("FRA", quiet_s=0.3) == []


async def test_narrowing_cancel_and_expiry_send_tombstones(hub: Harness) -> None:
    """A narrowed update, a cancel and an expiry tombstone exactly the countries that lose it."""
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 4))
    await hub.produce(
        "INTERPOL",
        make_alert("INTERPOL:N-1", 1),
        make_alert("INTERPOL:N-1", 2, deny_countries=["FRA"]),
        make_alert("INTERPOL:N-1", 3, msg_type="CANCEL"),
        make_alert("INTERPOL:X-1", 1, expires_at=soon),
    )
    fra = by_alert(await hub.ncb("FRA", 3))
    assert [r.value is None for r in fra["INTERPOL:N-1"]] == [False, True]
    assert headers_to_dict(fra["INTERPOL:N-1"][1].headers)["fl-reason"] == "NARROWED"
    deu = by_alert(await hub.ncb("DEU", 3))
    assert [headers_to_dict(r.headers).get("fl-version") for r in deu["INTERPOL:N-1"]] == [
        "1", "2", "3",
    ]  # fmt: skip
    assert deu["INTERPOL:N-1"][-1].value is None
    assert headers_to_dict(deu["INTERPOL:N-1"][-1].headers)["fl-reason"] == "CANCELLED"
    await asyncio.sleep(5)  # the expiry passes and the next one-second tick runs
    deu = by_alert(await hub.ncb("DEU", 5))
    expiry = deu["INTERPOL:X-1"]
    assert [r.value is None for r in expiry] == [False, True]
    assert headers_to_dict(expiry[-1].headers)["fl-reason"] == "EXPIRED"
    history = await read_history(hub.settings, hub.names.audit, "INTERPOL:X-1")
    assert [r["action"] for r in history] == ["DELIVERED", "REVOKED"]


async def _wait_held(settings: Settings, count: int) -> list[Any]:
    for _ in range(50):
        held = await list_held(settings)
        if len(held) >= count:
            return held
        await asyncio.sleep(0.2)
    return await list_held(settings)


async def test_review_hold_approve_and_reject(hub: Harness) -> None:
    """Held alerts reach nobody until approved; a rejected one never does; both are audited."""
    political = {"offences": ["political offence"]}
    await hub.produce(
        "INTERPOL",
        make_alert("INTERPOL:R-1", subject=political),
        make_alert("INTERPOL:R-2", subject=political),
    )
    held = await _wait_held(hub.settings, 2)
    assert sorted(h.alert_id for h in held) == ["INTERPOL:R-1", "INTERPOL:R-2"]
    assert await hub.ncb("FRA", quiet_s=0.3) == []
    await publish_decision(hub.settings, ReviewDecision("INTERPOL:R-1", 0, True, "rev"))
    await publish_decision(hub.settings, ReviewDecision("INTERPOL:R-2", 0, False, "rev", "Art. 3"))
    fra = by_alert(await hub.ncb("FRA", 1, quiet_s=2.5))
    assert list(fra) == ["INTERPOL:R-1"]
    assert len(fra["INTERPOL:R-1"]) == 1
    assert await _wait_held(hub.settings, 0) == []
    approved = await read_history(hub.settings, hub.names.audit, "INTERPOL:R-1")
    rejected = await read_history(hub.settings, hub.names.audit, "INTERPOL:R-2")
    assert [r["action"] for r in approved] == ["HELD", "APPROVED"]
    assert [r["action"] for r in rejected] == ["HELD", "REJECTED"]
    assert rejected[-1]["note"] == "Art. 3"


async def test_restart_restores_state_from_changelog(hub: Harness) -> None:
    """After a restart the hub remembers versions: a replayed version is a duplicate, not resent."""
    await hub.produce("INTERPOL", make_alert("INTERPOL:K-1", 2))
    assert len(await hub.ncb("FRA", 1)) == 1
    await stop_hub(hub)
    restarted = await start_hub(hub.settings, hub.bootstrap)
    hub.service, hub.task = restarted.service, restarted.task
    await hub.produce("INTERPOL", make_alert("INTERPOL:K-1", 2), make_alert("INTERPOL:K-1", 1))
    history: list[dict[str, Any]] = []
    for _ in range(50):
        history = await read_history(hub.settings, hub.names.audit, "INTERPOL:K-1")
        if len(history) >= 3:
            break
        await asyncio.sleep(0.2)
    assert [r["action"] for r in history] == ["DELIVERED", "DUPLICATE", "STALE"]
    assert len(await hub.ncb("FRA", 1)) == 1


def _cli(app: Any, args: list[str], settings: Settings) -> Any:
    env = {
        "FRONTLINE_BOOTSTRAP_SERVERS": settings.bootstrap_servers or "",
        "FRONTLINE_TOPIC_PREFIX": settings.topic_prefix,
        "COLUMNS": "250",
    }
    return CliRunner().invoke(app, args, env=env)


async def test_review_and_audit_commands(hub: Harness) -> None:
    """`review list`, `review approve` and `audit show` drive and show the review workflow."""
    await hub.produce("INTERPOL", make_alert("INTERPOL:C-1", subject={"offences": ["treason"]}))
    await _wait_held(hub.settings, 1)
    listed = await asyncio.to_thread(_cli, review_cli.app, ["list"], hub.settings)
    assert listed.exit_code == 0, listed.output
    assert "INTERPOL:C-1" in listed.output
    assert "offence:treason" in listed.output
    approved = await asyncio.to_thread(
        _cli, review_cli.app, ["approve", "INTERPOL:C-1", "--note", "checked"], hub.settings
    )
    assert approved.exit_code == 0, approved.output
    assert len(await hub.ncb("ESP", 1)) == 1
    missing = await asyncio.to_thread(
        _cli, review_cli.app, ["approve", "INTERPOL:C-1"], hub.settings
    )
    assert missing.exit_code == 2
    assert "not waiting for review" in missing.output
    shown = await asyncio.to_thread(
        _cli, audit_cli.app, ["show", "INTERPOL:C-1", "--json"], hub.settings
    )
    assert shown.exit_code == 0, shown.output
    actions = [orjson.loads(line)["action"] for line in shown.output.splitlines()]
    assert actions == ["HELD", "APPROVED"]
    table = await asyncio.to_thread(_cli, audit_cli.app, ["show", "INTERPOL:C-1"], hub.settings)
    assert "APPROVED" in table.output
    assert "reviewer=" in table.output
