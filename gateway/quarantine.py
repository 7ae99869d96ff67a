"""Quarantine records: the original bytes, unchanged, with who, where and why in headers.

Any stage that refuses a record (a connector's parse/map/validate, the hub's decode or
anti-spoofing check) writes it here instead of dropping it, so nothing is lost and an
operator can replay it once the cause is fixed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gateway.headers import headers_to_dict

__all__ = ["QuarantineRecord", "Reason"]


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
            ("fl-q-ts", str(self.ts_ms or int(time.time() * 1000)).encode()),
        ]

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
        )
