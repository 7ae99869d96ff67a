"""The national node's way back: its posts' hits and receipts, its bureau's decisions and flags.

The node's :class:`~gateway.node.service.NodeProcessor` hands this class the records of its
``up`` topics (``fl.up.<ISO3>``) and the message records of its national topics (those with
an ``fl-msg`` header); the outputs returned join the input partition's transaction, so each
forwarded hit, acknowledgement, offer and flag is written exactly once (docs/twoway.md).

State (hits, flags, receipts, and the latest routing of each alert, which the flags and the
receipts need) is shared by a country's partitions: changes are staged per input partition,
visible at once to later records of that partition (a hit and its decisions share one) and
applied to the shared state when its transaction commits (:meth:`WayBack.committed`).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiokafka import TopicPartition

from gateway.contract.messages import (
    MESSAGE_HEADER,
    FalseMatch,
    Flag,
    HitAck,
    HitDecision,
    HitDecisionKind,
    HitReport,
    Message,
    Receipt,
    decode_as,
    decode_message,
    encode_message,
    message_kind,
)
from gateway.errors import QuarantineError
from gateway.kafka.eos import Output
from gateway.kafka.topic_names import TopicNames
from gateway.node.flags import FlagBook, with_flag
from gateway.node.hits import AUTO_DECIDER, Hit, HitBook, HitEntry, HitStatus, auto_decision
from gateway.node.receipts import (
    ReceiptBook,
    ReceiptKey,
    VersionMap,
    is_complete,
    key_of,
    summary_after_s,
    summary_key,
)
from gateway.topology import Country

__all__ = ["AlertEntry", "CountryState", "Counts", "WayBack"]

Counts = list[tuple[str, tuple[str, ...], int]]
"""Metric increments staged with a transaction: (counter name, labels, amount)."""


_LENGTHS = struct.Struct("<IiH")  # key, value (-1: none), number of headers
_HEADER = struct.Struct("<HI")  # one header's name and value lengths


class AlertEntry:
    """How the node last routed an alert: what it wrote to which posts.

    The record (key, value, headers as written to the feeds, without fl-flag-* headers) is
    packed in one ``bytes``: a node keeps one entry per alert and country and replaces it at
    every version, so each version costs one allocation, not the two dozen small objects its
    key, value and header list and tuples would be (docs/benchmarks.md, Soak). ``key``,
    ``value`` and ``headers`` unpack on demand (a flag raised, which is rare).
    """

    __slots__ = ("_packed", "delivered", "tombstoned", "version")

    def __init__(  # noqa: PLR0917  # why: one call shape, the fields in order
        self,
        key: bytes,
        value: bytes | None,  # None: the alert was removed
        headers: Sequence[tuple[str, bytes]],
        version: int,
        delivered: tuple[str, ...],
        tombstoned: tuple[str, ...],
    ) -> None:
        table = [_LENGTHS.pack(len(key), -1 if value is None else len(value), len(headers))]
        body = [key, value or b""]
        for name, header_value in headers:
            encoded = name.encode()
            table.append(_HEADER.pack(len(encoded), len(header_value)))
            body += [encoded, header_value]
        self._packed = b"".join(table + body)
        self.version = version
        self.delivered = delivered
        self.tombstoned = tombstoned

    def record(self) -> tuple[bytes, bytes | None, list[tuple[str, bytes]]]:
        """The key, value (None: removed) and headers written to the feeds, unpacked once."""
        packed = self._packed
        key_len, value_len, count = _LENGTHS.unpack_from(packed)
        at = _LENGTHS.size
        lengths = [_HEADER.unpack_from(packed, at + i * _HEADER.size) for i in range(count)]
        at += count * _HEADER.size
        key = packed[at : at + key_len]
        at += key_len
        value = None if value_len < 0 else packed[at : at + value_len]
        at += max(value_len, 0)
        headers: list[tuple[str, bytes]] = []
        for name_len, header_len in lengths:
            name = packed[at : at + name_len].decode()
            at += name_len
            headers.append((name, packed[at : at + header_len]))
            at += header_len
        return key, value, headers

    @property
    def key(self) -> bytes:
        """The record key written to the feeds."""
        return self.record()[0]

    @property
    def value(self) -> bytes | None:
        """The record value written to the feeds; None when the alert was removed."""
        return self.record()[1]

    @property
    def headers(self) -> list[tuple[str, bytes]]:
        """The headers written to the feeds, without fl-flag-* headers."""
        return self.record()[2]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AlertEntry):
            return NotImplemented
        return (self._packed, self.version, self.delivered, self.tombstoned) == (
            other._packed, other.version, other.delivered, other.tombstoned,
        )  # fmt: skip

    __hash__ = None  # type: ignore[assignment]  # mutable slots: not hashable

    def __repr__(self) -> str:  # the record's value is personal data: sizes only
        return (
            f"AlertEntry(version={self.version}, bytes={len(self._packed)}, "
            f"delivered={self.delivered}, tombstoned={self.tombstoned})"
        )


@dataclass
class CountryState:
    """One country's shared state."""

    alerts: dict[str, AlertEntry] = field(default_factory=dict)
    hits: dict[str, Hit] = field(default_factory=dict)  # settled ones compact (SettledHit)
    flags: FlagBook = field(default_factory=FlagBook)
    receipts: ReceiptBook = field(default_factory=ReceiptBook)


@dataclass
class _Staged:
    """What one input partition's open transaction changes."""

    alerts: dict[str, AlertEntry] = field(default_factory=dict)
    hits: dict[str, HitEntry] = field(default_factory=dict)
    flags: dict[str, Flag] = field(default_factory=dict)
    receipts: dict[ReceiptKey, dict[str, datetime]] = field(default_factory=dict)
    dirty: set[ReceiptKey] = field(default_factory=set)  # receipts counted, no summary yet
    sent: dict[ReceiptKey, bool] = field(default_factory=dict)  # summaries here: complete?


def _message(message: Message) -> tuple[bytes, list[tuple[str, bytes]]]:
    return encode_message(message)


def _apply_way_back(state: CountryState, staged: _Staged) -> None:
    """Apply a transaction's hits (settled ones kept small), flags and receipts."""
    state.hits.update((hit_id, entry.kept()) for hit_id, entry in staged.hits.items())
    state.flags.update(staged.flags)
    state.receipts.update(staged.receipts)


class WayBack:
    """Hits, decisions, receipts, flags and acknowledgements of some countries' nodes."""

    def __init__(
        self,
        names: TopicNames,
        countries: Sequence[Country],
        *,
        auto_confirm: bool = False,
        summary_after_ms: int | None = None,
    ) -> None:
        self.names = names
        self.auto_confirm = auto_confirm
        self.states = {c.code: CountryState() for c in countries}
        self._posts = {c.code: {p.id for p in c.posts} for c in countries}
        self._by_up = {names.up(c.code): c.code for c in countries}
        self._staged: dict[TopicPartition, _Staged] = {}
        # versions counted since their last summary (or none), to look at each tick
        self._waiting: dict[TopicPartition, set[ReceiptKey]] = {}
        # per country (its partitions share them): the tick that first saw a version, and the
        # summaries committed (complete or not); each alert's newest versions only
        # (the three books of a country settle together, so they share one floor per alert)
        floors = {code: state.receipts.held.floors for code, state in self.states.items()}
        self._first: dict[str, VersionMap[int]] = {c: VersionMap(f) for c, f in floors.items()}
        self._reported: dict[str, VersionMap[bool]] = {c: VersionMap(f) for c, f in floors.items()}
        if summary_after_ms is None:
            summary_after_ms = int(summary_after_s() * 1000)
        self._wait_ms = summary_after_ms

    @property
    def topics(self) -> list[str]:
        """The ``up`` topics read."""
        return list(self._by_up)

    def country_of_up(self, topic: str) -> str | None:
        """The country whose ``up`` topic this is."""
        return self._by_up.get(topic)

    # -- staging ---------------------------------------------------------------------------

    def _stage(self, tp: TopicPartition) -> _Staged:
        staged = self._staged.get(tp)
        if staged is None:
            staged = self._staged[tp] = _Staged()
        return staged

    def committed(self, tp: TopicPartition, country: str) -> bool:
        """Apply the partition's staged changes; True when its hits changed."""
        staged = self._staged.pop(tp, None)
        if staged is None:
            return False
        state = self.states[country]
        state.alerts.update(staged.alerts)
        _apply_way_back(state, staged)
        waiting = self._waiting.setdefault(tp, set())
        waiting |= staged.dirty
        for key, complete in staged.sent.items():
            waiting.discard(key)
            self._first[country].pop(key, None)
            self._reported[country][key] = complete
            if complete:  # older versions of the alert are settled: keep none of them
                for book in (state.receipts.held, self._first[country], self._reported[country]):
                    book.settle(key[0], key[1])
        return bool(staged.hits)

    def aborted(self, tp: TopicPartition) -> None:
        """Forget the partition's staged changes (its records are read again)."""
        self._staged.pop(tp, None)

    def revoked(self, tp: TopicPartition) -> None:
        """The partition is no longer ours."""
        self._staged.pop(tp, None)
        self._waiting.pop(tp, None)

    # -- lookups (the partition's staged changes first) ------------------------------------

    def hit(self, country: str, hit_id: str, tp: TopicPartition | None = None) -> Hit | None:
        """A hit of ``country``'s posts, as this partition's open transaction sees it."""
        staged = self._staged.get(tp) if tp is not None else None
        if staged is not None and hit_id in staged.hits:
            return staged.hits[hit_id]
        return self.states[country].hits.get(hit_id)

    def alert(self, country: str, alert_id: str) -> AlertEntry | None:
        """How the node last routed ``alert_id`` (committed)."""
        return self.states[country].alerts.get(alert_id)

    def flag(self, country: str, alert_id: str) -> Flag | None:
        """The flag in force on ``alert_id`` in ``country`` (committed)."""
        return self.states[country].flags.get(alert_id)

    def stage_alert(self, tp: TopicPartition, alert_id: str, entry: AlertEntry) -> None:
        """Remember how an alert was routed, when the transaction commits."""
        self._stage(tp).alerts[alert_id] = entry

    # -- the up topic ----------------------------------------------------------------------

    def on_up(self, country: str, tp: TopicPartition, record: Any, counts: Counts) -> list[Output]:
        """One record of a country's ``up`` topic; QuarantineError for what cannot be used."""
        kind = message_kind(record.headers)
        if kind is None:
            raise QuarantineError(
                f"record without {MESSAGE_HEADER} on {tp.topic}", reason="unexpected_message"
            )
        message = decode_message(kind, record.value)
        if getattr(message, "country", None) != country:
            raise QuarantineError(f"{kind} of another country", reason="wrong_country")
        if isinstance(message, HitReport):
            return self._on_hit(country, tp, message, counts)
        if isinstance(message, HitDecision):
            return self._on_decision(country, tp, message, counts)
        if isinstance(message, Receipt):
            self._on_receipt(country, tp, message, counts)
            return []
        if isinstance(message, Flag):
            return self._on_flag(country, tp, message, counts)
        raise QuarantineError(f"{kind} does not belong on an up topic", reason="unexpected_message")

    def _check_post(self, country: str, post_id: str) -> None:
        if post_id not in self._posts[country]:
            raise QuarantineError(f"unknown post {post_id[:40]!r}", reason="unknown_post")

    def _forward_hit(self, report: HitReport) -> Output:
        value, headers = _message(report)
        return Output(self.names.hub_inbox, report.hit_id.encode(), value, headers)

    def _on_hit(
        self, country: str, tp: TopicPartition, report: HitReport, counts: Counts
    ) -> list[Output]:
        self._check_post(country, report.post_id)
        entry = HitBook.on_report(self.hit(country, report.hit_id, tp), report)
        labels = (country, report.outcome.value)
        if entry is None:  # a re-send: already handled
            counts.append(("hits", (*labels, "duplicate"), 1))
            return []
        out: list[Output] = []
        if entry.status is HitStatus.FALSE_MATCH:
            out += self._offers(country, report)
            counts.append(("hits", (*labels, "false_match"), 1))
        elif self.auto_confirm:
            decision = auto_decision(report)
            settled = HitBook.on_decision(entry, decision)
            entry = settled or entry
            out.append(self._forward_hit(report))
            value, headers = _message(decision)
            out.append(Output(self.names.up(country), report.hit_id.encode(), value, headers))
            counts.append(("hits", (*labels, "confirmed"), 1))
        else:
            counts.append(("hits", (*labels, "pending"), 1))
        self._stage(tp).hits[report.hit_id] = entry
        return out

    def _offers(self, country: str, report: HitReport) -> list[Output]:
        """A FALSE_MATCH offered to the country's other posts (not beyond the country)."""
        if not report.subject_key:
            return []
        offer = FalseMatch(
            alert_id=report.alert_id,
            alert_version=report.alert_version,
            subject_key=report.subject_key,
            country=country,
            post_id=report.post_id,
            at=report.reported_at,
        )
        value, headers = _message(offer)
        key = f"fm:{report.alert_id}:{report.subject_key}".encode()
        others = sorted(self._posts[country] - {report.post_id})
        return [Output(self.names.post(country, p), key, value, headers) for p in others]

    def _on_decision(
        self, country: str, tp: TopicPartition, decision: HitDecision, counts: Counts
    ) -> list[Output]:
        entry = HitBook.on_decision(self.hit(country, decision.hit_id, tp), decision)
        labels = (country, decision.decision.value)
        if entry is None:  # unknown or already settled (an auto-confirm's own record)
            counts.append(("decisions", (*labels, "ignored"), 1))
            return []
        self._stage(tp).hits[decision.hit_id] = entry
        counts.append(("decisions", (*labels, "applied"), 1))
        if decision.decision is HitDecisionKind.CONFIRMED:
            return [self._forward_hit(entry.report)]
        return []

    def _on_receipt(
        self, country: str, tp: TopicPartition, receipt: Receipt, counts: Counts
    ) -> None:
        self._check_post(country, receipt.post_id)
        key = key_of(receipt)
        if not self.states[country].receipts.held.keeps(key):
            counts.append(("receipts", (country, "superseded"), 1))
            return  # the alert's newer versions are all that is kept (receipts.VersionMap)
        staged = self._stage(tp)
        held = staged.receipts.get(key, {})
        if receipt.post_id in held or receipt.post_id in self.states[country].receipts.posts(key):
            counts.append(("receipts", (country, "repeated"), 1))
            return
        staged.receipts.setdefault(key, {})[receipt.post_id] = receipt.at
        staged.dirty.add(key)
        counts.append(("receipts", (country, "counted"), 1))

    def _intended(self, country: str, key: ReceiptKey) -> tuple[str, ...] | None:
        """The posts the node sent that version (or removal) to; None when it does not know."""
        alert_id, version, removed = key
        entry = self.alert(country, alert_id)
        if entry is None:
            return None
        if removed:
            return entry.tombstoned or None
        return entry.delivered if entry.version == version else None

    def summaries(self, tp: TopicPartition, counts: Counts, now_ms: int) -> list[Output]:
        """Receipt summaries (an engine tick) of the versions that became complete, and once of
        those still incomplete ``summary_after_ms`` after the tick that first counted them."""
        country = self._by_up.get(tp.topic)
        staged = self._staged.get(tp)
        waiting = self._waiting.get(tp, set())
        keys = waiting | (staged.dirty if staged else set())
        if country is None or not keys:
            return []
        staged = self._stage(tp)
        book = self.states[country].receipts
        first, committed = self._first[country], self._reported[country]
        # What the country's other open transactions sent, over the committed reports (the
        # committed history grows with every version: it is read, never copied, per tick).
        pending: dict[ReceiptKey, bool] = {}
        for other, open_ in self._staged.items():
            if other != tp and self._by_up.get(other.topic) == country:
                for key, complete in open_.sent.items():
                    pending[key] = pending.get(key, False) or complete
        out: list[Output] = []
        for key in sorted(keys - set(staged.sent)):
            if not book.held.keeps(key):  # a newer version completed: nothing to tell of it
                waiting.discard(key)
                staged.dirty.discard(key)
                continue
            held = {**book.posts(key), **staged.receipts.get(key, {})}
            summary = ReceiptBook.summarize(key, country, held, self._intended(country, key))
            complete = is_complete(summary)
            told = key in committed or key in pending
            told_complete = committed.get(key, False) or pending.get(key, False)
            if told and (told_complete or not complete):  # nothing new to tell:
                waiting.discard(key)  # wait for a receipt that completes it
                staged.dirty.discard(key)
                continue
            if not complete and now_ms - first.setdefault(key, now_ms) < self._wait_ms:
                continue
            value, headers = _message(summary)
            out.append(Output(self.names.hub_inbox, summary_key(key[0], country), value, headers))
            staged.sent[key] = complete
        counts.append(("summaries", (country,), len(out)))
        return out

    def _on_flag(
        self, country: str, tp: TopicPartition, flag: Flag, counts: Counts
    ) -> list[Output]:
        self._stage(tp).flags[flag.alert_id] = flag
        out: list[Output] = []
        entry = self.alert(country, flag.alert_id)
        if entry is not None:
            key, value, headers = entry.record()
            if value is not None:
                flagged = with_flag(headers, flag)
                out += [
                    Output(self.names.post(country, p), key, value, flagged)
                    for p in entry.delivered
                ]
        value, headers = _message(flag)
        key = f"flag:{flag.alert_id}:{country}".encode()
        out.append(Output(self.names.hub_inbox, key, value, headers))
        counts.append(("flags", (country, "flagged" if flag.flagged else "unflagged"), 1))
        return out

    # -- messages on the national topic ----------------------------------------------------

    def on_ncb_message(self, country: str, kind: str, record: Any, counts: Counts) -> list[Output]:
        """A message the hub put on the national topic: a hit on an alert this country issued
        (kept there, listed by ``node hits --incoming``) or an acknowledgement for the post."""
        if kind == HitReport.kind:
            decode_as(HitReport, kind, record.value)
            counts.append(("messages", (country, kind, "incoming"), 1))
            return []
        if kind == HitAck.kind:
            ack = decode_as(HitAck, kind, record.value)
            entry = self.hit(country, ack.hit_id)
            if entry is None:
                raise QuarantineError("acknowledgement of an unknown hit", reason="unknown_hit")
            feed = self.names.post(country, entry.post_id)
            counts.append(("messages", (country, kind, "delivered"), 1))
            headers = [(MESSAGE_HEADER, HitAck.kind.encode())]
            return [Output(feed, f"ack:{ack.hit_id}".encode(), record.value, headers)]
        decode_message(kind, record.value)  # an unknown kind says so
        raise QuarantineError(
            f"{kind} does not belong on a national topic", reason="unexpected_message"
        )

    # -- restore ---------------------------------------------------------------------------

    def replay_up(self, country: str, tp: TopicPartition, record: Any, processed: bool) -> None:
        """Fold a record read back at start: every record the node had processed (before its
        committed offset), and after it only the decisions an auto-confirming node wrote."""
        if processed:
            auto, self.auto_confirm = self.auto_confirm, False  # a mode-independent fold
            try:
                self.on_up(country, tp, record, [])
            except QuarantineError:
                pass
            finally:
                self.auto_confirm = auto
            staged = self._staged.pop(tp, None)
            if staged is not None:
                staged.dirty.clear()
                _apply_way_back(self.states[country], staged)
            return
        if message_kind(record.headers) != HitDecision.kind:
            return
        try:
            decision = decode_as(HitDecision, HitDecision.kind, record.value)
        except QuarantineError:
            return
        if decision.decided_by == AUTO_DECIDER and decision.country == country:
            hits = self.states[country].hits
            settled = HitBook.on_decision(hits.get(decision.hit_id), decision)
            if settled is not None:
                hits[decision.hit_id] = settled.kept()

    def awaiting(self, country: str) -> int:
        """Hits of ``country`` waiting for the bureau's decision."""
        return sum(e.status is HitStatus.PENDING for e in self.states[country].hits.values())
