"""An approval decides again with the policy and the clock of the approval moment (issue 14)."""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson

from gateway.hub.audit import Action
from gateway.hub.metrics import BatchCounts, HubMetrics
from gateway.hub.policy.decide import Policy, load_policy
from gateway.hub.route import REVIEW_WAIT_MS, TS_APPROVED, Effects, Inbound, review_verdict, route
from gateway.hub.state import AlertState, StateStore
from gateway.kafka.headers import H, RouteHeaders
from gateway.topology import load_topology
from tests.support.alerts import make_alert

NOW = 1_800_000_000_000  # 2027-01-15T08:00:00Z
OWNER = ("fl.ingress.interpol", 0)
MINUTE = 60_000


@cache
def _policy() -> Policy:
    return load_policy()


@cache
def _candidates() -> frozenset[str]:
    return frozenset(c.code for c in load_topology().countries)


def _narrowed(without: frozenset[str]) -> Policy:
    """The shipped policy with ``without`` removed from INTERPOL's members."""
    spec = _policy().spec
    members = {
        org: [c for c in codes if c not in without] for org, codes in spec.memberships.items()
    }
    return Policy(spec.model_copy(update={"memberships": members}))


def _hold(store: StateStore, alert_id: str, **kw: Any) -> AlertState:
    value = make_alert(alert_id, 1, subject={"offences": ["political offence"]}, **kw)
    effects = route(
        Inbound("INTERPOL", OWNER, 1, value, [], NOW - 50), store, _policy(), NOW,
        candidates=_candidates(), hub="test",
    )  # fmt: skip
    assert effects.action is Action.HELD
    assert effects.state is not None
    store.stage(OWNER, effects.state)
    store.commit(OWNER)
    entry = store.committed(alert_id)
    assert entry is not None
    assert entry.held is not None
    return entry


def _approve(entry: AlertState, policy: Policy, now_ms: int) -> Effects:
    return review_verdict(
        entry, approve=True, reviewer="rev", note="", now_ms=now_ms, hub="test", policy=policy,
        candidates=_candidates(),
    )  # fmt: skip


def _audit(effects: Effects) -> dict[str, Any]:
    parsed: dict[str, Any] = orjson.loads(effects.audit)
    return parsed


def test_approval_delivers_only_to_countries_the_policy_allows_now() -> None:
    """A country the policy no longer allows at approval time gets nothing; the audit says why."""
    store = StateStore("s")
    entry = _hold(store, "INTERPOL:R-1")
    assert entry.held is not None
    dropped = sorted(entry.held.recipients)[:2]
    approved = _approve(entry, _narrowed(frozenset(dropped)), NOW + MINUTE)
    assert approved.action is Action.APPROVED
    assert set(approved.deliveries) == entry.held.recipients - set(dropped)
    audit = _audit(approved)
    assert sorted(audit["denied"]) == dropped
    assert audit["recipients"] == sorted(entry.held.recipients - set(dropped))


def test_approval_that_now_reaches_nobody_delivers_nothing_and_is_audited() -> None:
    """An approval after the policy withdrew every recipient delivers nothing, audited."""
    store = StateStore("s")
    entry = _hold(store, "INTERPOL:R-2")
    assert entry.held is not None
    approved = _approve(entry, _narrowed(entry.held.recipients), NOW + MINUTE)
    assert approved.deliveries == {}
    assert approved.state is not None
    assert approved.state.recipients == frozenset()
    assert _audit(approved)["recipients"] == []
    assert set(_audit(approved)["denied"]) == entry.held.recipients


def test_approval_after_expiry_delivers_nothing() -> None:
    """A held version whose expiry passed before the approval is not delivered."""
    store = StateStore("s")
    entry = _hold(store, "INTERPOL:R-3", expires_at="2027-01-15T08:00:30Z")
    approved = _approve(entry, _policy(), NOW + MINUTE)
    assert approved.deliveries == {}
    assert approved.action is Action.REVOKED


def test_approved_delivery_measures_latency_from_the_approval() -> None:
    """The approved record's hop timestamps start at the approval; the wait is in headers."""
    store = StateStore("s")
    entry = _hold(store, "INTERPOL:R-4")
    approved = _approve(entry, _policy(), NOW + 10 * MINUTE)
    assert approved.shared_headers is not None
    headers = RouteHeaders.from_kafka(approved.shared_headers)
    assert headers.ts_connector == headers.ts_ingest == headers.ts_hub == NOW + 10 * MINUTE
    assert headers.extra[TS_APPROVED] == str(NOW + 10 * MINUTE)
    assert headers.extra[REVIEW_WAIT_MS] == str(10 * MINUTE)
    assert H.TS_HUB in dict(approved.shared_headers)
    assert _audit(approved)["review_wait_ms"] == 10 * MINUTE


def test_review_wait_is_a_histogram_counted_on_commit() -> None:
    """frontline_hub_review_wait_seconds observes each approval's time in review."""
    store = StateStore("s")
    entry = _hold(store, "INTERPOL:R-5")
    approved = _approve(entry, _policy(), NOW + 2 * MINUTE)
    metrics = HubMetrics()
    counts = BatchCounts()
    counts.add(approved, "INTERPOL")
    counts.flush(metrics)
    total = metrics.registry.get_sample_value("frontline_hub_review_wait_seconds_sum")
    assert total == 120.0
