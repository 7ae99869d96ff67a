"""The hub's way back: confirmed hits to the issuer only, acknowledgements to the reporting
country, anti-spoofing, flags, dedupe and their metrics (issue 14)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import orjson
from aiokafka import TopicPartition

from gateway.contract.messages import (
    Flag,
    HitAck,
    HitOutcome,
    HitReport,
    Message,
    encode_message,
)
from gateway.hub.hits import SideStore
from gateway.hub.metrics import HubMetrics
from gateway.hub.policy.decide import load_policy
from gateway.hub.service import HubProcessor
from gateway.hub.state import StateStore
from gateway.kafka.eos import Output
from gateway.kafka.topic_names import TopicNames
from gateway.topology import load_topology
from tests.support.alerts import make_alert
from tests.support.hub import flat_outputs

NAMES = TopicNames("fl.")
INTERPOL = TopicPartition(NAMES.ingress("INTERPOL"), 0)
EUROPOL = TopicPartition(NAMES.ingress("EUROPOL"), 0)
INBOX = TopicPartition(NAMES.hub_inbox, 0)
ALERT = "INTERPOL:HIT-1"  # originating country FRA (the sample's)
REPORTED = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)


def _processor(metrics: HubMetrics | None = None) -> HubProcessor:
    return HubProcessor(
        policy=load_policy(), topology=load_topology(), names=NAMES,
        store=StateStore(NAMES.hub_state), metrics=metrics,
    )  # fmt: skip


def _record(value: bytes | None, headers: list[tuple[str, bytes]], offset: int = 0) -> Any:
    return SimpleNamespace(offset=offset, value=value, headers=headers, timestamp=1, key=None)


def _run(p: HubProcessor, tp: TopicPartition, *records: Any) -> list[Output]:
    """Process one batch and commit it, as the engine does; the outputs, fan-outs flattened."""
    outputs = p.process(tp, list(records))
    p.committed(tp)
    return flat_outputs(outputs)


def _msg(message: Message, offset: int = 0) -> Any:
    value, headers = encode_message(message)
    return _record(value, headers, offset)


def _hit(hit_id: str = "H-1", **kw: Any) -> HitReport:
    fields: dict[str, Any] = {
        "hit_id": hit_id, "alert_id": ALERT, "alert_version": 1, "org": "INTERPOL",
        "tlp": "GREEN", "country": "DEU", "post_id": "FRA-CDG", "outcome": HitOutcome.ARRESTED,
        "reported_at": REPORTED, "note": "two companions",
    }  # fmt: skip
    fields.update(kw)
    return HitReport(**fields)


def _ack(hit_id: str = "H-1", org: str = "INTERPOL", alert_id: str = ALERT) -> HitAck:
    return HitAck(
        hit_id=hit_id, alert_id=alert_id, org=org, instructions="hold and call the NCB",
        acked_at=REPORTED, acked_by="duty-officer",
    )  # fmt: skip


def _routed(p: HubProcessor, tlp: str = "GREEN") -> None:
    _run(p, INTERPOL, _record(make_alert(ALERT, tlp=tlp), []))


def _to(outputs: list[Output], prefix: str) -> list[Output]:
    return [o for o in outputs if o.topic.startswith(prefix)]


def _audits(outputs: list[Output]) -> list[dict[str, Any]]:
    return [orjson.loads(o.value) for o in outputs if o.topic == NAMES.audit and o.value]


def _quarantined(outputs: list[Output]) -> list[Output]:
    return [o for o in outputs if o.topic == NAMES.quarantine]


def test_confirmed_hit_reaches_the_issuer_and_the_originating_country_only() -> None:
    """A confirmed hit goes to fl.outbound.interpol and fl.ncb.FRA, keyed hit:<id>, nowhere else."""
    p = _processor()
    _routed(p)
    out = _run(p, INBOX, _msg(_hit()))
    assert [(o.topic, o.key) for o in _to(out, "fl.outbound.")] == [
        ("fl.outbound.interpol", b"hit:H-1")
    ]
    assert [(o.topic, o.key) for o in _to(out, "fl.ncb.")] == [("fl.ncb.FRA", b"hit:H-1")]
    assert ("fl-msg", b"hit") in _to(out, "fl.ncb.")[0].headers
    actions = [a["action"] for a in _audits(out)]
    assert actions == ["HIT_REPORTED", "HIT_CONFIRMED", "HIT_FORWARDED"]
    assert all(a["hit_id"] == "H-1" and a["alert_id"] == ALERT for a in _audits(out))
    assert not _quarantined(out)


def test_resent_hit_is_forwarded_once() -> None:
    """A hit the hub already forwarded is audited HIT_DUPLICATE and sent nowhere."""
    p = _processor()
    _routed(p)
    _run(p, INBOX, _msg(_hit()))
    again = _run(p, INBOX, _msg(_hit(), offset=1))
    assert not _to(again, "fl.ncb.")
    assert not _to(again, "fl.outbound.")
    assert [a["action"] for a in _audits(again)] == ["HIT_DUPLICATE"]


def test_hit_on_an_unknown_alert_is_quarantined() -> None:
    """A hit naming an alert the hub never routed is quarantined (unknown_alert)."""
    p = _processor()
    out = _run(p, INBOX, _msg(_hit()))
    assert not _to(out, "fl.ncb.")
    assert not _to(out, "fl.outbound.")
    [q] = _quarantined(out)
    assert b"unknown_alert" in b"".join(v for _, v in q.headers)


def test_hit_carries_at_least_the_alerts_tlp() -> None:
    """A hit labelled GREEN on an AMBER alert is forwarded as AMBER."""
    p = _processor()
    _routed(p, tlp="AMBER")
    out = _run(p, INBOX, _msg(_hit()))
    [ncb] = _to(out, "fl.ncb.")
    assert orjson.loads(ncb.value or b"")["tlp"] == "AMBER"
    assert ("fl-tlp", b"AMBER") in ncb.headers


def test_false_match_is_not_forwarded() -> None:
    """A FALSE_MATCH reaching the hub is quarantined, never sent to the issuer."""
    p = _processor()
    _routed(p)
    out = _run(p, INBOX, _msg(_hit(outcome=HitOutcome.FALSE_MATCH)))
    assert not _to(out, "fl.outbound.")
    assert len(_quarantined(out)) == 1


def test_ack_on_the_ingress_topic_reaches_the_reporting_country() -> None:
    """A hit-ack on INTERPOL's ingress goes to fl.ncb.DEU (ack:<id>, fl-post), not quarantined."""
    p = _processor()
    _routed(p)
    _run(p, INBOX, _msg(_hit()))
    out = _run(p, INTERPOL, _msg(_ack(), offset=1))
    assert not _quarantined(out)
    [ncb] = _to(out, "fl.ncb.")
    assert (ncb.topic, ncb.key) == ("fl.ncb.DEU", b"ack:H-1")
    assert ("fl-msg", b"hit-ack") in ncb.headers
    assert ("fl-post", b"FRA-CDG") in ncb.headers
    assert [a["action"] for a in _audits(out)] == ["HIT_ACKNOWLEDGED"]


def test_ack_from_another_organizations_ingress_is_refused() -> None:
    """An INTERPOL ack written on EUROPOL's ingress, or EUROPOL acking INTERPOL's hit, is
    quarantined (ack_org_mismatch) and forwarded nowhere."""
    p = _processor()
    _routed(p)
    _run(p, INBOX, _msg(_hit()))
    for ack in (_ack(), _ack(org="EUROPOL")):
        out = _run(p, EUROPOL, _msg(ack))
        assert not _to(out, "fl.ncb.")
        [q] = _quarantined(out)
        assert b"ack_org_mismatch" in b"".join(v for _, v in q.headers)


def test_ack_of_an_unknown_hit_is_refused() -> None:
    """An acknowledgement of a hit the hub never forwarded is quarantined (unknown_hit)."""
    p = _processor()
    _routed(p)
    out = _run(p, INTERPOL, _msg(_ack()))
    assert not _to(out, "fl.ncb.")
    assert b"unknown_hit" in b"".join(v for _, v in _quarantined(out)[0].headers)


def test_flag_goes_to_the_issuing_organization() -> None:
    """A flag on the inbox goes to fl.outbound.interpol, audited FLAGGED, then UNFLAGGED."""
    p = _processor()
    _routed(p)
    flag = Flag(alert_id=ALERT, country="DEU", reason="national law", at=REPORTED, by="ncb-deu")
    out = _run(p, INBOX, _msg(flag))
    [o] = _to(out, "fl.outbound.")
    assert (o.topic, o.key) == ("fl.outbound.interpol", f"flag:{ALERT}:DEU".encode())
    assert ("fl-msg", b"flag") in o.headers
    assert not _to(out, "fl.ncb.")
    assert [a["action"] for a in _audits(out)] == ["FLAGGED"]
    lifted = _run(p, INBOX, _msg(flag.model_copy(update={"flagged": False}), offset=1))
    assert [a["action"] for a in _audits(lifted)] == ["UNFLAGGED"]


def test_hit_metrics_count_outcomes_and_ack_time_on_commit() -> None:
    """frontline_hub_hits_total counts by org and outcome; the ack time is observed once."""
    metrics = HubMetrics()
    p = _processor(metrics)
    _routed(p)
    _run(p, INBOX, _msg(_hit()))
    _run(p, INTERPOL, _msg(_ack(), offset=1))
    _run(p, INTERPOL, _msg(_ack(), offset=2))  # a second acknowledgement: forwarded, not timed
    hits = metrics.registry.get_sample_value(
        "frontline_hub_hits_total", {"org": "INTERPOL", "outcome": "ARRESTED"}
    )
    assert hits == 1
    assert metrics.registry.get_sample_value("frontline_hub_hit_ack_seconds_count") == 1


def test_side_store_restores_from_the_changelog_and_counts_awaiting() -> None:
    """Hit and ack entries come back from their changelog records; awaiting counts the rest."""
    p = _processor()
    _routed(p)
    out = _run(p, INBOX, _msg(_hit("H-1")), _msg(_hit("H-2"), offset=1))
    out += _run(p, INTERPOL, _msg(_ack("H-1"), offset=1))
    restored = SideStore(NAMES.hub_state)
    for o in out:
        if o.topic == NAMES.hub_state and o.key is not None:
            restored.restore(o.key, o.value)
    assert restored.committed("hit:H-2") is not None
    assert restored.awaiting() == 1
    assert not restored.restore(ALERT.encode(), b"{}")  # an alert's entry is not the side's
