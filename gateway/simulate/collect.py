"""Reads what the exercise left on the broker: ingress counts, quarantine, the audit trail."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from gateway.contract.messages import message_kind
from gateway.hub.audit import decode_audit
from gateway.kafka.clients import make_consumer
from gateway.kafka.quarantine import QuarantineRecord
from gateway.kafka.reading import assign_from_start, read_to_end
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings

__all__ = ["BrokerFacts", "collect"]


@dataclass
class BrokerFacts:
    """Counts read back from the topics, independent of what the components reported."""

    ingress: Counter[str] = field(default_factory=Counter)  # org -> alert records on its ingress
    ingress_messages: Counter[str] = field(default_factory=Counter)  # org -> hit-acks and such
    quarantined: Counter[str] = field(default_factory=Counter)  # org -> connector quarantines
    hub_quarantined: int = 0
    audited: set[tuple[str, int]] = field(default_factory=set)  # (alert id, version)
    actions: Counter[str] = field(default_factory=Counter)
    deliveries_by_org: Counter[str] = field(default_factory=Counter)
    deliveries_by_country: Counter[str] = field(default_factory=Counter)
    denials_by_reason: Counter[str] = field(default_factory=Counter)
    revocations_by_reason: Counter[str] = field(default_factory=Counter)
    # (alert id, version) -> when the hub first delivered (or approved) it, ms
    delivered_ms: dict[tuple[str, int], int] = field(default_factory=dict)


async def _read_all(settings: Settings, topic: str, facts: BrokerFacts, kind: str) -> None:
    consumer = make_consumer(settings, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = await assign_from_start(consumer, topic)

        def on_record(record: Any) -> None:
            if kind == "ingress":
                org = topic.rsplit(".", 1)[-1].upper()
                if message_kind(record.headers) is None:
                    facts.ingress[org] += 1
                else:  # the way back: an organization's acknowledgements (docs/twoway.md)
                    facts.ingress_messages[org] += 1
            elif kind == "quarantine":
                q = QuarantineRecord.from_kafka(record.value, record.headers)
                if q.component == "connector":
                    facts.quarantined[q.org] += 1
                else:
                    facts.hub_quarantined += 1
            else:
                _note_audit(facts, decode_audit(record.value))

        await read_to_end(consumer, tps, on_record, timeout_s=120)
    finally:
        await consumer.stop()


def _note_audit(facts: BrokerFacts, audit: dict[str, Any] | None) -> None:
    if audit is None:
        return
    facts.audited.add((str(audit.get("alert_id")), int(audit.get("version", 0))))
    action = str(audit.get("action"))
    facts.actions[action] += 1
    recipients = audit.get("recipients") or []
    if action in ("DELIVERED", "APPROVED"):
        key = (str(audit.get("alert_id")), int(audit.get("version", 0)))
        facts.delivered_ms.setdefault(key, int(audit.get("ts", 0)))
        facts.deliveries_by_org[str(audit.get("org"))] += len(recipients)
        for country in recipients:
            facts.deliveries_by_country[str(country)] += 1
    for reason in (audit.get("denied") or {}).values():
        facts.denials_by_reason[str(reason)] += 1
    for reason in (audit.get("revoked") or {}).values():
        facts.revocations_by_reason[str(reason)] += 1


async def collect(settings: Settings, orgs: list[str]) -> BrokerFacts:
    """Read every ingress topic, the quarantine and the audit trail to their current ends."""
    names = TopicNames(settings.topic_prefix)
    facts = BrokerFacts()
    for org in orgs:
        await _read_all(settings, names.ingress(org), facts, "ingress")
    await _read_all(settings, names.quarantine, facts, "quarantine")
    await _read_all(settings, names.audit, facts, "audit")
    return facts
