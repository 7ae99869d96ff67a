"""A version held for review: its restrictions apply at once, what widens waits, and the
delivered version keeps its own expiry (issue 11, item 4)."""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson

from gateway.hub.audit import Action
from gateway.hub.policy.decide import Policy, load_policy
from gateway.hub.route import Effects, Inbound, expire, review_verdict, route
from gateway.hub.state import AlertState, StateStore
from gateway.topology import load_topology
from tests.support.alerts import make_alert

NOW = 1_800_000_000_000  # 2027-01-15T08:00:00Z
OWNER = ("fl.ingress.interpol", 0)
IN_30_S = "2027-01-15T08:00:30Z"
IN_1_DAY = "2027-01-16T08:00:00Z"
SECOND = 1000


@cache
def _policy() -> Policy:
    return load_policy()


@cache
def _candidates() -> frozenset[str]:
    return frozenset(c.code for c in load_topology().countries)


def _route(store: StateStore, value: bytes, now_ms: int = NOW) -> Effects:
    effects = route(
        Inbound("INTERPOL", OWNER, 7, value, [], now_ms - 50), store, _policy(), now_ms,
        candidates=_candidates(), hub="test",
    )  # fmt: skip
    _commit(store, effects)
    return effects


def _commit(store: StateStore, effects: Effects) -> None:
    if effects.state is not None:
        store.stage(OWNER, effects.state)
        store.commit(OWNER)


def _tick(store: StateStore, now_ms: int) -> list[Effects]:
    """What the hub's expiry timer does at ``now_ms``: expire each due entry once."""
    out: list[Effects] = []
    seen: set[str] = set()
    for entry in store.due(OWNER, now_ms):
        if entry.alert_id in seen:
            continue
        seen.add(entry.alert_id)
        effects = expire(entry, now_ms, "test")
        _commit(store, effects)
        out.append(effects)
    return out


def _entry(store: StateStore, alert_id: str) -> AlertState:
    entry = store.committed(alert_id)
    assert entry is not None
    return entry


def _audit(effects: Effects) -> dict[str, Any]:
    parsed: dict[str, Any] = orjson.loads(effects.audit)
    return parsed


def _held(alert_id: str, version: int, **kw: Any) -> bytes:
    return make_alert(alert_id, version, subject={"offences": ["political offence"]}, **kw)


def test_delivered_version_expires_on_time_while_a_later_expiring_version_waits() -> None:
    """v1 (30 s expiry) is revoked at 30 s although the held v2 expires in a day."""
    store = StateStore("s")
    first = _route(store, make_alert("INTERPOL:H-1", 1, expires_at=IN_30_S))
    held = _route(store, _held("INTERPOL:H-1", 2, expires_at=IN_1_DAY))
    assert held.action is Action.HELD
    assert not held.tombstones
    assert _tick(store, NOW + 29 * SECOND) == []
    [expired] = _tick(store, NOW + 31 * SECOND)
    assert expired.tombstones == dict.fromkeys(sorted(first.deliveries), "EXPIRED")
    assert _audit(expired)["version"] == 1
    assert not expired.review_clear
    entry = _entry(store, "INTERPOL:H-1")
    assert entry.recipients == frozenset()
    assert entry.held is not None  # v2 still waits for its reviewer


def test_approval_after_the_delivered_version_expired_releases_the_held_one() -> None:
    """Once v1 expired, approving v2 (still valid) delivers v2 with v2's own expiry."""
    store = StateStore("s")
    _route(store, make_alert("INTERPOL:H-2", 1, expires_at=IN_30_S))
    _route(store, _held("INTERPOL:H-2", 2, expires_at=IN_1_DAY))
    _tick(store, NOW + 31 * SECOND)
    entry = _entry(store, "INTERPOL:H-2")
    assert entry.held is not None
    approved = review_verdict(
        entry, approve=True, reviewer="rev", note="ok", now_ms=NOW + 60 * SECOND
    )
    assert approved.action is Action.APPROVED
    assert set(approved.deliveries) == entry.held.recipients
    assert approved.state is not None
    assert approved.state.expires_at_ms == NOW + 86_400 * SECOND
    assert approved.state.live_version == 2


def test_held_version_expiring_first_shortens_the_delivered_one() -> None:
    """A held v2 expiring in 30 s is a restriction: v1's holders lose it at 30 s, hold dropped."""
    store = StateStore("s")
    first = _route(store, make_alert("INTERPOL:H-3", 1, expires_at=IN_1_DAY))
    _route(store, _held("INTERPOL:H-3", 2, expires_at=IN_30_S))
    assert _tick(store, NOW + 29 * SECOND) == []
    [expired] = _tick(store, NOW + 31 * SECOND)
    assert expired.tombstones == dict.fromkeys(sorted(first.deliveries), "EXPIRED")
    assert expired.review_clear
    assert _audit(expired)["held_version"] == 2
    assert _entry(store, "INTERPOL:H-3").held is None


def test_lapsed_hold_alone_revokes_nothing_from_a_shorter_lived_delivered_version() -> None:
    """v1 expiring at 10 s is revoked at 10 s; v2's lapse at 30 s only drops the hold."""
    store = StateStore("s")
    _route(store, make_alert("INTERPOL:H-4", 1, expires_at="2027-01-15T08:00:10Z"))
    _route(store, _held("INTERPOL:H-4", 2, expires_at=IN_30_S))
    [v1_gone] = _tick(store, NOW + 11 * SECOND)
    assert v1_gone.tombstones
    assert not v1_gone.review_clear
    [lapsed] = _tick(store, NOW + 31 * SECOND)
    assert lapsed.tombstones == {}
    assert lapsed.review_clear
    assert _entry(store, "INTERPOL:H-4").held is None


def test_held_deny_list_reaches_the_holders_of_the_delivered_version_at_once() -> None:
    """A held v2 deny-listing FRA and DEU revokes v1 from them now; the others keep v1."""
    store = StateStore("s")
    first = _route(store, make_alert("INTERPOL:H-5", 1))
    held = _route(store, _held("INTERPOL:H-5", 2, deny_countries=["FRA", "DEU"]))
    assert held.action is Action.HELD
    assert held.tombstones == {"DEU": "NARROWED", "FRA": "NARROWED"}
    assert not held.deliveries
    assert _audit(held)["revoked"] == {"DEU": "NARROWED", "FRA": "NARROWED"}
    assert _entry(store, "INTERPOL:H-5").recipients == frozenset(first.deliveries) - {
        "FRA", "DEU",
    }  # fmt: skip


def test_held_raise_to_red_withdraws_the_delivered_version_from_every_holder() -> None:
    """A held v2 at TLP:RED withdraws v1 from every holder now (their posts may hold it)."""
    store = StateStore("s")
    first = _route(store, make_alert("INTERPOL:H-6", 1))
    held = _route(store, _held("INTERPOL:H-6", 2, tlp="RED", release_to_countries=["ESP"]))
    assert held.action is Action.HELD
    assert held.tombstones.keys() == first.deliveries.keys()
    assert held.tombstones["ESP"] == "TLP_RED"
    assert held.tombstones["FRA"] == "NARROWED"
    assert _entry(store, "INTERPOL:H-6").recipients == frozenset()


def test_what_widens_waits_for_the_review() -> None:
    """A held v2 lifting v1's deny list neither delivers to FRA nor revokes anyone."""
    store = StateStore("s")
    first = _route(store, make_alert("INTERPOL:H-7", 1, deny_countries=["FRA"]))
    held = _route(store, _held("INTERPOL:H-7", 2))
    assert "FRA" not in first.deliveries
    assert held.tombstones == {}
    assert held.deliveries == {}
    entry = _entry(store, "INTERPOL:H-7")
    assert entry.recipients == frozenset(first.deliveries)
    assert entry.held is not None
    assert "FRA" in entry.held.recipients


def test_hold_state_survives_the_changelog() -> None:
    """The held version's expiry and the live version's facts restore from the changelog."""
    store = StateStore("s")
    _route(store, make_alert("INTERPOL:H-8", 1, expires_at=IN_30_S))
    _route(store, _held("INTERPOL:H-8", 2, expires_at=IN_1_DAY))
    entry = _entry(store, "INTERPOL:H-8")
    restored = AlertState.from_bytes(entry.to_bytes())
    assert restored == entry
    assert restored.held is not None
    assert restored.held.expires_at_ms == NOW + 86_400 * SECOND
    assert (restored.live_version, restored.live_tlp) == (1, "GREEN")


def test_expiry_runs_again_after_its_transaction_aborts() -> None:
    """An expiry whose transaction aborted is due again at the next tick, not lost."""
    store = StateStore("s")
    _route(store, make_alert("INTERPOL:H-9", 1, expires_at=IN_30_S))
    [entry] = store.due(OWNER, NOW + 31 * SECOND)
    effects = expire(entry, NOW + 31 * SECOND)
    assert effects.state is not None
    store.stage(OWNER, effects.state)
    store.abort(OWNER)
    assert [e.alert_id for e in store.due(OWNER, NOW + 32 * SECOND)] == ["INTERPOL:H-9"]
