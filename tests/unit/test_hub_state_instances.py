"""The hub's state store as several instances use it: links, staged narrowing, compact entries."""

from __future__ import annotations

from functools import cache

from gateway.hub.policy.decide import Policy, load_policy
from gateway.hub.route import Effects, Inbound, route
from gateway.hub.state import StateStore
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
