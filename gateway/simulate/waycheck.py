"""The way back's accounting: read from the broker (read_committed), never from the components.

- **Hits.** Every reported hit other than FALSE_MATCH is on its issuing organization's
  ``outbound.<org>`` once and on its originating country's ``ncb.<ISO3>`` once (when that
  country has a node in the exercise), and on no other outbound or national topic; a
  FALSE_MATCH is on no hub topic (``hub.inbox``, ``outbound.*``, ``ncb.*``).
- **Acknowledgements.** Every forwarded hit was acknowledged, and the reporting post's
  ``GET /hits`` shows each acknowledgement.
- **Flags.** Each flag is on its organization's outbound topic once, and every post of the
  flagging country that still holds the alert shows the flag in a screening's answer.
- **Receipts.** What is counted: each (post, alert, version) the post must hold at the end
  (the expected watchlists) has a receipt from that post for that very version on
  ``up.<ISO3>``, and each alert a post confirmed holding and must no longer hold has a
  removal as its last receipt. Versions superseded before the post applied them are not
  counted: a post that never committed a version sends no receipt for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition

from gateway.contract.messages import (
    Flag,
    HitReport,
    Receipt,
    decode_as,
    message_kind,
)
from gateway.errors import QuarantineError
from gateway.kafka.clients import make_consumer
from gateway.kafka.reading import partitions_of, read_to_end
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings
from gateway.simulate.report import AccountingCheck
from gateway.simulate.wayback import ReportedHit, SentFlag

__all__ = ["WayFacts", "WayReader", "coverage_curve", "hit_checks", "receipt_check"]


@dataclass
class WayFacts:
    """What the way-back topics hold."""

    hit_topics: dict[str, Counter[str]] = field(default_factory=dict)  # hit id -> topic -> n
    flag_topics: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)
    # (post ISO3.POST, alert id) -> its receipts, in the order the post sent them
    receipts: dict[tuple[str, str], list[Receipt]] = field(default_factory=dict)


class WayReader:
    """One group-less read_committed consumer over the way-back topics, read on demand."""

    def __init__(self, settings: Settings, orgs: list[str], countries: list[str]) -> None:
        self.settings = settings
        names = TopicNames(settings.topic_prefix)
        self.topics = [names.hub_inbox]
        self.topics += [names.outbound(o) for o in orgs]
        self.topics += [names.ncb(c) for c in countries]
        self.topics += [names.up(c) for c in countries]
        self.up = {names.up(c) for c in countries}
        self.facts = WayFacts()
        self._consumer: Any = None
        self._tps: list[TopicPartition] = []

    async def catch_up(self, timeout_s: float = 60.0) -> WayFacts:
        """Read every topic on to its end now (the first call from its start)."""
        if self._consumer is None:
            consumer = make_consumer(self.settings, group_id=None, enable_auto_commit=False)
            await consumer.start()
            self._consumer = consumer
            for topic in self.topics:
                self._tps += await partitions_of(consumer, topic)
            consumer.assign(self._tps)
            await consumer.seek_to_beginning(*self._tps)
        end = await self._consumer.end_offsets(self._tps)
        await read_to_end(self._consumer, self._tps, self._on_record, target=end,
                          timeout_s=timeout_s)  # fmt: skip
        return self.facts

    async def close(self) -> None:
        """Close the consumer."""
        if self._consumer is not None:
            await self._consumer.stop()

    def _on_record(self, record: Any) -> None:
        kind = message_kind(record.headers)
        if kind is None:
            return  # an alert
        facts = self.facts
        try:
            if kind == HitReport.kind:
                hit = decode_as(HitReport, kind, record.value)
                if record.topic not in self.up:
                    facts.hit_topics.setdefault(hit.hit_id, Counter())[record.topic] += 1
            elif kind == Flag.kind and record.topic not in self.up:
                flag = decode_as(Flag, kind, record.value)
                key = (flag.alert_id, flag.country)
                facts.flag_topics.setdefault(key, Counter())[record.topic] += 1
            elif kind == Receipt.kind:
                receipt = decode_as(Receipt, kind, record.value)
                post = f"{receipt.country}.{receipt.post_id}"
                facts.receipts.setdefault((post, receipt.alert_id), []).append(receipt)
        except QuarantineError:
            return  # not the exercise's to judge: the components quarantine it


def hit_checks(
    prefix: str,
    hits: list[ReportedHit],
    origins: Mapping[str, str],
    countries: set[str],
    facts: WayFacts,
) -> AccountingCheck:
    """Every hit reached exactly its issuing organization and originating country, once."""
    names = TopicNames(prefix)
    wrong: list[str] = []
    reported = {h.hit_id for h in hits}
    forwarded = false_matches = to_country = 0
    for hit in hits:
        seen = facts.hit_topics.get(hit.hit_id, Counter())
        if hit.outcome.value == "FALSE_MATCH":
            false_matches += 1
            want: Counter[str] = Counter()
        else:
            forwarded += 1
            # the reporting node forwards it to the hub once; the hub to these, once each
            want = Counter({names.hub_inbox: 1, names.outbound(hit.org): 1})
            origin = origins.get(hit.alert_id)
            if origin in countries:
                want[names.ncb(origin)] = 1
                to_country += 1
        if seen != want:
            wrong.append(
                f"{hit.hit_id[:8]} ({hit.outcome.value}) on {dict(seen)}, want {dict(want)}"
            )
    strays = [h for h in facts.hit_topics if h not in reported]
    detail = (
        f"{len(hits)} hits reported: {forwarded} on the hub inbox and their organization's "
        f"outbound topic once ({to_country} also on their originating country's national topic"
        f" once, the others' origin has no node here), none elsewhere; {false_matches} "
        "FALSE_MATCH on no hub topic"
    )
    if wrong:
        detail += f"; wrong: {'; '.join(wrong[:3])}" + (
            f" (+{len(wrong) - 3})" if len(wrong) > 3 else ""
        )
    if strays:
        detail += f"; {len(strays)} hit(s) on hub topics the exercise never reported"
    return AccountingCheck(
        name="every hit reached its originating organization and country exactly once, no one else",
        ok=not wrong and not strays,
        detail=detail,
    )


def flag_route_check(prefix: str, flags: list[SentFlag], facts: WayFacts) -> tuple[bool, str]:
    """Each flag on the hub inbox and its organization's outbound topic once, nowhere else."""
    names = TopicNames(prefix)
    wrong = []
    for flag in flags:
        seen = facts.flag_topics.get((flag.alert_id, flag.country), Counter())
        if seen != Counter({names.hub_inbox: 1, names.outbound(flag.org): 1}):
            wrong.append(f"{flag.alert_id} ({flag.country}) on {dict(seen)}")
    return not wrong, "; ".join(wrong[:3])


def receipt_check(
    expected: Mapping[str, Mapping[str, int]], facts: WayFacts
) -> tuple[AccountingCheck, dict[tuple[str, int], dict[str, float]]]:
    """Receipts against the expected watchlists; also, per (alert, version) held at the end,
    each holding post's first receipt time (epoch seconds), for the coverage curve."""
    missing: list[str] = []
    not_removed: list[str] = []
    held = 0
    first_at: dict[tuple[str, int], dict[str, float]] = {}
    for post, watchlist in expected.items():
        for alert_id, version in watchlist.items():
            held += 1
            found = [r for r in facts.receipts.get((post, alert_id), [])
                     if r.version == version and not r.removed]  # fmt: skip
            if not found:
                missing.append(f"{post} {alert_id} v{version}")
                continue
            first = min(r.at.timestamp() for r in found)
            first_at.setdefault((alert_id, version), {})[post] = first
    removed = 0
    for (post, alert_id), receipts in facts.receipts.items():
        if post not in expected or alert_id in expected[post]:
            continue
        removed += 1
        if not receipts[-1].removed:
            not_removed.append(f"{post} {alert_id} v{receipts[-1].version}")
    total = sum(len(r) for r in facts.receipts.values())
    detail = (
        f"{total} receipts; {held} (post, version) held at the end, "
        f"{held - len(missing)} with that post's receipt; {removed} alerts a post held and "
        f"lost, {removed - len(not_removed)} with a removal receipt last (versions superseded "
        "before a post applied them are not counted)"
    )
    if missing:
        detail += f"; no receipt: {', '.join(missing[:3])}"
    if not_removed:
        detail += f"; no removal receipt: {', '.join(not_removed[:3])}"
    check = AccountingCheck(
        name="every delivered version has a receipt from every intended post",
        ok=not missing and not not_removed,
        detail=detail,
    )
    return check, first_at


def coverage_curve(
    first_at: Mapping[tuple[str, int], Mapping[str, float]],
    intended: Mapping[tuple[str, int], int],
    delivered_ms: Mapping[tuple[str, int], int],
    points: int = 60,
) -> tuple[list[tuple[float, float]], list[float]]:
    """Share of delivered versions with every intended post's receipt, against seconds since
    delivery; and each version's seconds to its last receipt (None-free, complete ones)."""
    waits: list[float] = []
    counted = 0
    for key, posts in intended.items():
        if key not in delivered_ms:
            continue  # delivered before the run's audit trail (never in an exercise)
        counted += 1
        got = first_at.get(key, {})
        if len(got) < posts:
            continue
        waits.append(max(0.0, max(got.values()) - delivered_ms[key] / 1000))
    if not counted:
        return [], []
    top = max(waits, default=1.0) or 1.0
    ordered = sorted(waits)
    curve = []
    for i in range(points + 1):
        x = top * i / points
        within = sum(1 for w in ordered if w <= x)
        curve.append((round(x, 3), round(within / counted, 4)))
    return curve, waits
