"""The hub's per-record decisions as pure functions: bytes and state in, effects out.

``route`` runs steps 1-6 of the hub for one ingress record (decode, anti-spoofing, version
order, policy, review hold, revocation) without touching Kafka, so every rule is unit-tested;
``expire`` and ``review_verdict`` do the same for the expiry timer and reviewer decisions.
``gateway.hub.service`` turns the returned :class:`Effects` into Kafka records.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NamedTuple

from gateway.contract.codec import decode_dict
from gateway.errors import QuarantineError
from gateway.hub.audit import Action, audit_record
from gateway.hub.facts import DecisionCache, facts_of, moment, strong_identifiers
from gateway.hub.policy.decide import Decision, Feed, Policy, RoutingFacts
from gateway.hub.review import REVIEW_RECIPIENTS, REVIEW_RULE
from gateway.hub.state import AlertState, Held, Owner, StateStore
from gateway.kafka.headers import H, RouteHeaders, signature_headers
from gateway.kafka.quarantine import QuarantineRecord, Reason

__all__ = [
    "REVIEW_WAIT_MS",
    "TS_APPROVED",
    "Effects",
    "Inbound",
    "RevokeReason",
    "expire",
    "refuse_signature",
    "review_verdict",
    "route",
]

_ISO3 = re.compile(r"^[A-Z]{3}$")
_NO_EXERCISE_FEED = "NO_EXERCISE_FEED"
_EMPTY: frozenset[str] = frozenset()
Headers = list[tuple[str, bytes]]


class RevokeReason:
    """``fl-reason`` values of tombstones sent to countries that may no longer hold an alert."""

    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    NARROWED = "NARROWED"
    REVIEW_REJECTED = "REVIEW_REJECTED"
    # A held version raises the TLP to RED: the delivered one may sit at border posts, and
    # the hub cannot re-label it without its payload, so it is withdrawn until the review.
    TLP_RED = "TLP_RED"


@dataclass(frozen=True, slots=True)
class Inbound:
    """One ingress record as the hub sees it."""

    topic_org: str  # the organization named by the ingress topic, upper case
    owner: Owner
    offset: int
    value: bytes | None
    headers: Sequence[tuple[str, bytes]] = ()
    timestamp_ms: int = 0


@dataclass(slots=True)
class Effects:
    """Everything one decision produces; ``gateway.hub.service`` writes it in one transaction."""

    action: Action
    audit: bytes
    alert_id: str | None = None
    org: str = ""
    kind: str = ""
    payload: bytes | None = None
    # country -> headers of the delivered record (payload unchanged)
    deliveries: dict[str, list[tuple[str, bytes]]] = field(default_factory=dict)
    # the header list most deliveries share (the same object), so the writer fans it out
    shared_headers: list[tuple[str, bytes]] | None = None
    tombstones: dict[str, str] = field(default_factory=dict)  # country -> fl-reason
    tombstone_headers: list[tuple[str, bytes]] = field(default_factory=list)
    state: AlertState | None = None
    quarantine: QuarantineRecord | None = None
    review_put: list[tuple[str, bytes]] | None = None  # headers of the held record
    review_clear: bool = False
    denied: Mapping[str, str] = field(default_factory=dict)
    reason: str | None = None  # quarantine reason or review rule, for metrics
    review_wait_ms: int | None = None  # an approval: how long the version was held


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def _invalid(envelope: Mapping[str, Any], subject: object) -> Reason | None:
    """Checks the Avro schema cannot express; the first problem found, or None."""
    alert_id: str = envelope["alert_id"]
    org: str = envelope["source_org"]
    if envelope["version"] < 1:
        return Reason("envelope.version", "invalid_version", "version must be 1 or more")
    if not alert_id.startswith(f"{org}:") or len(alert_id) == len(org) + 1:
        return Reason("envelope.alert_id", "bad_alert_id", "alert_id must be '<source_org>:<id>'")
    if not _ISO3.match(envelope["originating_country"]):
        return Reason("envelope.originating_country", "bad_country", "not an ISO alpha-3 code")
    if subject is None and envelope["msg_type"] != "CANCEL":
        return Reason("subject", "missing_subject", "only a CANCEL may omit the subject")
    return None


def _quarantine(
    rec: Inbound, stage: str, reason: Reason, now_ms: int, hub: str, *, policy_version: str,
    alert_id: str | None = None, version: int = 0, kind: str = "UNKNOWN",
) -> Effects:  # fmt: skip
    source = f"{rec.owner[0]}[{rec.owner[1]}]@{rec.offset}"
    record = QuarantineRecord(
        org=rec.topic_org, stage=stage, component="hub", source=source, reasons=(reason,),
        original=rec.value or b"", ts_ms=now_ms,
    )  # fmt: skip
    audit = _audit(
        (alert_id or source, version, rec.topic_org, kind), Action.QUARANTINED, now_ms, hub,
        reason=reason.code, stage=stage, source=source, policy_version=policy_version,
    )  # fmt: skip
    return Effects(
        action=Action.QUARANTINED, audit=audit, alert_id=alert_id, org=rec.topic_org, kind=kind,
        quarantine=record, reason=reason.code,
    )  # fmt: skip


def _audit(
    who: tuple[str, int, str, str], action: Action, now_ms: int, hub: str, **extra: Any
) -> bytes:
    """An audit record for ``who`` = (alert id, version, organization, kind)."""
    alert_id, version, org, kind = who
    return audit_record(
        alert_id=alert_id, version=version, org=org, kind=kind, action=action, ts_ms=now_ms,
        hub=hub, **extra,
    )  # fmt: skip


def _revoke_reason(facts: RoutingFacts, decision: Decision) -> str:
    if facts.msg_type == "CANCEL":
        return RevokeReason.CANCELLED
    if decision.recipients:
        return RevokeReason.NARROWED
    first = next(iter(decision.denied.values()), None)
    return RevokeReason.EXPIRED if first == "EXPIRED" else RevokeReason.NARROWED


class _Alert(NamedTuple):
    """A decoded, valid ingress alert: who it is, its envelope and subject."""

    who: tuple[str, int, str, str]  # (alert id, version, organization, kind)
    envelope: Mapping[str, Any]
    subject: Mapping[str, Any] | None


def route(
    rec: Inbound,
    store: StateStore,
    policy: Policy,
    now_ms: int,
    *,
    candidates: frozenset[str],
    hub: str = "hub",
    decisions: DecisionCache | None = None,
) -> Effects:
    """Decide what one ingress record produces: deliveries, tombstones, hold, state, audit.

    The steps, in order: decode and validate (else quarantine), version order (else a
    duplicate or stale record), policy, then hold for review or deliver and revoke.
    ``decisions`` remembers policy decisions across records (the processor owns one).
    """
    alert = _decode(rec, now_ms, hub, policy.version)
    if isinstance(alert, Effects):
        return alert
    alert_id, version, _, _ = alert.who
    prev = store.get(rec.owner, alert_id)
    if prev is not None and version <= prev.version:
        return _out_of_order(alert, prev, now_ms, hub, policy.version)
    facts = facts_of(alert.who[3], alert.envelope, alert.subject)
    expires_ms = _ms(alert.envelope.get("expires_at"))
    if decisions is not None:
        decision = decisions.decide(policy, facts, candidates, now_ms, expires_ms)
    else:
        decision = policy.decide(facts, candidates, moment(now_ms))
    recipients, denied = _recipients(decision)
    headers = _route_headers(rec, alert, decision, now_ms)
    if decision.hold_for_review and recipients:
        return _hold(
            rec, alert, prev=prev, decision=decision, recipients=recipients, denied=denied,
            headers=headers, expires_ms=expires_ms, now_ms=now_ms, hub=hub,
        )  # fmt: skip
    return _release(
        rec, alert, store, prev=prev, facts=facts, decision=decision, recipients=recipients,
        denied=denied, headers=headers, expires_ms=expires_ms, now_ms=now_ms, hub=hub,
    )  # fmt: skip


def refuse_signature(
    rec: Inbound, reason: str, now_ms: int, *, key_id: str | None, hub: str, policy_version: str
) -> Effects:
    """Quarantine (stage ``signature``) and audit a record whose signature the trust file refuses.

    Nothing of the payload is trusted, so the record is named by its source (topic,
    partition, offset), like a record that does not decode; ``reason`` is the Verdict's.
    """
    detail = f"signature refused ({reason})" + (f" for key {key_id}" if key_id else "")
    return _quarantine(
        rec, "signature", Reason("", reason, detail), now_ms, hub, policy_version=policy_version
    )


def _decode(rec: Inbound, now_ms: int, hub: str, policy_version: str) -> _Alert | Effects:
    """Steps 1-2: decode, validate and check the source; the quarantine Effects otherwise."""
    if rec.value is None:
        reason = Reason("", "tombstone", "ingress records must carry a value")
        return _quarantine(rec, "decode", reason, now_ms, hub, policy_version=policy_version)
    try:
        kind, record = decode_dict(rec.value)
    except QuarantineError as error:
        reason = Reason("", error.quarantine_reason, error.message)
        return _quarantine(rec, "decode", reason, now_ms, hub, policy_version=policy_version)
    env, subject = record["envelope"], record.get("subject")
    alert_id, version, org = env["alert_id"], env["version"], env["source_org"]
    problem = _invalid(env, subject)
    stage = "validate"
    if problem is None and org != rec.topic_org:
        problem = Reason(
            "envelope.source_org", "source_org_mismatch",
            f"source_org {org} published on the ingress topic of {rec.topic_org}",
        )  # fmt: skip
        stage = "spoof"
    if problem is not None:
        return _quarantine(
            rec, stage, problem, now_ms, hub, policy_version=policy_version, alert_id=alert_id,
            version=version, kind=kind,
        )  # fmt: skip
    return _Alert((alert_id, version, org, kind), env, subject)


def _out_of_order(
    alert: _Alert, prev: AlertState, now_ms: int, hub: str, policy_version: str
) -> Effects:
    """Step 3: a version at or below the latest known is audited and dropped."""
    alert_id, version, org, kind = alert.who
    action = Action.DUPLICATE if version == prev.version else Action.STALE
    audit = _audit(
        alert.who, action, now_ms, hub, latest=prev.version, policy_version=policy_version
    )
    return Effects(action=action, audit=audit, alert_id=alert_id, org=org, kind=kind)


def _recipients(decision: Decision) -> tuple[frozenset[str], dict[str, str]]:
    """Step 4: the policy's recipients and deny reasons (exercise traffic reaches no one)."""
    recipients = decision.recipients
    denied: dict[str, str] = dict(decision.denied)
    if recipients and decision.feed is Feed.EXERCISE:
        # Exercise traffic must never reach ACTUAL feeds and there are no exercise feeds yet.
        denied.update(dict.fromkeys(recipients, _NO_EXERCISE_FEED))
        recipients = frozenset()
    return recipients, denied


def _route_headers(rec: Inbound, alert: _Alert, decision: Decision, now_ms: int) -> RouteHeaders:
    """The routing headers every delivery of this version carries."""
    env = alert.envelope
    inbound = RouteHeaders.from_kafka(rec.headers)
    return RouteHeaders(
        kind=alert.who[3],
        org=alert.who[2],
        tlp=env["tlp"],
        status=env["status"],
        msg_type=env["msg_type"],
        version=alert.who[1],
        policy_version=decision.policy_version,
        ts_issued=_ms(env["issued_at"]),
        ts_ingest=inbound.ts_ingest,
        ts_connector=rec.timestamp_ms if inbound.ts_connector is None else inbound.ts_connector,
        ts_hub=now_ms,
        # The originator's signature, unchanged: posts verify it over the same payload bytes.
        extra=signature_headers(inbound.extra),
    )


def _release(
    rec: Inbound, alert: _Alert, store: StateStore, *, prev: AlertState | None,
    facts: RoutingFacts, decision: Decision, recipients: frozenset[str], denied: dict[str, str],
    headers: RouteHeaders, expires_ms: int | None, now_ms: int, hub: str,
) -> Effects:  # fmt: skip
    """Steps 5-6 without a hold: deliver to the recipients, revoke from former holders."""
    alert_id, version, org, kind = alert.who
    holders = prev.recipients if prev is not None else _EMPTY
    revoke = dict.fromkeys(sorted(holders - recipients), _revoke_reason(facts, decision))
    idents = strong_identifiers(kind, alert.subject)
    linked = store.linked(idents, alert_id) if idents else []
    shared = headers.to_kafka()
    deliveries = _deliveries(recipients, headers, shared, linked, store)
    if recipients:
        action = Action.DELIVERED
    elif revoke:
        action = Action.REVOKED
    else:
        action = Action.DENIED
    audit = _audit(
        alert.who, action, now_ms, hub, recipients=sorted(recipients),
        denied=denied, revoked=revoke, policy_version=decision.policy_version,
        linked=linked or None,
    )  # fmt: skip
    state = AlertState(
        alert_id=alert_id, version=version, org=org, kind=kind, owner=rec.owner,
        recipients=recipients, expires_at_ms=expires_ms, idents=idents, held=None,
        cancelled=alert.envelope["msg_type"] == "CANCEL",
        seq=prev.seq + 1 if prev is not None else 1, live_version=version,
        live_tlp=alert.envelope["tlp"], policy_version=decision.policy_version,
        origin=alert.envelope["originating_country"],
        delivered_at_ms=now_ms if recipients else (prev.delivered_at_ms if prev else None),
    )  # fmt: skip
    return Effects(
        action=action, audit=audit, alert_id=alert_id, org=org, kind=kind, payload=rec.value,
        deliveries=deliveries, shared_headers=shared, tombstones=revoke,
        tombstone_headers=_tomb_headers(kind, org, version, now_ms), state=state,
        review_clear=prev is not None and prev.held is not None, denied=denied,
    )  # fmt: skip


def _earliest(a: int | None, b: int | None) -> int | None:
    """The earlier of two expiries; None is "never"."""
    if a is None:
        return b
    return a if b is None else min(a, b)


def _hold(
    rec: Inbound, alert: _Alert, *, prev: AlertState | None, decision: Decision,
    recipients: frozenset[str], denied: dict[str, str], headers: RouteHeaders,
    expires_ms: int | None, now_ms: int, hub: str,
) -> Effects:  # fmt: skip
    """Hold a version for review; its restrictions reach the earlier version's holders at once.

    Only what widens waits for the reviewer. A country the held version would no longer reach
    (deny list, narrowing, TLP:RED not naming it) loses the earlier version now (``NARROWED``);
    a raise to RED withdraws it from every holder (``TLP_RED``: their border posts may hold
    it); a shorter expiry becomes the holders' expiry. The delivered version keeps its own
    expiry otherwise: a longer one in the held version waits for the approval.
    """
    assert rec.value is not None
    who = alert.who
    alert_id, version, org, kind = who
    tlp = alert.envelope["tlp"]
    holders = prev.recipients if prev is not None else _EMPTY
    revoke = dict.fromkeys(sorted(holders - recipients), RevokeReason.NARROWED)
    if tlp == "RED" and (prev is None or prev.live_tlp != "RED"):
        revoke.update(dict.fromkeys(sorted(holders & recipients), RevokeReason.TLP_RED))
        revoke = dict(sorted(revoke.items()))
    kept = holders - revoke.keys()
    held = Held(
        version=version, rule=decision.hold_for_review or "", recipients=recipients,
        payload=rec.value, held_at_ms=now_ms,
        headers=tuple((k, v.decode()) for k, v in headers.to_kafka()), expires_at_ms=expires_ms,
    )  # fmt: skip
    live_expiry = _earliest(prev.expires_at_ms, expires_ms) if prev is not None else None
    audit = _audit(
        who, Action.HELD, now_ms, hub, recipients=sorted(recipients),
        denied=denied, revoked=revoke, policy_version=decision.policy_version, rule=held.rule,
        live_version=prev.live_version if prev is not None and kept else None,
    )  # fmt: skip
    review = {REVIEW_RULE: held.rule, REVIEW_RECIPIENTS: ",".join(sorted(recipients))}
    state = AlertState(
        alert_id=alert_id, version=version, org=org, kind=kind, owner=rec.owner,
        recipients=kept, expires_at_ms=live_expiry,
        idents=strong_identifiers(kind, alert.subject), held=held, cancelled=False,
        seq=prev.seq + 1 if prev is not None else 1,
        live_version=prev.live_version if prev is not None else 0,
        live_tlp=prev.live_tlp if prev is not None else "",
        policy_version=decision.policy_version, origin=alert.envelope["originating_country"],
        delivered_at_ms=prev.delivered_at_ms if prev is not None else None,
    )  # fmt: skip
    return Effects(
        action=Action.HELD, audit=audit, alert_id=alert_id, org=org, kind=kind,
        payload=rec.value, tombstones=revoke,
        tombstone_headers=_tomb_headers(kind, org, version, now_ms), state=state,
        review_put=headers._replace(extra={**headers.extra, **review}).to_kafka(),
        denied=denied, reason=held.rule,
    )  # fmt: skip


def _deliveries(
    recipients: Iterable[str], route: RouteHeaders, shared: Headers, linked: list[str],
    store: StateStore,
) -> dict[str, Headers]:  # fmt: skip
    """Headers per recipient; a linked alert is named only to countries among its committed
    recipients now (less any a change staged on this instance removes), so a country never
    learns the id of an alert it may not see."""
    out = dict.fromkeys(recipients, shared)
    if not linked:
        return out
    holders = [(a, held) for a in linked if (held := store.holders(a))]
    if not holders:
        return out
    # Only recipients holding a linked alert get their own list; the rest keep ``shared``.
    reached: frozenset[str] = frozenset().union(*(held for _, held in holders))
    for country in reached.intersection(out):
        seen = [a for a, held in holders if country in held]
        out[country] = route._replace(linked=tuple(seen)).to_kafka()
    return out


def _tomb_headers(kind: str, org: str, version: int, now_ms: int | None = None) -> Headers:
    """Headers of a tombstone (``fl-reason`` is added per country by the writer)."""
    return RouteHeaders(kind=kind, org=org, version=version, ts_hub=now_ms).to_kafka()


def _due(expires_ms: int | None, now_ms: int) -> bool:
    return expires_ms is not None and expires_ms <= now_ms


def expire(entry: AlertState, now_ms: int, hub: str = "hub") -> Effects:
    """Expiry passed: the live version's holders get tombstones, a lapsed hold is dropped.

    The delivered version and a held one each keep their own expiry: a held version that
    expires later does not keep the delivered one alive, and one that lapses unreviewed
    revokes nothing by itself (a shorter expiry was already applied when it was held).
    """
    live_due = bool(entry.recipients) and _due(entry.expires_at_ms, now_ms)
    held = entry.held
    held_due = held is not None and _due(held.expires_at_ms, now_ms)
    revoke = dict.fromkeys(sorted(entry.recipients), RevokeReason.EXPIRED) if live_due else {}
    version = entry.live_version or entry.version
    if not live_due and held is not None:
        version = held.version
    audit = _audit(
        (entry.alert_id, version, entry.org, entry.kind), Action.REVOKED, now_ms, hub,
        revoked=revoke, reason=RevokeReason.EXPIRED, policy_version=entry.policy_version,
        held_version=held.version if held is not None and held_due else None,
    )  # fmt: skip
    state = replace(
        entry, recipients=_EMPTY if live_due else entry.recipients,
        held=None if held_due else held, seq=entry.seq + 1,
    )  # fmt: skip
    return Effects(
        action=Action.REVOKED, audit=audit, alert_id=entry.alert_id, org=entry.org,
        kind=entry.kind, tombstones=revoke,
        tombstone_headers=_tomb_headers(entry.kind, entry.org, version, now_ms),
        state=state, review_clear=held_due, reason=RevokeReason.EXPIRED,
    )  # fmt: skip


TS_APPROVED = "fl-ts-approved"
"""Header of an approved delivery: when the reviewer's approval was applied (epoch ms)."""
REVIEW_WAIT_MS = "fl-review-wait-ms"
"""Header of an approved delivery: how long the version waited for review (ms)."""
_REVIEW_HEADERS = frozenset({REVIEW_RULE, REVIEW_RECIPIENTS})


def _redecide(
    held: Held, policy: Policy, candidates: frozenset[str], now_ms: int
) -> tuple[frozenset[str], dict[str, str], str]:
    """The held version decided again at ``now_ms``: recipients (never wider than at hold
    time), deny reasons of the countries it no longer reaches, and the policy version."""
    try:
        kind, record = decode_dict(held.payload)
    except QuarantineError:  # it decoded when held; a changed schema registry cannot widen
        return frozenset(), dict.fromkeys(held.recipients, "UNDECODABLE"), policy.version
    facts = facts_of(kind, record["envelope"], record.get("subject"))
    decision = policy.decide(facts, candidates, moment(now_ms))
    now, denied = _recipients(decision)
    recipients = held.recipients & now
    lost = {c: denied.get(c, "NOT_A_RECIPIENT") for c in sorted(held.recipients - recipients)}
    return recipients, lost, decision.policy_version


def _revoke_reason_denied(denied: Mapping[str, str]) -> str:
    """The tombstone reason when an approval reaches nobody: EXPIRED, CANCELLED or NARROWED."""
    first = next(iter(denied.values()), None)
    if first == "EXPIRED":
        return RevokeReason.EXPIRED
    return RevokeReason.CANCELLED if first == "CANCELLED" else RevokeReason.NARROWED


def _reviewer_fields(reviewer: str, authenticated: bool) -> dict[str, Any]:
    """How an audit record names the reviewer: the identity, and whether anyone checked it."""
    return {"reviewer": reviewer, "reviewer_authenticated": authenticated}


def review_verdict(
    entry: AlertState, *, approve: bool, reviewer: str, note: str, now_ms: int, hub: str = "hub",
    reviewer_authenticated: bool = False, policy: Policy | None = None,
    candidates: frozenset[str] = _EMPTY,
) -> Effects:  # fmt: skip
    """Apply a reviewer's decision to a held alert.

    Approval decides again, with ``policy`` and the clock of the approval (``now_ms``): the
    held version reaches the countries that were chosen when it was held *and* may receive it
    now (an alert that expired or was narrowed while held is delivered only as it now may be;
    one that now reaches nobody is not delivered, audited with the reasons). Countries that
    held an earlier version but are not among them are revoked. Rejection revokes the alert
    from every country that holds an earlier version. The reviewer is recorded as claimed (an
    OS user name) with ``reviewer_authenticated`` false until operators are authenticated.

    An approved delivery counts its latency from the approval: ``fl-ts-ingest`` and
    ``fl-ts-connector`` become the approval moment, ``fl-ts-approved`` names it and
    ``fl-review-wait-ms`` carries the time spent in review.
    """
    held = entry.held
    assert held is not None, "review_verdict needs a held entry"
    if approve and _due(held.expires_at_ms, now_ms):
        return expire(entry, now_ms, hub)
    held_headers = dict(held.headers)
    policy_version = held_headers.get(H.POLICY_VERSION, "") or entry.policy_version
    who = _reviewer_fields(reviewer, reviewer_authenticated)
    if approve:
        recipients, denied = held.recipients, dict[str, str]()
        if policy is not None:
            recipients, denied, policy_version = _redecide(held, policy, candidates, now_ms)
        wait_ms = max(0, now_ms - held.held_at_ms)
        stored = RouteHeaders.from_kafka((k, v.encode()) for k, v in held.headers)
        extra = {
            **{k: v for k, v in stored.extra.items() if k not in _REVIEW_HEADERS},
            TS_APPROVED: str(now_ms), REVIEW_WAIT_MS: str(wait_ms),
        }  # fmt: skip
        headers = stored._replace(
            ts_hub=now_ms, ts_ingest=now_ms, ts_connector=now_ms, policy_version=policy_version,
            extra=extra,
        ).to_kafka()  # fmt: skip
        reason = _revoke_reason_denied(denied) if not recipients else RevokeReason.NARROWED
        revoke = dict.fromkeys(sorted(entry.recipients - recipients), reason)
        audit = _audit(
            (entry.alert_id, held.version, entry.org, entry.kind), Action.APPROVED, now_ms, hub,
            recipients=sorted(recipients), denied=denied, revoked=revoke, rule=held.rule,
            note=note or None, policy_version=policy_version, review_wait_ms=wait_ms,
            reason=None if recipients or not denied else reason, **who,
        )  # fmt: skip
        state = replace(
            entry, recipients=recipients, held=None, seq=entry.seq + 1,
            expires_at_ms=held.expires_at_ms, live_version=held.version,
            live_tlp=held_headers.get(H.TLP, ""), policy_version=policy_version,
            delivered_at_ms=now_ms if recipients else entry.delivered_at_ms,
        )  # fmt: skip
        return Effects(
            action=Action.APPROVED, audit=audit, alert_id=entry.alert_id, org=entry.org,
            kind=entry.kind, payload=held.payload,
            deliveries=dict.fromkeys(recipients, headers), shared_headers=headers,
            tombstones=revoke,
            tombstone_headers=_tomb_headers(entry.kind, entry.org, held.version, now_ms),
            state=state, review_clear=True, reason=held.rule, review_wait_ms=wait_ms,
        )  # fmt: skip
    revoke = dict.fromkeys(sorted(entry.recipients), RevokeReason.REVIEW_REJECTED)
    audit = _audit(
        (entry.alert_id, held.version, entry.org, entry.kind), Action.REJECTED, now_ms, hub,
        revoked=revoke, rule=held.rule, note=note or None, policy_version=policy_version, **who,
    )  # fmt: skip
    return Effects(
        action=Action.REJECTED, audit=audit, alert_id=entry.alert_id, org=entry.org,
        kind=entry.kind, tombstones=revoke,
        tombstone_headers=_tomb_headers(entry.kind, entry.org, held.version, now_ms),
        state=replace(entry, recipients=_EMPTY, held=None, seq=entry.seq + 1),
        review_clear=True,
        reason=held.rule,
    )  # fmt: skip
