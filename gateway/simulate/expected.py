"""What every border post's watchlist should hold, replayed from what was published.

This is the exercise's independent check of the running components. The sharing policy
(``gateway/hub/policy/decide.py``) decides each version's countries and whether it waits for review,
the national node's profile rules (``gateway/node/route.py``) decide the posts, and the
hub's documented version, review and expiry rules (docs/hub.md) are replayed here on their
own: nothing of the hub's routing code is used. Per alert, in the order its versions were
published (one alert's versions share a partition, so the hub sees them in that order):

- an equal or older version changes nothing (duplicate, stale);
- a version that needs no review replaces what the countries hold: its recipients hold it,
  with its own expiry, and any hold waiting for review is dropped;
- a version held for review leaves the delivered one with its holders, except that its
  restrictions apply at once: countries it would not reach lose the delivered version, a
  raise to RED withdraws it from every holder, and an earlier expiry of the held version
  becomes the holders' expiry (a later one does not lengthen it);
- an approval of the held version delivers it to the countries it was decided for, with
  its own expiry; a rejection withdraws the alert from every holder; a decision naming
  another version than the one waiting changes nothing;
- when the holders' expiry passes they lose the alert; when the held version's expiry
  passes unreviewed the hold is dropped and revokes nothing by itself;
- exercise-status traffic reaches nobody (there are no exercise feeds), and neither does a
  cancel, an expired version or a TLP:RED one at a border post (the node keeps RED off
  every post).

Travel-document alerts (TRAVEL_DOCUMENT, from INTERPOL's SLTD and ASEANAPOL's e-ADS) follow
the same rules; the node's profile rules then give them only to the posts subscribed to the
kind, which hold them in their compact document index. ``Expectation.kinds`` names every
alert's kind and ``Expectation.document_posts`` the subscribed posts, so the accounting can
compare the documents apart (:meth:`Expectation.of_kind`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from gateway.hub.policy.decide import Feed, Policy, facts_from_record
from gateway.node.route import decide as node_decide
from gateway.topology import Topology

__all__ = [
    "DOCUMENT",
    "Expectation",
    "Published",
    "PublishedVersion",
    "Verdict",
    "expected_watchlists",
]

DOCUMENT = "TRAVEL_DOCUMENT"
_EMPTY: frozenset[str] = frozenset()
_NO_KINDS: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class PublishedVersion:
    """One version of an alert as published: decoded record, and when it was published."""

    version: int
    kind: str
    org: str
    record: dict[str, Any]
    at: datetime

    @property
    def tlp(self) -> str:
        """The version's TLP label."""
        return str(self.record["envelope"].get("tlp", ""))

    @property
    def expires(self) -> datetime | None:
        """The version's own expiry, or None for none."""
        return _aware(self.record["envelope"].get("expires_at"))


@dataclass
class Published:
    """Every alert's versions in publication order, as the hub accepts them.

    ``history[alert_id]`` keeps only versions higher than every earlier one: the hub takes
    an equal version as a duplicate and a lower one as stale, and changes nothing for them.
    """

    history: dict[str, list[PublishedVersion]] = field(default_factory=dict)
    versions: set[tuple[str, int]] = field(default_factory=set)

    def add(self, kind: str, record: dict[str, Any], at: datetime | None = None) -> None:
        """Note one published record (``at``: when; now by default)."""
        env = record["envelope"]
        alert_id, version = str(env["alert_id"]), int(env["version"])
        self.versions.add((alert_id, version))
        seen = self.history.setdefault(alert_id, [])
        if seen and version <= seen[-1].version:
            return
        when = at if at is not None else datetime.now(UTC)
        seen.append(PublishedVersion(version, kind, str(env["source_org"]), record, when))


@dataclass(frozen=True)
class Verdict:
    """A reviewer's decision on one held version, and when it was published."""

    version: int
    approve: bool
    at: datetime


@dataclass(frozen=True)
class Expectation:
    """Per post (``ISO3.POST``): alert id -> version; alerts held for review at some point,
    and those still waiting for a reviewer; every published alert's kind, and the posts
    subscribed to travel-document alerts."""

    posts: Mapping[str, Mapping[str, int]]
    held: frozenset[str]
    waiting: frozenset[str] = _EMPTY
    kinds: Mapping[str, str] = field(default_factory=lambda: _NO_KINDS)
    document_posts: frozenset[str] = _EMPTY

    def of_kind(self, listing: Mapping[str, int], kind: str) -> dict[str, int]:
        """The part of a listing (alert id -> version) whose alerts are of ``kind``."""
        return {a: v for a, v in listing.items() if self.kinds.get(a) == kind}


@dataclass(frozen=True)
class _Hold:
    version: PublishedVersion
    recipients: frozenset[str]
    expires: datetime | None


@dataclass(frozen=True)
class _Alert:
    """One alert as the hub's rules leave it: what its holders hold, and any hold."""

    live: PublishedVersion | None = None
    holders: frozenset[str] = _EMPTY
    expires: datetime | None = None  # the holders' expiry
    hold: _Hold | None = None
    ever_held: bool = False


def _aware(value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, int):  # timestamp-millis when read without logical types
        return datetime.fromtimestamp(value / 1000, UTC)
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert isinstance(value, datetime), f"unexpected expiry {value!r}"
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _due(expires: datetime | None, at: datetime) -> bool:
    return expires is not None and expires <= at


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    return a if b is None else min(a, b)


def _recipients(
    version: PublishedVersion, policy: Policy, candidates: frozenset[str]
) -> tuple[frozenset[str], bool]:
    """Countries the policy allows for a version ignoring its expiry, and whether it is held."""
    facts = replace(facts_from_record(version.kind, version.record), expires_at=None)
    decision = policy.decide(facts, candidates, version.at)
    if decision.feed is Feed.EXERCISE:  # exercise traffic never reaches ACTUAL feeds
        return _EMPTY, False
    return decision.recipients, bool(decision.hold_for_review and decision.recipients)


def _expire(alert: _Alert, at: datetime) -> _Alert:
    """The expiry timers up to ``at``: holders' expiry, then the held version's own."""
    if alert.holders and _due(alert.expires, at):
        alert = replace(alert, holders=_EMPTY)
    if alert.hold is not None and _due(alert.hold.expires, at):
        alert = replace(alert, hold=None)  # a lapsed hold revokes nothing by itself
    return alert


def _arrive(
    alert: _Alert, version: PublishedVersion, policy: Policy, candidates: frozenset[str]
) -> _Alert:
    """A newer version reaches the hub at ``version.at``."""
    recipients, held = _recipients(version, policy, candidates)
    if _due(version.expires, version.at):
        recipients, held = _EMPTY, False  # expired on arrival: denied everywhere
    if not held:
        return _Alert(version, recipients, version.expires, None, alert.ever_held)
    kept = alert.holders & recipients  # a narrower release or a deny list applies at once
    previous_tlp = alert.live.tlp if alert.live is not None else ""
    if version.tlp == "RED" and previous_tlp != "RED":
        kept = _EMPTY  # a raise to RED withdraws the delivered version from every holder
    expires = _earliest(alert.expires, version.expires) if alert.live is not None else None
    hold = _Hold(version, recipients, version.expires)
    return replace(alert, holders=kept, expires=expires, hold=hold, ever_held=True)


def _judge(alert: _Alert, verdict: Verdict) -> _Alert:
    """A reviewer's decision reaches the hub at ``verdict.at`` (expiries already applied)."""
    hold = alert.hold
    if hold is None or hold.version.version != verdict.version:
        return alert  # it judged a version that no longer waits
    if not verdict.approve:
        return replace(alert, holders=_EMPTY, hold=None)
    return replace(
        alert, live=hold.version, holders=hold.recipients, expires=hold.expires, hold=None
    )


def _replay(
    versions: list[PublishedVersion],
    verdict: Verdict | None,
    policy: Policy,
    candidates: frozenset[str],
    now: datetime,
) -> _Alert:
    """One alert's state at ``now`` after its versions and any verdict, in time order."""
    events: list[tuple[datetime, int, PublishedVersion | Verdict]] = [
        (v.at, i, v) for i, v in enumerate(versions)
    ]
    if verdict is not None:
        events.append((verdict.at, len(versions), verdict))
    alert = _Alert()
    for at, _, event in sorted(events, key=lambda e: (e[0], e[1])):
        if at > now:
            break
        alert = _expire(alert, at)
        if isinstance(event, Verdict):
            alert = _judge(alert, event)
        else:
            alert = _arrive(alert, event, policy, candidates)
    return _expire(alert, now)


def expected_watchlists(
    published: Published,
    topology: Topology,
    policy: Policy,
    now: datetime,
    verdicts: Mapping[str, Verdict] | None = None,
) -> Expectation:
    """Every post's expected watchlist at ``now``, once the pipeline has drained.

    ``verdicts`` are the reviewer's decisions, per alert id.
    """
    candidates = frozenset(c.code for c in topology.countries)
    by_code = {c.code: c for c in topology.countries}
    posts: dict[str, dict[str, int]] = {f"{c.code}.{p.id}": {} for c, p in topology.posts()}
    held: set[str] = set()
    waiting: set[str] = set()
    judged = verdicts or {}
    kinds = {alert_id: versions[0].kind for alert_id, versions in published.history.items()}
    document_posts = frozenset(
        f"{c.code}.{p.id}" for c, p in topology.posts() if DOCUMENT in p.subscribes.kinds
    )
    for alert_id, versions in published.history.items():
        alert = _replay(versions, judged.get(alert_id), policy, candidates, now)
        if alert.ever_held:
            held.add(alert_id)
        if alert.hold is not None:
            waiting.add(alert_id)
        live = alert.live
        if live is None:
            continue
        for code in sorted(alert.holders):
            routed = node_decide(
                by_code[code], live.kind, live.org, live.record, header_tlp=live.tlp
            )
            for post in routed.deliver:
                posts[f"{code}.{post}"][alert_id] = live.version
    return Expectation(
        posts, frozenset(held), frozenset(waiting), MappingProxyType(kinds), document_posts
    )
