"""The national node's routing rules: which border posts of a country receive an alert.

A post receives an alert when its profile wants it: the alert kind, the issuing organization,
the commodity category, the route (a country or UN/LOCODE on it) and the nationality, each
checked only where the profile names it; commodity alerts also go only to post types their
conveyances can reach (a ship to seaports). An alert whose profile fields are unknown (no
route, no nationality) is sent: a post would rather screen one alert too many than miss one.

Revocation needs no state: a tombstone, a CANCEL or TLP:RED sends a tombstone to every post
of the country (a tombstone for a key a post never held is a no-op on a compacted topic), and
an UPDATE sends one to every post that no longer wants the alert (it may hold an earlier
version). A first version (ALERT, version 1) sends nothing to the posts that do not want it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.kafka.document_header import DOCUMENT_HEADER, document_header
from gateway.topology import Country, Post

__all__ = ["DOCUMENT_HEADER", "Decision", "decide", "document_header", "post_wants"]

# Where each conveyance can be met; an alert naming only vessels goes to seaports only.
_REACHES: Mapping[str, frozenset[str]] = {
    "CONTAINER": frozenset({"SEAPORT", "LAND", "RAIL"}),
    "VESSEL_IMO": frozenset({"SEAPORT"}),
    "VEHICLE_VIN": frozenset({"LAND", "SEAPORT", "RAIL"}),
    "VEHICLE_PLATE": frozenset({"LAND", "SEAPORT", "RAIL"}),
    "FLIGHT": frozenset({"AIRPORT"}),
    "AIR_WAYBILL": frozenset({"AIRPORT"}),
}


@dataclass(frozen=True)
class Decision:
    """What one national-node record produces: posts to deliver to, posts to tombstone."""

    deliver: tuple[str, ...] = ()
    tombstone: tuple[str, ...] = ()
    reason: str | None = None  # fl-reason of the tombstones


def _route_places(subject: Mapping[str, Any]) -> set[str]:
    route = subject.get("route") or {}
    points = [route.get("origin"), *(route.get("transit") or ()), route.get("destination")]
    places: set[str] = set()
    for point in points:
        if point:
            places.add(str(point.get("country") or "").upper())
            if point.get("locode"):
                places.add(str(point["locode"]).upper())
    places.discard("")
    return places


def _post_types(subject: Mapping[str, Any]) -> frozenset[str] | None:
    """Post types the conveyances can reach; None when any post type may meet the goods."""
    kinds = {str(c.get("kind")) for c in subject.get("conveyances") or ()}
    if not kinds or not kinds <= _REACHES.keys():
        return None
    return frozenset().union(*(_REACHES[k] for k in kinds))


def _commodity_fits(post: Post, subject: Mapping[str, Any]) -> bool:
    sub = post.subscribes
    if sub.commodity_categories and subject.get("category") not in sub.commodity_categories:
        return False
    places = _route_places(subject)
    if sub.routes and places and not places & set(sub.routes):
        return False
    types = _post_types(subject)
    return types is None or post.type in types


def _person_fits(post: Post, subject: Mapping[str, Any]) -> bool:
    wanted = post.subscribes.nationalities
    held = {str(n).upper() for n in subject.get("nationalities") or ()}
    return not wanted or not held or bool(held & set(wanted))


def post_wants(post: Post, kind: str, org: str, record: Mapping[str, Any]) -> bool:
    """True when the post's profile (and type) wants this alert."""
    sub = post.subscribes
    if kind not in sub.kinds or (sub.organizations and org not in sub.organizations):
        return False
    subject = record.get("subject") or {}
    if kind == "COMMODITY":
        return _commodity_fits(post, subject)
    if kind == "WANTED_PERSON":
        return _person_fits(post, subject)
    return True


def decide(
    country: Country,
    kind: str,
    org: str,
    record: Mapping[str, Any] | None,
    *,
    header_tlp: str = "",
    tombstone_reason: str | None = None,
) -> Decision:
    """Route one record of a country's node topic (``record`` None = a hub tombstone)."""
    everyone = tuple(p.id for p in country.posts)
    if record is None:
        return Decision(tombstone=everyone, reason=tombstone_reason or "REVOKED")
    envelope = record["envelope"]
    if header_tlp == "RED" or envelope.get("tlp") == "RED":
        return Decision(tombstone=everyone, reason="TLP_RED")
    if envelope.get("msg_type") == "CANCEL" or record.get("subject") is None:
        return Decision(tombstone=everyone, reason="CANCELLED")
    wanted = tuple(p.id for p in country.posts if post_wants(p, kind, org, record))
    if envelope.get("msg_type") == "UPDATE" or int(envelope.get("version") or 1) > 1:
        unwanted = tuple(p for p in everyone if p not in wanted)
        return Decision(deliver=wanted, tombstone=unwanted, reason="NARROWED")
    return Decision(deliver=wanted)
