"""The way back through the hub: confirmed hits, acknowledgements and flags (docs/twoway.md).

Pure decisions, like :mod:`gateway.hub.route`: a record and the stores in, a :class:`Reply`
out, which :class:`gateway.hub.service.HubProcessor` writes in the input partition's
transaction. A confirmed ``hit`` read from ``<prefix>hub.inbox`` goes to the issuing
organization's ``outbound`` topic and the originating country's national topic, and to nobody
else; a ``hit-ack`` read from the organization's own ingress topic goes to the reporting
country's national topic; a ``flag`` goes to the issuing organization. What the hub must
remember (a hit forwarded, an acknowledgement, a country's receipt summary) lives in a
:class:`SideStore` written to the hub's state changelog under keys ``hit:<id>``, ``ack:<id>``
and ``rcpt:<alert>|<country>`` (alert ids start with an upper-case organization code, so
these keys never meet an alert's).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson

from gateway.contract.enums import Tlp
from gateway.contract.messages import (
    MESSAGE_HEADER,
    Flag,
    HitAck,
    HitOutcome,
    HitReport,
    Message,
    decode_as,
    encode_message,
)
from gateway.errors import QuarantineError
from gateway.hub.audit import Action, audit_record
from gateway.hub.state import AlertState, Owner, StateStore, owner_headers
from gateway.kafka.eos import Output
from gateway.kafka.headers import H, RouteHeaders
from gateway.kafka.quarantine import QuarantineRecord, Reason
from gateway.kafka.topic_names import TopicNames

__all__ = [
    "POST_HEADER",
    "SIDE_PREFIXES",
    "Msg",
    "Reply",
    "SideStore",
    "ack_key",
    "forward_ack",
    "forward_flag",
    "forward_hit",
    "hit_key",
    "quarantine_message",
]

POST_HEADER = "fl-post"
"""Header of a forwarded acknowledgement: the post that reported the hit."""
SIDE_PREFIXES = ("hit:", "ack:", "rcpt:")
"""Changelog keys of the :class:`SideStore` (everything else is an alert's entry)."""
_TLP_RANK = {"CLEAR": 0, "GREEN": 1, "AMBER": 2, "AMBER_STRICT": 3, "RED": 4}


def hit_key(hit_id: str) -> str:
    """The side store's key of a forwarded hit."""
    return f"hit:{hit_id}"


def ack_key(hit_id: str) -> str:
    """The side store's key of a hit's acknowledgement."""
    return f"ack:{hit_id}"


@dataclass(frozen=True, slots=True)
class Msg:
    """One way-back record as the hub reads it."""

    topic_org: str  # the ingress topic's organization ("" on the hub inbox)
    owner: Owner
    offset: int
    kind: str | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]] = ()
    timestamp_ms: int = 0

    @property
    def source(self) -> str:
        """``topic[partition]@offset``: how a record is named when nothing in it is trusted."""
        return f"{self.owner[0]}[{self.owner[1]}]@{self.offset}"


@dataclass(slots=True)
class Reply:
    """What one way-back record produces, written in one transaction (audit last)."""

    alert_id: str | None
    audits: list[bytes]
    records: list[Output] = field(default_factory=list)
    state: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    quarantine: QuarantineRecord | None = None
    reason: str | None = None  # quarantine reason, for metrics
    org: str = ""
    hit: tuple[str, str] | None = None  # (organization, outcome) of a hit forwarded
    ack_seconds: float | None = None  # report to acknowledgement, of a first acknowledgement


def _packed(value: dict[str, Any]) -> bytes:
    # A copy: what orjson.dumps returns keeps the 4 KB buffer it was written into (4,104
    # bytes held for an 18-byte document), about 210 MB for a soak's 52,000 receipts.
    return bytes(memoryview(orjson.dumps(value)))


def _parsed(packed: bytes) -> dict[str, Any]:
    parsed: dict[str, Any] = orjson.loads(packed)
    return parsed


class SideStore:
    """JSON entries the way back needs, staged per input partition like the alert state.

    Entries carry no sequence number: the last record read wins. That is safe because each
    key is written from one input partition only (``hit:`` from the hub inbox, keyed by hit
    id; ``ack:`` from its organization's ingress topic; ``rcpt:`` from the inbox), so one
    key's records sit in commit order in one changelog partition. A new kind of entry must
    keep that rule, or carry a ``seq`` checked in :meth:`restore` as the alert state does.

    Committed entries are kept as their JSON (one ``bytes`` each, as the changelog holds
    them) and parsed when read: the receipts alone are an entry per alert and country,
    replaced at every version, and a dict with its values is a handful of small objects that
    stay behind in the allocator's pools (docs/benchmarks.md, Soak). Readers get a copy.
    """

    def __init__(self, changelog_topic: str) -> None:
        self.changelog_topic = changelog_topic
        self._entries: dict[str, bytes] = {}
        self._staged: dict[Owner, dict[str, dict[str, Any]]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, owner: Owner, key: str) -> dict[str, Any] | None:
        """The entry as ``owner``'s open transaction sees it."""
        staged = self._staged.get(owner)
        if staged is not None and key in staged:
            return staged[key]
        return self.committed(key)

    def committed(self, key: str) -> dict[str, Any] | None:
        """The committed entry, whoever wrote it."""
        packed = self._entries.get(key)
        return None if packed is None else _parsed(packed)

    def stage(self, owner: Owner, key: str, value: dict[str, Any]) -> Output:
        """Stage an entry for ``owner``'s transaction; returns its changelog record."""
        self._staged.setdefault(owner, {})[key] = value
        return Output(self.changelog_topic, key.encode(), orjson.dumps(value), owner_headers(owner))

    def commit(self, owner: Owner) -> None:
        """``owner``'s transaction committed: its staged entries become committed."""
        staged = self._staged.pop(owner, {})
        self._entries.update((key, _packed(value)) for key, value in staged.items())

    def abort(self, owner: Owner) -> None:
        """``owner``'s transaction aborted: forget what it staged."""
        self._staged.pop(owner, None)

    def restore(self, key: bytes, value: bytes | None) -> bool:
        """Apply a changelog record of a side key (False for any other key or a bad value)."""
        text = key.decode("utf-8", "replace")
        if not text.startswith(SIDE_PREFIXES):
            return False
        if value is None:
            self._entries.pop(text, None)
            return True
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            return True
        if isinstance(parsed, dict):
            self._entries[text] = bytes(value)
        return True

    def items(self, prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Committed entries whose key starts with ``prefix``."""
        return iter([(k, _parsed(v)) for k, v in self._entries.items() if k.startswith(prefix)])

    def awaiting(self) -> int:
        """Hits forwarded and not acknowledged yet."""
        keys = self._entries
        return sum(1 for k in keys if k.startswith("hit:") and f"ack:{k[4:]}" not in keys)


def quarantine_message(
    msg: Msg, reason: str, detail: str, now_ms: int, hub: str, *, org: str = "",
    alert_id: str | None = None, stage: str = "message",
) -> Reply:  # fmt: skip
    """Quarantine a way-back record and audit it (under the alert when one is named)."""
    record = QuarantineRecord(
        org=org or msg.topic_org, stage=stage, component="hub", source=msg.source,
        reasons=(Reason("", reason, detail),), original=msg.value or b"", ts_ms=now_ms,
    )  # fmt: skip
    audit = audit_record(
        alert_id=alert_id or msg.source, version=0, org=org or msg.topic_org,
        kind=msg.kind or "UNKNOWN", action=Action.QUARANTINED, ts_ms=now_ms, hub=hub,
        reason=reason, stage=stage, source=msg.source,
    )  # fmt: skip
    return Reply(
        alert_id=alert_id, audits=[audit], quarantine=record, reason=reason,
        org=org or msg.topic_org,
    )  # fmt: skip


M = TypeVar("M", bound=Message)


def _decode(model: type[M], msg: Msg, now_ms: int, hub: str) -> M | Reply:
    try:
        return decode_as(model, msg.kind, msg.value)
    except QuarantineError as error:
        return quarantine_message(msg, error.quarantine_reason, error.message, now_ms, hub)


def _ms(moment: Any) -> int:
    return int(moment.timestamp() * 1000)


def _headers(kind: str, values: Sequence[tuple[str, str | int]]) -> list[tuple[str, bytes]]:
    """The ``fl-msg`` header naming ``kind``, then ``values``."""
    return [(MESSAGE_HEADER, kind.encode()), *((k, str(v).encode()) for k, v in values)]


def _alert_of(
    msg: Msg, alert_id: str, alerts: StateStore, *, now_ms: int, hub: str, org: str = ""
) -> AlertState | Reply:
    """The hub's committed entry of ``alert_id``, or the quarantine of a message naming an
    alert the hub never routed (or one routed before the hub kept originating countries)."""
    entry = alerts.committed(alert_id)
    if entry is None:
        return quarantine_message(
            msg, "unknown_alert", "the hub never routed this alert", now_ms, hub, org=org,
            alert_id=alert_id,
        )  # fmt: skip
    if not entry.origin:
        return quarantine_message(
            msg, "unknown_origin", "the hub does not know this alert's originating country",
            now_ms, hub, org=org, alert_id=alert_id,
        )  # fmt: skip
    return entry


def _hit_audit(
    action: Action, ts_ms: int, alert: AlertState, hit: HitReport, hub: str, **extra: Any
) -> bytes:
    """An audit record of a hit, keyed (by the writer) by its alert id; ids and codes only."""
    return audit_record(
        alert_id=hit.alert_id, version=hit.alert_version, org=alert.org, kind=alert.kind,
        action=action, ts_ms=ts_ms, hub=hub,
        policy_version=alert.policy_version, hit_id=hit.hit_id, country=hit.country,
        post_id=hit.post_id, outcome=hit.outcome.value, tlp=hit.tlp.value, **extra,
    )  # fmt: skip


def _refused(
    msg: Msg, hit: HitReport, alert: AlertState, *, countries: frozenset[str], now_ms: int,
    hub: str,
) -> Reply | None:  # fmt: skip
    """The quarantine of a hit the hub must not forward, or None."""
    if hit.org != alert.org:
        return quarantine_message(
            msg, "org_mismatch", f"hit names {hit.org}, the alert is {alert.org}'s", now_ms, hub,
            org=hit.org, alert_id=hit.alert_id,
        )  # fmt: skip
    if hit.country not in countries:
        return quarantine_message(
            msg, "unknown_country", f"no national node for {hit.country}", now_ms, hub,
            org=hit.org, alert_id=hit.alert_id,
        )  # fmt: skip
    if hit.outcome is HitOutcome.FALSE_MATCH:
        return quarantine_message(
            msg, "false_match", "a FALSE_MATCH stays in the reporting country", now_ms, hub,
            org=hit.org, alert_id=hit.alert_id,
        )  # fmt: skip
    return None


def forward_hit(
    msg: Msg, alerts: StateStore, side: SideStore, *, names: TopicNames, now_ms: int, hub: str,
    countries: frozenset[str],
) -> Reply:  # fmt: skip
    """A confirmed hit to the issuing organization and the originating country, once.

    Refused (quarantined): a hit on an alert the hub does not know, one whose organization is
    not the alert's, one from a country without a national node (its acknowledgement could
    not return) and a FALSE_MATCH (it stays in the reporting country). An originating country
    without a national node (``countries``) gets nothing; the organization still does. The
    forwarded hit carries the stricter of its own TLP and the alert's.
    """
    hit = _decode(HitReport, msg, now_ms, hub)
    if isinstance(hit, Reply):
        return hit
    found = _alert_of(msg, hit.alert_id, alerts, now_ms=now_ms, hub=hub, org=hit.org)
    if isinstance(found, Reply):
        return found
    alert = found
    refused = _refused(msg, hit, alert, countries=countries, now_ms=now_ms, hub=hub)
    if refused is not None:
        return refused
    key = hit_key(hit.hit_id)
    if side.get(msg.owner, key) is not None:
        audit = _hit_audit(Action.HIT_DUPLICATE, now_ms, alert, hit, hub)
        return Reply(alert_id=hit.alert_id, audits=[audit], org=alert.org)
    if alert.live_tlp and _TLP_RANK.get(alert.live_tlp, 4) > _TLP_RANK[hit.tlp.value]:
        hit = hit.model_copy(update={"tlp": Tlp(alert.live_tlp)})
    value, _ = encode_message(hit)
    headers = _headers("hit", [(H.ORG, alert.org), (H.TLP, hit.tlp.value), (H.TS_HUB, now_ms)])
    record_key = key.encode()
    outbound = names.outbound(alert.org)
    records = [Output(outbound, record_key, value, headers)]
    if alert.origin in countries:
        records.append(Output(names.ncb(alert.origin), record_key, value, headers))
    reported_ms = _ms(hit.reported_at)
    confirmed_ms = RouteHeaders.from_kafka(msg.headers).ts_node or msg.timestamp_ms or now_ms
    audits = [
        _hit_audit(Action.HIT_REPORTED, reported_ms, alert, hit, hub),
        _hit_audit(Action.HIT_CONFIRMED, confirmed_ms, alert, hit, hub),
        _hit_audit(
            Action.HIT_FORWARDED,
            now_ms,
            alert,
            hit,
            hub,
            outbound=outbound,
            recipients=[r.topic.rsplit(".", 1)[-1] for r in records[1:]],
        ),
    ]
    entry = {
        "hit_id": hit.hit_id, "alert_id": hit.alert_id, "version": hit.alert_version,
        "org": alert.org, "country": hit.country, "post_id": hit.post_id,
        "issuer": alert.origin, "outcome": hit.outcome.value, "reported": reported_ms,
        "forwarded": now_ms,
    }  # fmt: skip
    return Reply(
        alert_id=hit.alert_id, audits=audits, records=records, state=[(key, entry)],
        org=alert.org, hit=(alert.org, hit.outcome.value),
    )  # fmt: skip


def forward_ack(msg: Msg, side: SideStore, *, names: TopicNames, now_ms: int, hub: str) -> Reply:
    """An organization's acknowledgement, from its own ingress topic, to the reporting country.

    Anti-spoofing: the acknowledging organization must be the ingress topic's and the hit's
    alert's (``ack_org_mismatch``, stage ``spoof``); the hit must have been forwarded
    (``unknown_hit``) and the acknowledgement must name its alert (``alert_mismatch``).
    """
    ack = _decode(HitAck, msg, now_ms, hub)
    if isinstance(ack, Reply):
        return ack
    if ack.org != msg.topic_org:
        return quarantine_message(
            msg, "ack_org_mismatch", f"{ack.org} acknowledged on {msg.topic_org}'s ingress topic",
            now_ms, hub, org=msg.topic_org, alert_id=ack.alert_id, stage="spoof",
        )  # fmt: skip
    hit = side.committed(hit_key(ack.hit_id))
    if hit is None:
        return quarantine_message(
            msg, "unknown_hit", "the hub never forwarded this hit", now_ms, hub,
            org=msg.topic_org, alert_id=ack.alert_id,
        )  # fmt: skip
    if hit["org"] != ack.org:
        return quarantine_message(
            msg, "ack_org_mismatch", f"{ack.org} acknowledged a hit on {hit['org']}'s alert",
            now_ms, hub, org=msg.topic_org, alert_id=hit["alert_id"], stage="spoof",
        )  # fmt: skip
    if hit["alert_id"] != ack.alert_id:
        return quarantine_message(
            msg, "alert_mismatch", "the acknowledgement names another alert than the hit",
            now_ms, hub, org=msg.topic_org, alert_id=hit["alert_id"],
        )  # fmt: skip
    value, _ = encode_message(ack)
    country = str(hit["country"])
    headers = _headers(
        "hit-ack", [(H.ORG, ack.org), (H.TS_HUB, now_ms), (POST_HEADER, str(hit["post_id"]))]
    )
    key = ack_key(ack.hit_id)
    first = side.get(msg.owner, key) is None
    waited_ms = max(0, now_ms - int(hit["reported"]))
    audit = audit_record(
        alert_id=ack.alert_id, version=int(hit["version"]), org=ack.org, kind="", hub=hub,
        action=Action.HIT_ACKNOWLEDGED, ts_ms=now_ms, recipients=[country], hit_id=ack.hit_id,
        country=country, post_id=hit["post_id"], acked_by=ack.acked_by, waited_ms=waited_ms,
    )  # fmt: skip
    entry = {"hit_id": ack.hit_id, "alert_id": ack.alert_id, "org": ack.org, "at": now_ms}
    return Reply(
        alert_id=ack.alert_id, audits=[audit], org=ack.org,
        records=[Output(names.ncb(country), key.encode(), value, headers)],
        state=[(key, entry)], ack_seconds=waited_ms / 1000 if first else None,
    )  # fmt: skip


def forward_flag(msg: Msg, alerts: StateStore, names: TopicNames, now_ms: int, hub: str) -> Reply:
    """A receiving country's flag (or its lifting) to the issuing organization, audited."""
    flag = _decode(Flag, msg, now_ms, hub)
    if isinstance(flag, Reply):
        return flag
    alert = alerts.committed(flag.alert_id)
    if alert is None:
        return quarantine_message(
            msg, "unknown_alert", "the hub never routed this alert", now_ms, hub,
            alert_id=flag.alert_id,
        )  # fmt: skip
    value, _ = encode_message(flag)
    headers = _headers("flag", [(H.ORG, alert.org), (H.TS_HUB, now_ms)])
    key = f"flag:{flag.alert_id}:{flag.country}".encode()
    audit = audit_record(
        alert_id=flag.alert_id, version=alert.live_version or alert.version, org=alert.org,
        kind=alert.kind, hub=hub, action=Action.FLAGGED if flag.flagged else Action.UNFLAGGED,
        ts_ms=now_ms, recipients=[], country=flag.country, flag_action=flag.action.value,
        flagged_by=flag.by, policy_version=alert.policy_version,
    )  # fmt: skip
    return Reply(
        alert_id=flag.alert_id, audits=[audit], org=alert.org,
        records=[Output(names.outbound(alert.org), key, value, headers)],
    )  # fmt: skip
