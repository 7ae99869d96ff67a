"""The hub's routing as one stateless function, shared by the peers so both route identically.

Decode (``gateway.contract.codec.decode_dict``), refuse a source organization that is not
the ingress topic's, decide with ``gateway.hub.policy.decide`` among the topology's countries,
then: deliveries to each recipient's ``ncb`` topic with the payload unchanged, or one review
record when the policy holds the alert, plus one audit record. What it leaves out of the hub:
version order, revocations and expiry timers (per-alert state) - a peer running it does less
work than the hub, so its figure is an upper bound for the same framework.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.contract.codec import decode_dict
from gateway.errors import QuarantineError
from gateway.hub.audit import Action, audit_record
from gateway.hub.policy.decide import Feed, Policy, facts_from_record
from gateway.kafka.headers import RouteHeaders
from gateway.kafka.quarantine import QuarantineRecord, Reason
from gateway.kafka.topic_names import TopicNames

__all__ = ["Routed", "Router"]


@dataclass(frozen=True, slots=True)
class Routed:
    """One output record: topic, key, value and headers."""

    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


class Router:
    """Routes ingress records of one topology (its countries are the candidates)."""

    def __init__(self, names: TopicNames, policy: Policy, candidates: frozenset[str]) -> None:
        self.names = names
        self.policy = policy
        self.candidates = candidates
        self.ncb = {c: names.ncb(c) for c in candidates}

    def _quarantine(self, org: str, key: bytes | None, value: bytes, reason: Reason) -> Routed:
        record = QuarantineRecord(
            org=org, stage="route", component="peer", source="ingress", reasons=(reason,),
            original=value, ts_ms=int(time.time() * 1000),
        )  # fmt: skip
        return Routed(self.names.quarantine, record.key(), value, record.headers())

    def route(self, topic_org: str, key: bytes | None, value: bytes) -> list[Routed]:
        """Every output record one ingress record produces."""
        try:
            kind, record = decode_dict(value)
            facts = facts_from_record(kind, record)
        except QuarantineError as error:
            reason = Reason("", error.quarantine_reason, error.message)
            return [self._quarantine(topic_org, key, value, reason)]
        if facts.source_org != topic_org:
            reason = Reason("envelope.source_org", "source_org_mismatch", "spoofed source")
            return [self._quarantine(topic_org, key, value, reason)]
        now_ms = int(time.time() * 1000)
        decision = self.policy.decide(
            facts, self.candidates, datetime.fromtimestamp(now_ms / 1000, UTC)
        )
        recipients = decision.recipients if decision.feed is Feed.ACTUAL else frozenset()
        env = record["envelope"]
        issued = env.get("issued_at")
        headers = RouteHeaders(
            kind=facts.kind, org=facts.source_org, tlp=facts.tlp, status=facts.status,
            msg_type=facts.msg_type, version=facts.version,
            policy_version=decision.policy_version,
            ts_issued=int(issued.timestamp() * 1000) if isinstance(issued, datetime) else None,
            ts_hub=now_ms,
        ).to_kafka()  # fmt: skip
        held = bool(decision.hold_for_review and recipients)
        action = Action.HELD if held else Action.DELIVERED if recipients else Action.DENIED
        audit = audit_record(
            alert_id=facts.alert_id, version=facts.version, org=facts.source_org,
            kind=facts.kind, action=action, ts_ms=now_ms, hub="peer",
            recipients=sorted(recipients),
            denied={c: r.value for c, r in decision.denied.items()},
            policy_version=decision.policy_version,
        )  # fmt: skip
        alert_key = facts.alert_id.encode()
        out = [Routed(self.names.audit, alert_key, audit, [])]
        if held:
            out.append(Routed(self.names.review, alert_key, value, headers))
            return out
        ncb = self.ncb
        out.extend(Routed(ncb[c], key, value, headers) for c in recipients)
        return out
