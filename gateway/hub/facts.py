"""What the hub knows of a decoded alert: its policy facts, its link identifiers, decisions.

Pure functions and one bounded cache, shared by :mod:`gateway.hub.route` (every ingress
record) and by whoever must see an alert as the hub does (the exercise's replay, tests).
"""

from __future__ import annotations

import functools
import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from gateway.contract.identifiers import normalize_identifier
from gateway.hub.policy.decide import Decision, Policy, RoutingFacts

__all__ = ["DecisionCache", "facts_of", "moment", "strong_identifiers"]

_LINK_KINDS = {"CONTAINER": "CONTAINER", "VESSEL_IMO": "IMO", "VEHICLE_VIN": "VIN"}
_EMPTY: frozenset[str] = frozenset()


@functools.lru_cache(maxsize=4)
def moment(now_ms: int) -> datetime:
    """``now_ms`` as an aware datetime; a batch shares one ``now``, so this is cached."""
    return datetime.fromtimestamp(now_ms / 1000, UTC)


_EXPIRY_MARGIN_MS = 1000


class DecisionCache:
    """Decisions remembered per policy, candidates and facts (alert id, version, expiry aside).

    One per :class:`gateway.hub.service.HubProcessor`; bounded: when full, the decision used
    least recently goes, one at a time (deciding again is cheap). It was emptied at once
    when full, and each refill put 8,192 new decisions (about 10 MB of small objects) among
    what the hub keeps for good, which grew its heap a little at every turn in a soak. Only
    ``expires_at`` makes a decision depend on the time, so an alert expiring within a second
    (or expired) is always decided afresh; any other is decided as one without expiry.
    """

    def __init__(self, max_entries: int = 8192) -> None:
        self._decided: OrderedDict[tuple[Any, ...], Decision] = OrderedDict()
        self._max = max_entries

    def __len__(self) -> int:
        return len(self._decided)

    def decide(
        self, policy: Policy, facts: RoutingFacts, candidates: frozenset[str], now_ms: int,
        expires_ms: int | None,
    ) -> Decision:  # fmt: skip
        """``policy.decide``, reused for facts that differ only in alert id, version and expiry."""
        if expires_ms is not None and expires_ms <= now_ms + _EXPIRY_MARGIN_MS:
            return policy.decide(facts, candidates, moment(now_ms))
        key = (
            policy, candidates, facts.source_org, facts.originating_country, facts.msg_type,
            facts.status, facts.tlp, facts.kind, facts.release_to_countries,
            facts.release_to_orgs, facts.deny_countries, facts.deny_orgs, facts.offences,
        )  # fmt: skip
        decided = self._decided
        found = decided.get(key)
        if found is not None:
            decided.move_to_end(key)
            return found
        if len(decided) >= self._max:
            decided.popitem(last=False)
        found = decided[key] = policy.decide(facts, candidates, moment(now_ms))
        return found


# A digest costs about a microsecond; the memo serves an alert's identifiers again for its
# next versions. It was 65,536 entries (about 16 MB full): identifiers not seen before kept
# coming in a soak's steady phase (some 920 a minute), filling it for most of an hour.
DIGEST_MEMO = 4_096


@functools.lru_cache(maxsize=DIGEST_MEMO)
def _digest(text: str) -> str:
    # Hashed so the state topic never holds a document number in clear. The first 64 bits of
    # the 96-bit digest earlier hubs wrote (the state keeps 8 bytes per identifier and reads
    # an older 96-bit value by its prefix, so old and new entries still link).
    return hashlib.blake2b(text.encode(), digest_size=12, person=b"fl-link").hexdigest()[:16]


def strong_identifiers(kind: str, subject: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Hashed identifiers that name one subject across organizations (documents, IMO, VIN)."""
    if not subject:
        return ()
    keys: list[str] = []
    if kind == "WANTED_PERSON":
        for doc in subject.get("travel_documents") or ():
            number, country = doc.get("number"), doc.get("issuing_country")
            if number and country:
                keys.append(f"DOC|{normalize_identifier(country)}|{normalize_identifier(number)}")
    elif kind == "COMMODITY":
        for conv in subject.get("conveyances") or ():
            scheme = _LINK_KINDS.get(conv.get("kind", ""))
            if scheme and conv.get("identifier"):
                keys.append(f"{scheme}|{normalize_identifier(conv['identifier'])}")
    return tuple(sorted({_digest(k) for k in keys}))


def _set(values: Iterable[str] | None) -> frozenset[str]:
    return frozenset(values) if values else _EMPTY


def facts_of(
    kind: str, envelope: Mapping[str, Any], subject: Mapping[str, Any] | None
) -> RoutingFacts:
    """The policy's view of a decoded alert."""
    offences: tuple[str, ...] = ()
    if kind == "WANTED_PERSON" and subject:
        offences = tuple(subject.get("offences") or ())
    return RoutingFacts(
        alert_id=envelope["alert_id"],
        version=envelope["version"],
        source_org=envelope["source_org"],
        originating_country=envelope["originating_country"],
        msg_type=envelope["msg_type"],
        status=envelope["status"],
        tlp=envelope["tlp"],
        kind=kind,  # type: ignore[arg-type]  # why: AlertKind values are exactly the Literal's
        expires_at=envelope.get("expires_at"),
        release_to_countries=_set(envelope.get("release_to_countries")),
        release_to_orgs=_set(envelope.get("release_to_orgs")),
        deny_countries=_set(envelope.get("deny_countries")),
        deny_orgs=_set(envelope.get("deny_orgs")),
        offences=offences,
    )
