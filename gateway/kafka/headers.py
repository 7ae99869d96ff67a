"""Kafka record headers that carry routing attributes and per-hop timestamps.

The payload of a delivered alert is never re-encoded; everything the hub, the national
nodes and the posts add travels in these headers. Timestamps are epoch milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

from gateway.contract.trust.signing import SIG_HEADERS, SigHeaders

__all__ = [
    "FLAG_HEADERS",
    "SIG_HEADERS",
    "H",
    "RouteHeaders",
    "headers_to_dict",
    "signature_headers",
]

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
    DOC = "fl-doc"  # a travel document's index fields, added by the node (document_header.py)
    # The originator's signature (docs/signing.md): defined in gateway.contract.trust, which
    # connectors import and which sits below this package, and carried in ``RouteHeaders.extra``
    # so the hub and the nodes forward them unchanged.
    SIG_KEY = SigHeaders.KEY
    SIG = SigHeaders.SIG
    SIG_TS = SigHeaders.TS
    # A receiving country's flag on an alert delivered to its posts (docs/twoway.md): the
    # flagging country, the action that applies on its territory instead, and why.
    FLAG_COUNTRY = "fl-flag-country"
    FLAG_ACTION = "fl-flag-action"
    FLAG_REASON = "fl-flag-reason"


FLAG_HEADERS = frozenset({H.FLAG_COUNTRY, H.FLAG_ACTION, H.FLAG_REASON})
"""The flag headers a national node adds to a flagged alert on its posts' feeds."""


def headers_to_dict(headers: Iterable[tuple[str, bytes]] | None) -> dict[str, str]:
    """Kafka headers as a str -> str mapping (last value wins)."""
    return {k: v.decode("utf-8", "replace") for k, v in (headers or ())}


_EMPTY_EXTRA: Mapping[str, str] = MappingProxyType({})


def signature_headers(extra: Mapping[str, str]) -> Mapping[str, str]:
    """The signature headers among a record's ``RouteHeaders.extra`` (to copy downstream)."""
    if not extra:
        return _EMPTY_EXTRA
    return {k: v for k, v in extra.items() if k in SIG_HEADERS}


class RouteHeaders(NamedTuple):
    """The routing attributes a delivered alert (or tombstone) carries downstream.

    The one type that reads and writes them: the hub writes it, the national node and the
    posts read it. A NamedTuple, not a dataclass: every record of the hot paths makes one.
    """

    kind: str = ""
    org: str = ""
    tlp: str = ""
    status: str = ""
    msg_type: str = ""
    version: int = 0
    policy_version: str = ""
    linked: tuple[str, ...] = ()
    reason: str | None = None
    ts_issued: int | None = None
    ts_ingest: int | None = None
    ts_connector: int | None = None
    ts_hub: int | None = None
    ts_node: int | None = None
    extra: Mapping[str, str] = _EMPTY_EXTRA

    def to_kafka(self) -> list[tuple[str, bytes]]:
        """Encode as Kafka headers, leaving out empty values (``""`` and None)."""
        pairs: list[tuple[str, str | int | None]] = [
            (H.KIND, self.kind),
            (H.ORG, self.org),
            (H.TLP, self.tlp),
            (H.STATUS, self.status),
            (H.MSG_TYPE, self.msg_type),
            (H.VERSION, self.version),
            (H.POLICY_VERSION, self.policy_version),
            (H.LINKED, ",".join(self.linked)),
            (H.REASON, self.reason),
            (H.TS_ISSUED, self.ts_issued),
            (H.TS_INGEST, self.ts_ingest),
            (H.TS_CONNECTOR, self.ts_connector),
            (H.TS_HUB, self.ts_hub),
            (H.TS_NODE, self.ts_node),
            *self.extra.items(),
        ]
        return [(k, str(v).encode()) for k, v in pairs if v is not None and v != ""]

    @classmethod
    def from_kafka(cls, headers: Iterable[tuple[str, bytes]] | None) -> RouteHeaders:
        """Decode Kafka headers in one pass; missing or malformed fields get neutral defaults."""
        values: dict[str, Any] = {}
        extra: dict[str, str] | None = None
        for key, raw in headers or ():
            name = _TEXT.get(key)
            if name is not None:
                values[name] = raw.decode("utf-8", "replace")
                continue
            name = _NUMBER.get(key)
            if name is not None:
                try:
                    values[name] = int(raw)
                except ValueError:
                    values.pop(name, None)  # malformed counts as missing (last value wins)
            elif key == H.LINKED:
                values["linked"] = tuple(x for x in raw.decode("utf-8", "replace").split(",") if x)
            else:
                if extra is None:
                    extra = {}
                extra[key] = raw.decode("utf-8", "replace")
        if extra is not None:
            values["extra"] = extra
        return cls(**values)


_TEXT = {
    H.KIND: "kind", H.ORG: "org", H.TLP: "tlp", H.STATUS: "status", H.MSG_TYPE: "msg_type",
    H.POLICY_VERSION: "policy_version", H.REASON: "reason",
}  # fmt: skip
_NUMBER = {
    H.VERSION: "version", H.TS_ISSUED: "ts_issued", H.TS_INGEST: "ts_ingest",
    H.TS_CONNECTOR: "ts_connector", H.TS_HUB: "ts_hub", H.TS_NODE: "ts_node",
}  # fmt: skip
