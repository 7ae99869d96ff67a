"""Kafka record headers that carry routing attributes and per-hop timestamps.

The payload of a delivered alert is never re-encoded; everything the hub, the national
nodes and the posts add travels in these headers. Timestamps are epoch milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["H", "RouteHeaders", "headers_to_dict"]

KafkaHeaders = Sequence[tuple[str, bytes]]


class H:
    """Header names, one place."""

    KIND = "fl-kind"
    ORG = "fl-org"
    TLP = "fl-tlp"
    STATUS = "fl-status"
    MSG_TYPE = "fl-msg-type"
    VERSION = "fl-version"
    POLICY_VERSION = "fl-policy-version"
    LINKED = "fl-linked"
    REASON = "fl-reason"  # why a tombstone was sent: CANCELLED, EXPIRED, NARROWED ...
    TS_ISSUED = "fl-ts-issued"  # the envelope's issued_at (may be years ago for an old notice)
    TS_INGEST = "fl-ts-ingest"  # when the organization's export reached its connector
    TS_CONNECTOR = "fl-ts-connector"
    TS_HUB = "fl-ts-hub"
    TS_NODE = "fl-ts-node"


def headers_to_dict(headers: Iterable[tuple[str, bytes]] | None) -> dict[str, str]:
    """Kafka headers as a str -> str mapping (last value wins)."""
    return {k: v.decode("utf-8", "replace") for k, v in (headers or ())}


def _int(values: Mapping[str, str], key: str) -> int | None:
    raw = values.get(key)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


@dataclass(frozen=True)
class RouteHeaders:
    """The routing attributes a delivered alert (or tombstone) carries downstream."""

    kind: str
    org: str
    tlp: str
    status: str
    msg_type: str
    version: int
    policy_version: str = ""
    linked: tuple[str, ...] = ()
    reason: str | None = None
    ts_issued: int | None = None
    ts_ingest: int | None = None
    ts_connector: int | None = None
    ts_hub: int | None = None
    ts_node: int | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def to_kafka(self) -> list[tuple[str, bytes]]:
        """Encode as Kafka headers, leaving out empty values."""
        pairs: list[tuple[str, str | int | None]] = [
            (H.KIND, self.kind),
            (H.ORG, self.org),
            (H.TLP, self.tlp),
            (H.STATUS, self.status),
            (H.MSG_TYPE, self.msg_type),
            (H.VERSION, self.version),
            (H.POLICY_VERSION, self.policy_version or None),
            (H.LINKED, ",".join(self.linked) or None),
            (H.REASON, self.reason),
            (H.TS_ISSUED, self.ts_issued),
            (H.TS_INGEST, self.ts_ingest),
            (H.TS_CONNECTOR, self.ts_connector),
            (H.TS_HUB, self.ts_hub),
            (H.TS_NODE, self.ts_node),
            *self.extra.items(),
        ]
        return [(k, str(v).encode()) for k, v in pairs if v is not None]

    @classmethod
    def from_kafka(cls, headers: Iterable[tuple[str, bytes]] | None) -> RouteHeaders:
        """Decode Kafka headers; missing fields get neutral defaults."""
        values = headers_to_dict(headers)
        known = {
            H.KIND, H.ORG, H.TLP, H.STATUS, H.MSG_TYPE, H.VERSION, H.POLICY_VERSION,
            H.LINKED, H.REASON, H.TS_ISSUED, H.TS_INGEST, H.TS_CONNECTOR, H.TS_HUB, H.TS_NODE,
        }  # fmt: skip
        linked = values.get(H.LINKED, "")
        return cls(
            kind=values.get(H.KIND, ""),
            org=values.get(H.ORG, ""),
            tlp=values.get(H.TLP, ""),
            status=values.get(H.STATUS, ""),
            msg_type=values.get(H.MSG_TYPE, ""),
            version=_int(values, H.VERSION) or 0,
            policy_version=values.get(H.POLICY_VERSION, ""),
            linked=tuple(x for x in linked.split(",") if x),
            reason=values.get(H.REASON),
            ts_issued=_int(values, H.TS_ISSUED),
            ts_ingest=_int(values, H.TS_INGEST),
            ts_connector=_int(values, H.TS_CONNECTOR),
            ts_hub=_int(values, H.TS_HUB),
            ts_node=_int(values, H.TS_NODE),
            extra={k: v for k, v in values.items() if k not in known},
        )
