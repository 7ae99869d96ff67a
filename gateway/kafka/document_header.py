"""The ``fl-doc`` header: what a post's travel-document index needs, without the payload.

A national node adds it to every travel-document delivery, so a post bootstrapping millions
of them need not decode each Avro payload (docs/post.md, "Travel documents"). Format 1: the
number, issuing country, document type, status, reported, review and expiry (epoch ms, empty
if none), envelope TLP and version, joined by the unit separator. The header is not signed:
a post that checks signatures decodes the payload (docs/signing.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from gateway.kafka.headers import H

__all__ = ["DOCUMENT_HEADER", "DocumentFields", "document_header", "read_document_header"]

DOCUMENT_HEADER = H.DOC
_SEP = "\x1f"
_FORMAT = "1"


class DocumentFields(NamedTuple):
    """An ``fl-doc`` header's fields, read back."""

    number: str
    issuer: str
    doc_type: str
    status: str
    reported_ms: int | None
    review_ms: int | None
    expires_ms: int | None
    tlp: str
    version: int


def _epoch_ms(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    timestamp = getattr(value, "timestamp", None)
    return str(int(timestamp() * 1000)) if callable(timestamp) else ""


def document_header(record: Mapping[str, Any]) -> bytes | None:
    """The ``fl-doc`` value of a decoded TravelDocumentAlert; None without a subject or
    when a field holds the separator (the post then decodes the payload)."""
    envelope, subject = record["envelope"], record.get("subject")
    if not subject:
        return None
    fields = [
        _FORMAT,
        str(subject.get("document_number") or ""),
        str(subject.get("issuing_country") or ""),
        str(subject.get("document_type") or ""),
        str(subject.get("status") or ""),
        _epoch_ms(subject.get("reported_at")),
        _epoch_ms(subject.get("review_at")),
        _epoch_ms(envelope.get("expires_at")),
        str(envelope.get("tlp") or ""),
        str(int(envelope.get("version") or 1)),
    ]
    if any(_SEP in f for f in fields):
        return None
    return _SEP.join(fields).encode()


def read_document_header(value: bytes) -> DocumentFields | None:
    """The fields of an ``fl-doc`` value; None if of another format or unreadable."""
    try:
        form, number, issuer, doc_type, status, reported, review, expires, tlp, version = (
            value.decode().split(_SEP)
        )
        if form != _FORMAT:
            return None
        return DocumentFields(
            number, issuer, doc_type, status,
            int(reported) if reported else None,
            int(review) if review else None,
            int(expires) if expires else None,
            tlp, int(version),
        )  # fmt: skip
    except (UnicodeDecodeError, ValueError):
        return None
