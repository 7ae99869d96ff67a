"""The travel-document alert (the fourth kind): model, validation, codec and kind inference."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from gateway.contract import (
    ALERT_MODELS,
    AlertKind,
    DocumentStatus,
    DocumentType,
    TravelDocumentAlert,
)
from gateway.contract.codec import decode, encode, peek_kind
from gateway.contract.validation import infer_kind, validate_alert

EXAMPLE = Path(__file__).resolve().parents[2] / "schemas" / "examples" / "travel_document.json"
NOW = dt.datetime(2025, 10, 2, 8, 0, tzinfo=dt.UTC)


def raw() -> dict[str, Any]:
    """The shipped example as a JSON dict."""
    data: dict[str, Any] = json.loads(EXAMPLE.read_text())
    return data


def codes(data: dict[str, Any]) -> dict[str, str]:
    """Problem path -> code of ``data`` validated as a travel-document alert at NOW."""
    return {p.path: p.code for p in validate_alert(data, now=NOW)}


def test_example_is_valid_and_round_trips() -> None:
    """The shipped example validates and survives encode/decode as a TravelDocumentAlert."""
    alert = TravelDocumentAlert.model_validate(raw())
    assert validate_alert(alert, now=NOW) == []
    data = encode(alert)
    assert peek_kind(data) is AlertKind.TRAVEL_DOCUMENT
    assert decode(data) == alert
    assert ALERT_MODELS[AlertKind.TRAVEL_DOCUMENT] is TravelDocumentAlert


def test_kind_is_inferred_from_the_document_number() -> None:
    """A dict whose subject has a document_number is a TRAVEL_DOCUMENT alert."""
    assert infer_kind(raw()) is AlertKind.TRAVEL_DOCUMENT


def test_enum_symbols_match_the_agreed_shape() -> None:
    """Document types and statuses are exactly the symbols agreed with the post side."""
    assert [t.value for t in DocumentType] == [
        "PASSPORT", "ID_CARD", "VISA", "RESIDENCE_PERMIT", "TRAVEL_DOCUMENT", "OTHER",
    ]  # fmt: skip
    assert [s.value for s in DocumentStatus] == [
        "STOLEN_BLANK", "STOLEN", "LOST", "REVOKED", "INVALIDATED",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("issuing_country", "D", "country_code"),
        ("issuing_country", "deu", "country_code"),
        ("issuing_country", "UTO", "country_code"),
        ("document_number", "  -- ", "document_number_format"),
        ("document_number", "<<<<", "document_number_format"),
        ("document_number", "C01X00T47 ü", "document_number_format"),
        ("document_number", "X" * 21, "document_number_format"),
        ("reported_at", "2025-10-02T09:00:00Z", "reported_in_future"),
        ("review_at", "2025-09-30T00:00:00Z", "review_before_report"),
    ],
)
def test_bad_fields_are_reported(field: str, value: str, code: str) -> None:
    """Each bad subject field is one problem with its path and a stable code."""
    data = raw()
    data["subject"][field] = value
    assert codes(data) == {f"subject.{field}": code}


def test_clock_skew_is_tolerated() -> None:
    """A report stamped a minute ahead of this clock is accepted (clocks differ)."""
    data = raw()
    data["subject"]["reported_at"] = "2025-10-02T08:01:00Z"
    assert codes(data) == {}


def test_number_as_printed_is_kept() -> None:
    """Spaces and dashes the issuer printed are accepted and kept; lookups normalize them."""
    data = raw()
    data["subject"]["document_number"] = "c01x-00t 47"
    assert codes(data) == {}
    alert = TravelDocumentAlert.model_validate(data)
    assert alert.subject is not None
    assert alert.subject.document_number == "c01x-00t 47"


def test_unknown_symbol_and_missing_field_are_model_errors() -> None:
    """An unknown status and a missing reported_at are refused before any encoding."""
    data = raw()
    data["subject"]["status"] = "MISLAID"
    del data["subject"]["reported_at"]
    assert codes(data) == {"subject.status": "enum", "subject.reported_at": "missing"}


def test_cancel_carries_no_subject() -> None:
    """A CANCEL of a document alert is the envelope only, like every other kind."""
    data = raw()
    data["envelope"].update(
        msg_type="CANCEL",
        version=2,
        references=[{"alert_id": data["envelope"]["alert_id"], "version": 1}],
    )
    assert codes(data) == {"subject": "cancel_with_subject"}
    data["subject"] = None
    assert validate_alert(data, now=NOW, kind=AlertKind.TRAVEL_DOCUMENT) == []
