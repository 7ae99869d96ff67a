"""A national node delivers TRAVEL_DOCUMENT alerts only to the posts subscribed to the kind."""

from __future__ import annotations

from typing import Any

from gateway.contract import AlertKind
from gateway.contract.codec import decode_dict
from gateway.node.route import decide
from gateway.topology import load_topology
from tests.support.alerts import make_alert

TOPOLOGY = load_topology()  # the shipped deploy/topology.toml


def document_record(**envelope: Any) -> dict[str, Any]:
    """A decoded INTERPOL document alert as the node reads it from its national topic."""
    kind, record = decode_dict(
        make_alert("INTERPOL:SLTD-T-1", kind=AlertKind.TRAVEL_DOCUMENT, **envelope)
    )
    assert kind is AlertKind.TRAVEL_DOCUMENT
    return record


def test_only_subscribed_posts_receive_document_alerts() -> None:
    """In France, Charles de Gaulle (subscribed) gets it; the seaports and Le Perthus do not."""
    france = next(c for c in TOPOLOGY.countries if c.code == "FRA")
    decision = decide(france, "TRAVEL_DOCUMENT", "INTERPOL", document_record())
    assert decision.deliver == ("CDG",)


def test_shipped_topology_subscribes_airports() -> None:
    """A dozen major airports take document alerts; every subscriber is an airport."""
    subscribed = [
        (c.code, p) for c, p in TOPOLOGY.posts() if "TRAVEL_DOCUMENT" in p.subscribes.kinds
    ]
    assert len(subscribed) >= 10
    assert {p.type for _, p in subscribed} == {"AIRPORT"}
    assert {"CDG", "LHR", "JFK", "SIN", "BKK"} <= {p.id for _, p in subscribed}


def test_red_document_alert_never_reaches_a_post() -> None:
    """The TLP:RED rule at the edge holds for the new kind: tombstones, no delivery."""
    france = next(c for c in TOPOLOGY.countries if c.code == "FRA")
    record = document_record(tlp="RED", release_to_countries=["FRA"])
    decision = decide(france, "TRAVEL_DOCUMENT", "INTERPOL", record)
    assert decision.deliver == ()
    assert decision.reason == "TLP_RED"
