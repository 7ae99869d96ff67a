"""INTERPOL SLTD export: stolen and lost travel documents, one JSON object per document.

INTERPOL's Stolen and Lost Travel Documents database (SLTD) holds, per document, its number,
the issuing state's ICAO code, the document type, its status and when it was reported. The
export INTERPOL feeds Frontline is JSON: an object ``{"sltd_export": {...}, "documents":
[...]}`` (the header names the export; ``documents`` holds the records), or a JSON array of
records, or one record. A record is an object with ``sltd_id``; :class:`InterpolConnector`
reads these alongside its notices (a notice has ``entity_id``), in the same payload too.

Fields of a record (docs/connectors/interpol.md lists them with examples):

- ``sltd_id`` (required): INTERPOL's record id, e.g. ``DEU-2025-0042117``; the alert id is
  ``INTERPOL:SLTD-<sltd_id>``.
- ``document_number`` (required): as printed, kept as is (lookups normalize it).
- ``issuing_state`` (required): ICAO 9303 code (``D``, ``GBN``, ``RKS``) or ISO alpha-2/3.
- ``document_type`` (required): ICAO 9303 document code (``P``, ``PD``, ``I``, ``ID``,
  ``V``, ``IR``) or ``PASSPORT``, ``ID_CARD``, ``VISA``, ``RESIDENCE_PERMIT``,
  ``TRAVEL_DOCUMENT``, ``OTHER``.
- ``status`` (required): ``STOLEN_BLANK`` (also ``STOLEN BLANK``), ``STOLEN``, ``LOST``,
  ``REVOKED``, ``INVALIDATED`` (also ``INVALID``).
- ``reported_on`` (required): when the loss or theft was reported, ``YYYY-MM-DD`` (taken as
  the start of that day, UTC) or an ISO 8601 instant.
- ``review_on``: the issuer's review date, same forms.
- ``reporting_ncb``: the reporting National Central Bureau's country (ICAO or ISO code),
  the alert's originating country; the issuing state when absent.
- ``created_at``, ``updated_at``: ISO 8601 instants; the version is
  :func:`~connectors.base.stamp_version` of ``updated_at`` (else ``created_at``, else 1).
- ``state``: ``active`` (default) or ``withdrawn`` (the document was recovered or the
  record deleted: a CANCEL, which needs an ``updated_at`` later than ``created_at``).
- ``tlp`` (default GREEN: SLTD is searched by every member country at the border),
  ``release_to_countries`` and ``deny_countries`` (ISO alpha-2 or alpha-3 codes),
  ``expires_at`` (an ISO 8601 instant).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from connectors.base import stamp_version
from connectors.formats.documents import document_type, issuing_state, status_of
from connectors.formats.fields import Fields, country3, parse_instant, parse_tlp
from gateway.contract import (
    DocumentReport,
    DocumentStatus,
    Envelope,
    HandlingCode,
    InformationAccuracy,
    MsgType,
    Org,
    Reference,
    SourceReliability,
    Status,
    Tlp,
    TravelDocumentAlert,
)

__all__ = [
    "LEGAL_BASIS", "STATUS_WORDS", "is_sltd_record", "sltd_alert", "sltd_records",
    "stamped_envelope",
]  # fmt: skip

LEGAL_BASIS = "INTERPOL Rules on the Processing of Data, Art. 10 and 27 (SLTD database)"
STATUS_WORDS: dict[str, DocumentStatus] = {
    "STOLEN_BLANK": DocumentStatus.STOLEN_BLANK,
    "STOLEN": DocumentStatus.STOLEN,
    "LOST": DocumentStatus.LOST,
    "REVOKED": DocumentStatus.REVOKED,
    "INVALIDATED": DocumentStatus.INVALIDATED,
    "INVALID": DocumentStatus.INVALIDATED,
}
_SLTD_ID = re.compile(r"^[A-Z0-9][A-Z0-9\-/]{2,39}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def is_sltd_record(value: Any) -> bool:
    """An object that is an SLTD record (it has ``sltd_id``), not a notice."""
    return isinstance(value, dict) and "sltd_id" in value


def sltd_records(doc: Any) -> list[Any] | None:
    """The records of an SLTD export object ``{"sltd_export": ..., "documents": [...]}``."""
    if isinstance(doc, dict) and "sltd_export" in doc:
        found = doc.get("documents")
        return found if isinstance(found, list) else None
    return None


def _moment(f: Fields, key: str) -> datetime | None:
    """``YYYY-MM-DD`` (start of that day, UTC) or an ISO 8601 instant."""
    text = f.text(key)
    if text is None:
        return None
    if _DAY.match(text):
        try:
            return datetime.fromisoformat(text).replace(tzinfo=UTC)
        except ValueError:
            raise f.fail(key, "bad_date", "not a calendar day (YYYY-MM-DD)") from None
    return parse_instant(text, f.path(key))


def stamped_envelope(
    f: Fields,
    alert_id: str,
    *,
    first: str,
    states: tuple[str, str],
    cancel_rule: str,
    cancel_needs_first: bool,
    origin: Callable[[], str],
    origin_first: bool,
    handling: Callable[[], HandlingCode],
    grading: tuple[SourceReliability, InformationAccuracy],
    legal_basis: str,
) -> Envelope:
    """The envelope of an INTERPOL record (a notice or an SLTD record) from its stamps,
    state and labels: shared by :class:`~connectors.interpol.InterpolConnector` and
    :func:`sltd_alert`.

    ``first`` names the first stamp (``published_at``, ``created_at``), ``updated_at`` the
    latest (else the first); the version is :func:`stamp_version` of the latest (else 1).
    ``states`` is the live and the withdrawn word of ``state`` (live by default): withdrawn
    is a CANCEL, which needs ``updated_at`` later than the first stamp (``cancel_rule``, the
    refusal's message, says so), and needs the first stamp itself when
    ``cancel_needs_first``; live is an UPDATE once ``updated_at`` is later, else an ALERT.
    ``origin`` (the originating country) is resolved before the ``tlp`` and ``expires_at``
    texts are read when ``origin_first`` (SLTD), else after them and ``handling`` (notices);
    then the labels are parsed. A record with several faults is refused for the first one
    met, so this order is each format's behaviour.
    """
    first_text = f.text(first)
    updated = f.text("updated_at")
    first_at = parse_instant(first_text, f.path(first)) if first_text else None
    updated_at = parse_instant(updated, f.path("updated_at")) if updated else first_at
    live, gone = states
    state = (f.text("state") or live).lower()
    if state not in states:
        raise f.fail("state", "unknown_state", f"state must be {live} or {gone}")
    later = first_at is not None and updated_at is not None and updated_at > first_at
    if state == gone:
        if not later and (cancel_needs_first or first_at is not None):
            raise f.fail("updated_at", "cancel_not_newer", cancel_rule)
        msg_type = MsgType.CANCEL
    else:
        msg_type = MsgType.UPDATE if later else MsgType.ALERT
    references: tuple[Reference, ...] = ()
    if msg_type is not MsgType.ALERT and first_at is not None:
        references = (Reference(alert_id=alert_id, version=stamp_version(first_at)),)
    country = origin() if origin_first else None
    tlp_text = f.text("tlp")
    expires = f.text("expires_at")
    handling_code = handling()
    return Envelope(
        alert_id=alert_id,
        version=stamp_version(updated_at) if updated_at is not None else 1,
        msg_type=msg_type,
        references=references,
        status=Status.ACTUAL,
        source_org=Org.INTERPOL,
        originating_country=country or origin(),
        issued_at=updated_at or datetime.now(UTC),
        expires_at=parse_instant(expires, f.path("expires_at")) if expires else None,
        tlp=parse_tlp(tlp_text, f.path("tlp")) if tlp_text else Tlp.GREEN,
        release_to_countries=tuple(
            country3(c, f"{f.path('release_to_countries')}[{i}]")
            for i, c in enumerate(f.texts("release_to_countries"))
        ),
        deny_countries=tuple(
            country3(c, f"{f.path('deny_countries')}[{i}]")
            for i, c in enumerate(f.texts("deny_countries"))
        ),
        handling_code=handling_code,
        source_reliability=grading[0],
        information_accuracy=grading[1],
        legal_basis=legal_basis,
    )


def _envelope(f: Fields) -> Envelope:
    sltd_id = f.need("sltd_id").upper()
    if not _SLTD_ID.match(sltd_id):
        raise f.fail("sltd_id", "bad_sltd_id", "3-40 letters, digits, '-' or '/'")

    def origin() -> str:
        key = "reporting_ncb" if f.text("reporting_ncb") else "issuing_state"
        return issuing_state(f.need(key), f.path(key))

    return stamped_envelope(
        f, f"INTERPOL:SLTD-{sltd_id}", first="created_at", states=("active", "withdrawn"),
        cancel_rule="a withdrawn record needs an updated_at later than its created_at",
        cancel_needs_first=True, origin=origin, origin_first=True, handling=lambda: HandlingCode.H0,
        grading=(SourceReliability.A, InformationAccuracy.KNOWN_TRUE), legal_basis=LEGAL_BASIS,
    )  # fmt: skip


def _report(f: Fields) -> DocumentReport:
    reported = _moment(f, "reported_on")
    if reported is None:
        raise f.fail("reported_on", "missing_field", "when the loss or theft was reported")
    return DocumentReport(
        document_number=f.need("document_number"),
        issuing_country=issuing_state(f.need("issuing_state"), f.path("issuing_state")),
        document_type=document_type(f.need("document_type"), f.path("document_type")),
        status=status_of(f.need("status"), f.path("status"), STATUS_WORDS),
        reported_at=reported,
        review_at=_moment(f, "review_on"),
    )


def sltd_alert(record: dict[str, Any]) -> TravelDocumentAlert:
    """Map one SLTD record to a travel-document alert (a CANCEL when withdrawn)."""
    f = Fields(record)
    envelope = _envelope(f)
    if envelope.msg_type is MsgType.CANCEL:
        return TravelDocumentAlert(envelope=envelope, subject=None)
    return TravelDocumentAlert(envelope=envelope, subject=_report(f))
