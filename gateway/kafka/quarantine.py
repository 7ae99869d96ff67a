"""Quarantine records: the original bytes, unchanged, with who, where and why in headers.

Any stage that refuses a record (a connector's parse/map/validate, the hub's decode or
anti-spoofing check) writes it here instead of dropping it, so nothing is lost and an
operator can replay it once the cause is fixed.

A refused record can be too large to quarantine as it is (its bytes plus the headers would
exceed what the broker accepts in one record). :meth:`QuarantineRecord.bounded` then keeps
the first :data:`PREFIX_BYTES` of the original, its size (``fl-q-size``) and SHA-256
(``fl-q-sha256``), with reason ``too_large`` first: the record is still accounted for,
though it cannot be replayed from the quarantine.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gateway.kafka.clock import now_ms
from gateway.kafka.headers import headers_to_dict

__all__ = [
    "MAX_RECORD_BYTES",
    "PREFIX_BYTES",
    "Q_SHA256",
    "Q_SIZE",
    "QuarantineRecord",
    "Reason",
    "record_size",
]

# The broker's default max.message.bytes is 1,048,588 per batch; a quarantine record is
# kept well under it (room for the batch overhead and headers added on the way).
MAX_RECORD_BYTES = 1_000_000
PREFIX_BYTES = 64 * 1024  # what a too_large quarantine record keeps of the original
Q_SIZE = "fl-q-size"  # header of a too_large record: the original's size in bytes
Q_SHA256 = "fl-q-sha256"  # header of a too_large record: the original's SHA-256, hex
_MAX_REASONS = 20  # reasons kept in a bounded record (a pathological input can have many)
_MAX_TEXT = 1024  # characters kept of a bounded record's source and each reason message


def record_size(
    key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes]]
) -> int:
    """Bytes of one Kafka record with this key, value and headers (an upper bound)."""
    size = 32 + len(key or b"") + len(value or b"")  # varints, attributes, deltas
    for name, data in headers:
        size += 10 + len(name.encode()) + len(data or b"")
    return size


@dataclass(frozen=True)
class Reason:
    """One machine-readable reason: a field path (or ``""``), a code, and a human message."""

    path: str
    code: str
    message: str


@dataclass(frozen=True)
class QuarantineRecord:
    """A refused record: value = original bytes; metadata in headers."""

    org: str
    stage: str  # split | parse | map | validate | encode | decode | spoof | ...
    component: str  # connector | hub | node
    source: str  # file name, "stdin", "http", or the topic-partition@offset it came from
    reasons: tuple[Reason, ...]
    original: bytes
    ts_ms: int = 0
    original_size: int | None = None  # set when ``original`` is only a prefix (too_large)
    original_sha256: str | None = None  # hex SHA-256 of the whole original, likewise

    def key(self) -> bytes:
        """Key by organization and source so replays keep order per source."""
        return f"{self.org}:{self.source}".encode()

    def headers(self) -> list[tuple[str, bytes]]:
        """Kafka headers for the record."""
        reasons = [{"path": r.path, "code": r.code, "message": r.message} for r in self.reasons]
        return [
            ("fl-q-org", self.org.encode()),
            ("fl-q-stage", self.stage.encode()),
            ("fl-q-component", self.component.encode()),
            ("fl-q-source", self.source.encode()),
            ("fl-q-reasons", json.dumps(reasons, ensure_ascii=False).encode()),
            ("fl-q-ts", str(self.ts_ms or now_ms()).encode()),
            *(
                [(Q_SIZE, str(self.original_size).encode())]
                if self.original_size is not None
                else []
            ),
            *([(Q_SHA256, self.original_sha256.encode())] if self.original_sha256 else []),
        ]

    def size(self) -> int:
        """Bytes of the Kafka record this quarantine record makes."""
        return record_size(self.key(), self.original, self.headers())

    def bounded(self, limit: int = MAX_RECORD_BYTES) -> QuarantineRecord:
        """This record if it fits in ``limit`` bytes, else a ``too_large`` one that does.

        The bounded record keeps the first :data:`PREFIX_BYTES` of the original, its size and
        SHA-256, the first reasons (``too_large`` first) and a shortened source.
        """
        if self.size() <= limit:
            return self
        original = self.original
        digest = hashlib.sha256(original).hexdigest()
        kept = min(len(original), PREFIX_BYTES)
        reason = Reason(
            "", "too_large",
            f"{len(original)} bytes (with reasons and headers over {limit}); the value keeps "
            f"the first {kept} bytes, sha256 {digest}",
        )  # fmt: skip
        others = tuple(
            Reason(r.path[:_MAX_TEXT], r.code[:_MAX_TEXT], r.message[:_MAX_TEXT])
            for r in self.reasons[:_MAX_REASONS]
            if r.code != "too_large"
        )
        return QuarantineRecord(
            org=self.org[:_MAX_TEXT], stage=self.stage[:_MAX_TEXT],
            component=self.component[:_MAX_TEXT], source=self.source[:_MAX_TEXT],
            reasons=(reason, *others), original=original[:kept], ts_ms=self.ts_ms,
            original_size=len(original) if self.original_size is None else self.original_size,
            original_sha256=self.original_sha256 or digest,
        )  # fmt: skip

    @classmethod
    def from_kafka(
        cls, value: bytes | None, headers: Iterable[tuple[str, bytes]] | None
    ) -> QuarantineRecord:
        """Rebuild a record read back from the quarantine topic."""
        h = headers_to_dict(headers)
        raw: Sequence[dict[str, str]] = json.loads(h.get("fl-q-reasons", "[]"))
        return cls(
            org=h.get("fl-q-org", ""),
            stage=h.get("fl-q-stage", ""),
            component=h.get("fl-q-component", ""),
            source=h.get("fl-q-source", ""),
            reasons=tuple(Reason(r["path"], r["code"], r["message"]) for r in raw),
            original=value or b"",
            ts_ms=int(h.get("fl-q-ts", "0") or 0),
            original_size=int(h[Q_SIZE]) if h.get(Q_SIZE, "").isdigit() else None,
            original_sha256=h.get(Q_SHA256) or None,
        )
