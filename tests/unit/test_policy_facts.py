"""Tests that the hub can route straight from decoded Avro dicts: facts_from_record."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from gateway._resources import resource_path
from gateway.contract.alerts import ALERT_MODELS
from gateway.contract.codec import decode_dict, encode
from gateway.contract.enums import AlertKind
from gateway.errors import QuarantineError
from gateway.hub.policy.decide import facts_from_record, load_policy

EXAMPLES = resource_path("schemas") / "examples"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def decoded(kind: AlertKind) -> tuple[str, dict[str, Any]]:
    """The shipped example of ``kind``, encoded and decoded the way the hub receives it."""
    raw = json.loads((EXAMPLES / f"{kind.value.lower()}.json").read_text(encoding="utf-8"))
    alert = ALERT_MODELS[kind].model_validate(raw)
    got_kind, record = decode_dict(encode(alert))
    return got_kind.value, record


@pytest.mark.parametrize("kind", list(AlertKind), ids=lambda k: k.value)
def test_facts_from_each_decoded_kind(kind: AlertKind) -> None:
    """Every alert kind decodes into routing facts carrying its envelope's labels."""
    got_kind, record = decoded(kind)
    facts = facts_from_record(got_kind, record)
    env = record["envelope"]
    assert facts.kind == kind.value
    assert facts.alert_id == env["alert_id"]
    assert facts.tlp == env["tlp"]
    assert facts.release_to_orgs == frozenset(env["release_to_orgs"])
    assert facts.expires_at is None or facts.expires_at.tzinfo is not None


def test_wanted_person_offences_reach_review() -> None:
    """A wanted person's offences are carried into the facts the review rules read."""
    kind, record = decoded(AlertKind.WANTED_PERSON)
    record["subject"]["offences"] = ["Blasphemy"]
    decision = load_policy(None).decide(facts_from_record(kind, record), {"FRA", "DEU"}, NOW)
    assert decision.hold_for_review == "offence:blasphemy"


def test_example_wanted_person_routes() -> None:
    """The shipped INTERPOL AMBER example released to EUROPOL and AFRIPOL reaches exactly those."""
    kind, record = decoded(AlertKind.WANTED_PERSON)
    policy = load_policy(None)
    decision = policy.decide(facts_from_record(kind, record), policy.members("INTERPOL"), NOW)
    assert decision.recipients == policy.members("EUROPOL") | policy.members("AFRIPOL")


def test_cancel_without_subject() -> None:
    """A CANCEL carries only its envelope; its facts have no offences and route to nobody."""
    kind, record = decoded(AlertKind.WANTED_PERSON)
    record["subject"] = None
    record["envelope"]["msg_type"] = "CANCEL"
    facts = facts_from_record(kind, record)
    assert facts.offences == ()
    assert not load_policy(None).decide(facts, {"FRA"}, NOW).recipients


def test_raw_millisecond_expiry() -> None:
    """An expiry given as raw timestamp-millis becomes an aware UTC datetime."""
    kind, record = decoded(AlertKind.COMMODITY)
    record["envelope"]["expires_at"] = 1_767_225_600_000
    facts = facts_from_record(kind, record)
    assert facts.expires_at == datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "breakage",
    [
        pytest.param(lambda r: r.pop("envelope"), id="no-envelope"),
        pytest.param(lambda r: r["envelope"].pop("tlp"), id="no-tlp"),
        pytest.param(lambda r: r["envelope"].update(version="one"), id="bad-version"),
        pytest.param(lambda r: r["envelope"].update(deny_orgs=5), id="bad-deny-list"),
    ],
)
def test_malformed_record_is_quarantined(breakage: Any) -> None:
    """A record without usable envelope fields is a QuarantineError with a reason, not a crash."""
    kind, record = decoded(AlertKind.THREAT_ASSESSMENT)
    breakage(record)
    with pytest.raises(QuarantineError) as caught:
        facts_from_record(kind, record)
    assert caught.value.quarantine_reason == "unroutable_envelope"
