"""The hub's state store as several instances use it: links, staged narrowing, compact entries."""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson

from gateway.hub.policy.decide import Policy, load_policy
from gateway.hub.route import Effects, Inbound, route
from gateway.hub.state import AlertState, Held, StateStore
from gateway.kafka.headers import RouteHeaders
from gateway.topology import load_topology
from tests.support.alerts import make_alert

NOW = 1_800_000_000_000
DOC = {"travel_documents": [{"doc_type": "P", "number": "X1234567", "issuing_country": "SWE"}]}
A = ("fl.ingress.interpol", 0)
B = ("fl.ingress.europol", 1)


@cache
def _policy() -> Policy:
    return load_policy()


@cache
def _candidates() -> frozenset[str]:
    return frozenset(c.code for c in load_topology().countries)


def _route(store: StateStore, owner: tuple[str, int], value: bytes, *, commit: bool) -> Effects:
    org = "INTERPOL" if b"INTERPOL:" in value else "EUROPOL"
    effects = route(
        Inbound(org, owner, 1, value, [], NOW), store, _policy(), NOW, candidates=_candidates()
    )
    if effects.state is not None:
        store.stage(owner, effects.state)
        if commit:
            store.commit(owner)
    return effects


def _linked(effects: Effects, country: str) -> tuple[str, ...]:
    return RouteHeaders.from_kafka(effects.deliveries[country]).linked


def test_a_narrowing_staged_in_an_open_transaction_already_withholds_the_link() -> None:
    """A twin routed while the other alert's narrowing is staged (not yet committed) on this
    instance names it only to the countries the narrowing keeps."""
    store = StateStore("s")
    _route(store, A, make_alert("INTERPOL:S-1", subject=DOC), commit=True)
    _route(
        store, A, make_alert("INTERPOL:S-1", 2, subject=DOC, deny_countries=["FRA"]), commit=False
    )
    twin = _route(store, B, make_alert("EUROPOL:S-2", subject=DOC), commit=True)
    assert _linked(twin, "FRA") == ()
    assert _linked(twin, "DEU") == ("INTERPOL:S-1",)
    committed = store.committed("INTERPOL:S-1")
    assert committed is not None
    assert "FRA" in committed.recipients  # the narrowing is not committed yet
    assert store.holders("INTERPOL:S-1") == committed.recipients - {"FRA"}


def _entry(alert_id: str = "INTERPOL:P-1", **kw: Any) -> AlertState:
    fields: dict[str, Any] = {
        "version": 5, "org": "INTERPOL", "kind": "WANTED_PERSON", "owner": A,
        "recipients": frozenset({"FRA", "DEU"}), "expires_at_ms": NOW + 5_500,
        "idents": ("0123456789abcdef",), "seq": 3, "live_version": 4, "live_tlp": "AMBER",
        "policy_version": "2026.11.1", "origin": "FRA", "delivered_at_ms": NOW - 10,
    }  # fmt: skip
    fields.update(kw)
    return AlertState(alert_id, **fields)


def test_a_packed_entry_unpacks_to_the_entry_committed() -> None:
    """Every field of a committed entry (held version, cancelled flag, no expiry) comes back
    unchanged from the packed form, and from a changelog value restored without an entry."""
    held = Held(6, "article-3", frozenset({"ESP"}), b"payload", (("fl-tlp", "RED"),), NOW, None)
    entries = [
        _entry(),
        _entry("INTERPOL:P-2", held=held, expires_at_ms=None, delivered_at_ms=None),
        _entry("INTERPOL:P-3", cancelled=True, recipients=frozenset(), idents=()),
    ]
    store, restored = StateStore("s"), StateStore("s")
    for entry in entries:
        assert store.apply(entry)
        assert restored.apply_raw(orjson.loads(entry.to_bytes()))
        assert store.committed(entry.alert_id) == entry
        assert restored.committed(entry.alert_id) == entry
    assert not restored.apply_raw(orjson.loads(_entry(seq=2).to_bytes()))  # older seq


def test_an_older_96_bit_identifier_links_with_the_64_bit_one() -> None:
    """A changelog entry written with a 96-bit identifier digest links with a new alert whose
    identifier is its 64-bit prefix, and the index forgets an alert whose identifier changed."""
    store = StateStore("s")
    store.apply(_entry("INTERPOL:O-1", idents=("0123456789abcdef01234567",)))
    store.apply(_entry("EUROPOL:O-2", idents=("0123456789abcdef",)))
    assert store.linked(("0123456789abcdef",), "X:1") == ["EUROPOL:O-2", "INTERPOL:O-1"]
    store.apply(_entry("INTERPOL:O-1", idents=("fedcba9876543210",), seq=4))
    assert store.linked(("0123456789abcdef",), "X:1") == ["EUROPOL:O-2"]
    assert store.linked(("fedcba9876543210",), "X:1") == ["INTERPOL:O-1"]


def test_expiry_timers_fire_at_the_millisecond_and_again_after_an_abort() -> None:
    """An entry is due once its deadline passed (not earlier in the same second), only for its
    owner, and is due again when the transaction that expired it aborts."""
    store = StateStore("s")
    store.apply(_entry(expires_at_ms=NOW + 1_700))
    second = (NOW + 1_700) // 1000 * 1000
    assert store.due(B, NOW + 5_000) == []
    assert store.due(A, second) == []  # same second, 700 ms early
    assert [e.alert_id for e in store.due(A, NOW + 1_700)] == ["INTERPOL:P-1"]
    assert store.due(A, NOW + 1_800) == []
    entry = store.committed("INTERPOL:P-1")
    assert entry is not None
    store.stage(A, AlertState(**{**_fields(entry), "recipients": frozenset(), "seq": 9}))
    store.abort(A)
    assert [e.alert_id for e in store.due(A, NOW + 2_000)] == ["INTERPOL:P-1"]


def _fields(entry: AlertState) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in AlertState.__slots__}
