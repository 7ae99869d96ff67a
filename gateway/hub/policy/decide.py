"""The hub's sharing policy: which national nodes may receive an alert, and why the others may not.

Pure logic over precomputed frozensets, so a decision costs microseconds; the rules are
documented in docs/policy.md and the data lives in ``deploy/policy.toml``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, cast

from gateway._resources import resource_path
from gateway.errors import QuarantineError
from gateway.hub.policy.file import ISO_ALPHA3, OrgCode, PolicyFile, ReviewRules, read_policy_file
from gateway.hub.policy.neutrality import ReviewMatcher, normalize_offence

__all__ = [
    "ISO_ALPHA3",
    "Decision",
    "DenyReason",
    "Feed",
    "Kind",
    "MsgType",
    "OrgCode",
    "Policy",
    "PolicyFile",
    "ReviewRules",
    "RoutingFacts",
    "Status",
    "Tlp",
    "facts_from_record",
    "load_policy",
    "normalize_offence",
]

MsgType = Literal["ALERT", "UPDATE", "CANCEL"]
Status = Literal["ACTUAL", "EXERCISE", "TEST"]
Tlp = Literal["CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED"]
Kind = Literal["WANTED_PERSON", "COMMODITY", "THREAT_ASSESSMENT", "TRAVEL_DOCUMENT"]

_MSG_TYPES = frozenset({"ALERT", "UPDATE", "CANCEL"})
_STATUSES = frozenset({"ACTUAL", "EXERCISE", "TEST"})
_TLPS = frozenset({"CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED"})
_KINDS = frozenset({"WANTED_PERSON", "COMMODITY", "THREAT_ASSESSMENT", "TRAVEL_DOCUMENT"})
_EMPTY: frozenset[str] = frozenset()


class DenyReason(StrEnum):
    """Why one candidate country does not receive an alert; exactly one per candidate."""

    INVALID_FACTS = "INVALID_FACTS"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    NON_ACTUAL_STATUS = "NON_ACTUAL_STATUS"
    UNKNOWN_SOURCE_ORG = "UNKNOWN_SOURCE_ORG"
    OBSERVER_OPERATIONAL = "OBSERVER_OPERATIONAL"
    DENY_LIST_UNRESOLVED = "DENY_LIST_UNRESOLVED"
    DENY_LIST_COUNTRY = "DENY_LIST_COUNTRY"
    DENY_LIST_ORG = "DENY_LIST_ORG"
    NOT_IN_REACH = "NOT_IN_REACH"
    TLP_AMBER_RESTRICTED = "TLP_AMBER_RESTRICTED"
    TLP_AMBER_STRICT_NOT_MEMBER = "TLP_AMBER_STRICT_NOT_MEMBER"
    TLP_RED_NOT_NAMED = "TLP_RED_NOT_NAMED"


class Feed(StrEnum):
    """Which feed a decision is for; EXERCISE decisions must never be written to ACTUAL topics."""

    ACTUAL = "ACTUAL"
    EXERCISE = "EXERCISE"


@dataclass(frozen=True, slots=True)
class RoutingFacts:
    """What the policy needs from an alert; plain data, so the hub builds it from decoded dicts."""

    alert_id: str
    version: int
    source_org: str
    originating_country: str
    msg_type: MsgType
    status: Status
    tlp: Tlp
    kind: Kind
    expires_at: datetime | None = None
    release_to_countries: frozenset[str] = _EMPTY
    release_to_orgs: frozenset[str] = _EMPTY
    deny_countries: frozenset[str] = _EMPTY
    deny_orgs: frozenset[str] = _EMPTY
    offences: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    """Who receives an alert, why every other candidate does not, and whether it waits for review.

    When ``hold_for_review`` is set the hub delivers nothing yet: ``recipients`` is what an
    approval releases.
    """

    recipients: frozenset[str]
    denied: Mapping[str, DenyReason]
    hold_for_review: str | None
    policy_version: str
    feed: Feed = Feed.ACTUAL
    reasons: Mapping[DenyReason, frozenset[str]] = field(default_factory=dict, compare=False)

    def audit_fields(self) -> dict[str, object]:
        """The decision as plain JSON-ready data for an audit record: ids and codes only."""
        grouped: dict[str, list[str]] = {}
        for country, reason in self.denied.items():
            grouped.setdefault(reason.value, []).append(country)
        return {
            "policy_version": self.policy_version,
            "feed": self.feed.value,
            "recipients": sorted(self.recipients),
            "denied": {reason: sorted(codes) for reason, codes in sorted(grouped.items())},
            "hold_for_review": self.hold_for_review,
        }


def facts_from_record(kind: str, record: Mapping[str, Any]) -> RoutingFacts:
    """Routing facts from a decoded alert dict (``codec.decode_dict``); offences come from a
    wanted person's subject. A record missing envelope fields is quarantined, never a crash."""
    try:
        env = record["envelope"]
        subject = record.get("subject") or {}
        expires = env.get("expires_at")
        if isinstance(expires, int):  # raw timestamp-millis when read without logical types
            expires = datetime.fromtimestamp(expires / 1000, tz=UTC)
        return RoutingFacts(
            alert_id=str(env["alert_id"]),
            version=int(env["version"]),
            source_org=str(env["source_org"]),
            originating_country=str(env["originating_country"]),
            msg_type=cast(MsgType, str(env["msg_type"])),
            status=cast(Status, str(env["status"])),
            tlp=cast(Tlp, str(env["tlp"])),
            kind=cast(Kind, str(kind)),
            expires_at=expires,
            release_to_countries=frozenset(env.get("release_to_countries") or ()),
            release_to_orgs=frozenset(env.get("release_to_orgs") or ()),
            deny_countries=frozenset(env.get("deny_countries") or ()),
            deny_orgs=frozenset(env.get("deny_orgs") or ()),
            offences=tuple(subject.get("offences") or ()),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise QuarantineError(
            f"alert cannot be routed: envelope field missing or malformed ({exc!r})",
            reason="unroutable_envelope",
        ) from exc


def _utc(moment: datetime) -> datetime:
    """An aware datetime; naive values are taken as UTC so comparisons never raise."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class Policy:
    """A validated policy compiled for speed: member sets, observer set, review matcher."""

    __slots__ = (
        "_members",
        "_observers",
        "_review",
        "_union_cache",
        "exercise_mode",
        "spec",
        "version",
    )

    def __init__(self, spec: PolicyFile) -> None:
        self.spec = spec
        self.version: str = spec.version
        self.exercise_mode: bool = spec.exercise_mode
        self._members: dict[str, frozenset[str]] = {
            org.value: frozenset(codes) for org, codes in spec.memberships.items()
        }
        self._observers = frozenset(o.value for o in spec.observers)
        self._review = ReviewMatcher(
            spec.review.offence_keywords, spec.review.originators_under_review
        )
        self._union_cache: dict[frozenset[str], frozenset[str]] = {}

    @property
    def observers(self) -> frozenset[str]:
        """Organizations that may publish threat assessments only."""
        return self._observers

    @property
    def review(self) -> ReviewMatcher:
        """The compiled neutrality review rules."""
        return self._review

    def members(self, org: str) -> frozenset[str]:
        """Member countries of an organization; empty for an unknown code."""
        return self._members.get(org, _EMPTY)

    def review_rule(self, facts: RoutingFacts) -> str | None:
        """The review rule this alert matches, or None when it may flow without review."""
        return self._review.match(facts.source_org, facts.originating_country, facts.offences)

    def decide(self, facts: RoutingFacts, candidates: Iterable[str], now: datetime) -> Decision:
        """Route one alert among the countries that have a national node."""
        cands = candidates if isinstance(candidates, frozenset) else frozenset(candidates)
        feed = Feed.ACTUAL if facts.status == "ACTUAL" else Feed.EXERCISE
        blocked = self._blocked(facts, now)
        if blocked is not None:
            return Decision(
                _EMPTY, dict.fromkeys(cands, blocked), None, self.version, feed, {blocked: cands}
            )
        reasons: dict[DenyReason, frozenset[str]] = {}
        rest = cands
        if facts.deny_countries:
            rest = self._take(reasons, DenyReason.DENY_LIST_COUNTRY, rest, facts.deny_countries)
        if facts.deny_orgs:
            denied_members = self._union(facts.deny_orgs)
            rest = self._take(reasons, DenyReason.DENY_LIST_ORG, rest, denied_members)
        recipients = self._within_tlp(facts, rest, reasons)
        denied: dict[str, DenyReason] = {}
        for reason, codes in reasons.items():
            denied.update(dict.fromkeys(codes, reason))
        hold = self.review_rule(facts) if recipients else None
        return Decision(recipients, denied, hold, self.version, feed, reasons)

    def _blocked(self, facts: RoutingFacts, now: datetime) -> DenyReason | None:  # noqa: PLR0911  # why: one return per blocking rule, in precedence order
        """A reason that denies every candidate at once, or None."""
        if (
            facts.tlp not in _TLPS
            or facts.status not in _STATUSES
            or facts.msg_type not in _MSG_TYPES
            or facts.kind not in _KINDS
        ):
            return DenyReason.INVALID_FACTS
        if facts.msg_type == "CANCEL":
            return DenyReason.CANCELLED
        if facts.expires_at is not None and _utc(facts.expires_at) <= _utc(now):
            return DenyReason.EXPIRED
        if facts.status != "ACTUAL" and not self.exercise_mode:
            return DenyReason.NON_ACTUAL_STATUS
        if facts.source_org not in self._members:
            return DenyReason.UNKNOWN_SOURCE_ORG
        if facts.source_org in self._observers and facts.kind != "THREAT_ASSESSMENT":
            return DenyReason.OBSERVER_OPERATIONAL
        if facts.deny_orgs and not facts.deny_orgs <= self._members.keys():
            # A deny list that cannot be resolved cannot be honoured: deliver to nobody.
            return DenyReason.DENY_LIST_UNRESOLVED
        return None

    @staticmethod
    def _take(
        reasons: dict[DenyReason, frozenset[str]],
        reason: DenyReason,
        rest: frozenset[str],
        excluded: frozenset[str],
    ) -> frozenset[str]:
        """Move the candidates in ``excluded`` under ``reason``; return those left."""
        hit = rest & excluded
        if hit:
            reasons[reason] = reasons.get(reason, _EMPTY) | hit
            return rest - hit
        return rest

    def _union(self, orgs: frozenset[str]) -> frozenset[str]:
        """All member countries of the known organizations in ``orgs``; cached per set."""
        cached = self._union_cache.get(orgs)
        if cached is not None:
            return cached
        members = self._members
        union = frozenset().union(*(members[o] for o in orgs if o in members))
        if orgs <= members.keys():
            self._union_cache[orgs] = union  # bounded: at most 2**len(OrgCode) keys
        return union

    def _within_tlp(
        self, facts: RoutingFacts, rest: frozenset[str], reasons: dict[DenyReason, frozenset[str]]
    ) -> frozenset[str]:
        """Apply the TLP reach to the candidates the deny lists left; record who falls out."""
        tlp = facts.tlp
        if tlp == "RED":
            return self._keep(
                reasons, DenyReason.TLP_RED_NOT_NAMED, rest, facts.release_to_countries
            )
        source = self._members[facts.source_org]
        named = bool(facts.release_to_countries or facts.release_to_orgs)
        released = (
            facts.release_to_countries | self._union(facts.release_to_orgs)
            if facts.release_to_orgs
            else facts.release_to_countries
        )
        if tlp == "AMBER_STRICT":
            members = self._keep(reasons, DenyReason.TLP_AMBER_STRICT_NOT_MEMBER, rest, source)
            if not named:
                return members
            return self._keep(reasons, DenyReason.TLP_AMBER_RESTRICTED, members, released)
        default_reach = source | released if released else source
        in_reach = self._keep(reasons, DenyReason.NOT_IN_REACH, rest, default_reach)
        if tlp == "AMBER" and named:
            return self._keep(reasons, DenyReason.TLP_AMBER_RESTRICTED, in_reach, released)
        return in_reach

    @staticmethod
    def _keep(
        reasons: dict[DenyReason, frozenset[str]],
        reason: DenyReason,
        rest: frozenset[str],
        allowed: frozenset[str],
    ) -> frozenset[str]:
        """Keep the candidates in ``allowed``; the others are denied with ``reason``."""
        kept = rest & allowed
        dropped = rest - kept
        if dropped:
            reasons[reason] = reasons.get(reason, _EMPTY) | dropped
        return kept


def load_policy(path: Path | None = None) -> Policy:
    """Load and compile a policy file; None means the shipped ``deploy/policy.toml``."""
    return Policy(read_policy_file(path if path is not None else resource_path("policy")))
