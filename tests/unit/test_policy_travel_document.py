"""The hub decides a TRAVEL_DOCUMENT alert by the same policy as every other kind."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.contract import ALERT_MODELS, AlertKind
from gateway.contract.codec import decode_dict, encode
from gateway.hub.policy.decide import DenyReason, RoutingFacts, facts_from_record, load_policy
from tests.support.paths import EXAMPLES

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
POLICY = load_policy(None)  # the shipped deploy/policy.toml
CANDIDATES = POLICY.members("INTERPOL") | {"EGY"}


def document_facts(**envelope: Any) -> RoutingFacts:
    """The shipped document example, envelope changed, encoded and decoded as the hub reads it."""
    raw = json.loads((EXAMPLES / "travel_document.json").read_text(encoding="utf-8"))
    raw["envelope"].update(envelope)
    if raw["envelope"]["msg_type"] == "CANCEL":
        raw["subject"] = None
    alert = ALERT_MODELS[AlertKind.TRAVEL_DOCUMENT].model_validate(raw)
    kind, record = decode_dict(encode(alert))
    assert kind is AlertKind.TRAVEL_DOCUMENT
    return facts_from_record(kind.value, record)


def test_a_document_alert_is_routed_not_invalid() -> None:
    """The kind is known to the policy: a GREEN INTERPOL document alert reaches every member."""
    decision = POLICY.decide(document_facts(), CANDIDATES, NOW)
    assert decision.recipients == POLICY.members("INTERPOL") & CANDIDATES
    assert DenyReason.INVALID_FACTS not in decision.denied.values()


ENVELOPES: list[tuple[str, dict[str, Any]]] = [
    ("green", {}),
    ("clear", {"tlp": "CLEAR"}),
    ("amber-regional", {"source_org": "ASEANAPOL", "alert_id": "ASEANAPOL:D-1", "tlp": "AMBER",
                        "originating_country": "THA"}),
    ("amber-strict", {"tlp": "AMBER_STRICT"}),
    ("amber-released-to-org", {"tlp": "AMBER", "release_to_orgs": ["EUROPOL"]}),
    ("red-named", {"tlp": "RED", "release_to_countries": ["FRA", "ITA"]}),
    ("deny-country", {"deny_countries": ["FRA", "DEU"]}),
    ("deny-org", {"deny_orgs": ["EUROPOL"]}),
    ("expired", {"expires_at": "2026-11-20T11:00:00Z"}),
    ("not-yet-expired", {"expires_at": "2026-11-20T13:00:00Z"}),
    ("cancel", {"msg_type": "CANCEL", "version": 2,
                "references": [{"alert_id": "INTERPOL:SLTD-DEU-2025-0042117", "version": 1}]}),
    ("exercise", {"status": "EXERCISE"}),
    ("observer", {"source_org": "UNODC", "alert_id": "UNODC:D-1"}),
]  # fmt: skip


@pytest.mark.parametrize("envelope", [e for _, e in ENVELOPES], ids=[i for i, _ in ENVELOPES])
def test_decided_like_a_wanted_person(envelope: dict[str, Any]) -> None:
    """Whatever the labels, a document alert gets the decision a wanted person would get."""
    facts = document_facts(**envelope)
    as_person = replace(facts, kind="WANTED_PERSON")
    assert POLICY.decide(facts, CANDIDATES, NOW) == POLICY.decide(as_person, CANDIDATES, NOW)


@pytest.mark.parametrize(
    ("envelope", "recipients", "reason"),
    [
        ({"tlp": "RED", "release_to_countries": ["FRA", "ITA"]}, {"FRA", "ITA"},
         DenyReason.TLP_RED_NOT_NAMED),
        ({"deny_countries": ["FRA"]}, None, DenyReason.DENY_LIST_COUNTRY),
        ({"expires_at": "2026-11-20T11:00:00Z"}, set(), DenyReason.EXPIRED),
        ({"source_org": "SCO", "alert_id": "SCO:D-1"}, set(), DenyReason.OBSERVER_OPERATIONAL),
        ({"status": "TEST"}, set(), DenyReason.NON_ACTUAL_STATUS),
    ],
    ids=["red-to-named-only", "deny-list-wins", "expired", "observer-refused", "test-status"],
)  # fmt: skip
def test_document_decisions(
    envelope: dict[str, Any], recipients: set[str] | None, reason: DenyReason
) -> None:
    """TLP, deny lists, expiry, observers and status apply to document alerts as written."""
    decision = POLICY.decide(document_facts(**envelope), CANDIDATES, NOW)
    if recipients is not None:
        assert decision.recipients == recipients
    assert reason in decision.denied.values()
    assert not decision.recipients & decision.denied.keys()


_TLPS = st.sampled_from(["CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED"])
_ORGS = st.sampled_from(sorted(POLICY.observers | {"INTERPOL", "EUROPOL", "ASEANAPOL", "AIMC"}))
_COUNTRIES = st.frozensets(st.sampled_from(sorted(CANDIDATES)), max_size=3)


@settings(max_examples=200, deadline=None)
@given(
    tlp=_TLPS,
    org=_ORGS,
    release=_COUNTRIES,
    deny=_COUNTRIES,
    deny_orgs=st.frozensets(st.sampled_from(["EUROPOL", "GCCPOL", "NATO"]), max_size=2),
    status=st.sampled_from(["ACTUAL", "EXERCISE"]),
    expires_in_h=st.one_of(st.none(), st.integers(-48, 48)),
)
def test_any_labels_same_decision_as_a_wanted_person(  # noqa: PLR0917  # why: one argument per hypothesis strategy
    tlp: str,
    org: str,
    release: frozenset[str],
    deny: frozenset[str],
    deny_orgs: frozenset[str],
    status: str,
    expires_in_h: int | None,
) -> None:
    """For any labels, the policy never treats a document alert differently from a person."""
    facts = RoutingFacts(
        alert_id=f"{org}:D-1", version=1, source_org=org, originating_country="FRA",
        msg_type="ALERT", status=status, tlp=tlp, kind="TRAVEL_DOCUMENT",  # type: ignore[arg-type]  # why: sampled from the Literal's values
        expires_at=None if expires_in_h is None else NOW + timedelta(hours=expires_in_h),
        release_to_countries=release, deny_countries=deny, deny_orgs=deny_orgs,
    )  # fmt: skip
    document = POLICY.decide(facts, CANDIDATES, NOW)
    assert document == POLICY.decide(replace(facts, kind="WANTED_PERSON"), CANDIDATES, NOW)
    if tlp == "RED":
        assert document.recipients <= release
    assert not document.recipients & deny
