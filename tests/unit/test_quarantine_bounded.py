"""Quarantine records always fit the broker: oversized ones keep a prefix, the size, a digest."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.kafka.quarantine import (
    MAX_RECORD_BYTES,
    PREFIX_BYTES,
    QuarantineRecord,
    Reason,
    record_size,
)


def _record(original: bytes, reasons: int = 1, message: str = "bad") -> QuarantineRecord:
    return QuarantineRecord(
        org="INTERPOL", stage="decode", component="hub", source="fl.ingress.interpol[0]@7",
        reasons=tuple(Reason("", f"code{i}", message) for i in range(reasons)),
        original=original, ts_ms=1,
    )  # fmt: skip


def test_small_record_is_kept_as_it_is() -> None:
    """A record under the limit is returned unchanged, with no size or digest headers."""
    record = _record(b"junk")
    assert record.bounded() is record
    assert "fl-q-size" not in dict(record.headers())


def test_oversized_record_keeps_prefix_size_digest_and_reasons() -> None:
    """A value just under 1 MiB becomes a too_large record under the limit that reads back."""
    original = b"\x01" * 1_040_000
    bounded = _record(original).bounded()
    assert bounded.size() <= MAX_RECORD_BYTES
    back = QuarantineRecord.from_kafka(bounded.original, bounded.headers())
    assert [r.code for r in back.reasons] == ["too_large", "code0"]
    assert back.original == original[:PREFIX_BYTES]
    assert back.original_size == len(original)
    assert back.original_sha256 == hashlib.sha256(original).hexdigest()


@settings(max_examples=10, deadline=None)
@given(
    size=st.integers(0, 1_200_000),
    reasons=st.integers(1, 3000),
    message=st.text(max_size=400),
)
def test_any_quarantine_record_is_bounded(size: int, reasons: int, message: str) -> None:
    """Whatever the original's size and however many reasons, the bounded record fits."""
    bounded = _record(b"\xff" * size, reasons, message).bounded()
    assert record_size(bounded.key(), bounded.original, bounded.headers()) <= MAX_RECORD_BYTES
    assert bounded.reasons
