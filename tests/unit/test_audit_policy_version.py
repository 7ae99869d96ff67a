"""Every audit record names the policy version, and review records the reviewer as
unauthenticated (issue 11: APPROVED, REJECTED and expiry REVOKED carried an empty version)."""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson

from gateway.hub.policy.decide import Policy, load_policy
from gateway.hub.route import Effects, Inbound, expire, review_verdict, route
from gateway.hub.state import StateStore
from gateway.topology import load_topology
from tests.support.alerts import make_alert

NOW = 1_800_000_000_000
OWNER = ("fl.ingress.interpol", 0)


@cache
def _policy() -> Policy:
    return load_policy()


def _route(store: StateStore, value: bytes | None, topic_org: str = "INTERPOL") -> Effects:
    candidates = frozenset(c.code for c in load_topology().countries)
    effects = route(
        Inbound(topic_org, OWNER, 3, value), store, _policy(), NOW, candidates=candidates
    )
    if effects.state is not None:
        store.stage(OWNER, effects.state)
        store.commit(OWNER)
    return effects


def _audit(effects: Effects) -> dict[str, Any]:
    parsed: dict[str, Any] = orjson.loads(effects.audit)
    return parsed


def _political(alert_id: str, version: int = 1) -> bytes:
    return make_alert(alert_id, version, subject={"offences": ["political offence"]})


def test_every_route_outcome_names_the_policy_version() -> None:
    """Delivered, held, duplicate, stale and quarantined records all carry the version."""
    store = StateStore("s")
    outcomes = [
        _route(store, make_alert("INTERPOL:V-1", 2)),
        _route(store, make_alert("INTERPOL:V-1", 2)),
        _route(store, make_alert("INTERPOL:V-1", 1)),
        _route(store, _political("INTERPOL:V-2")),
        _route(store, b"garbage"),
        _route(store, None),
        _route(store, make_alert("EUROPOL:V-3")),
    ]
    for effects in outcomes:
        assert _audit(effects)["policy_version"] == _policy().version, effects.action


def test_review_and_expiry_records_name_the_policy_version() -> None:
    """APPROVED, REJECTED and expiry REVOKED carry the policy version that decided the alert."""
    store = StateStore("s")
    _route(store, _political("INTERPOL:V-4"))
    held = store.committed("INTERPOL:V-4")
    assert held is not None
    approved = review_verdict(held, approve=True, reviewer="alice", note="", now_ms=NOW)
    rejected = review_verdict(held, approve=False, reviewer="alice", note="Art. 3", now_ms=NOW)
    _route(store, make_alert("INTERPOL:V-5", expires_at="2027-01-15T08:00:05Z"))
    live = store.committed("INTERPOL:V-5")
    assert live is not None
    expired = expire(live, NOW + 10_000)
    for effects in (approved, rejected, expired):
        assert _audit(effects)["policy_version"] == _policy().version, effects.action


def test_reviewer_is_recorded_as_unauthenticated() -> None:
    """The audit of a review decision names the claimed reviewer and says nobody checked it."""
    store = StateStore("s")
    _route(store, _political("INTERPOL:V-6"))
    held = store.committed("INTERPOL:V-6")
    assert held is not None
    for approve in (True, False):
        effects = review_verdict(held, approve=approve, reviewer="alice", note="n", now_ms=NOW)
        record = _audit(effects)
        assert record["reviewer"] == "alice"
        assert record["reviewer_authenticated"] is False
