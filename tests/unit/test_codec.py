"""The single-object codec: framing, round trips, fast dict paths and clear errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.contract import (
    ALERT_MODELS,
    AlertKind,
    AnyAlert,
    CommodityAlert,
    MsgType,
    ThreatAssessmentAlert,
    WantedPersonAlert,
)
from gateway.contract.codec import (
    HEADER_SIZE,
    EncodeError,
    decode,
    decode_dict,
    encode,
    encode_dict,
    peek_fingerprint,
    peek_kind,
)
from gateway.contract.schemas import default_registry
from gateway.errors import DecodeError

REASONS = {
    "truncated",
    "bad_marker",
    "unknown_fingerprint",
    "corrupt_body",
    "trailing_bytes",
    "invalid_record",
}
EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"
FILES = {
    AlertKind.WANTED_PERSON: "wanted_person.json",
    AlertKind.COMMODITY: "commodity.json",
    AlertKind.THREAT_ASSESSMENT: "threat_assessment.json",
    AlertKind.TRAVEL_DOCUMENT: "travel_document.json",
}


def example(kind: AlertKind) -> AnyAlert:
    """The shipped example alert of ``kind``."""
    return ALERT_MODELS[kind].model_validate_json((EXAMPLES / FILES[kind]).read_text())


@pytest.mark.parametrize("kind", list(AlertKind))
def test_round_trip_preserves_every_field(kind: AlertKind) -> None:
    """Decoding the encoding of an example alert gives back an equal model."""
    alert = example(kind)
    assert decode(encode(alert)) == alert


@pytest.mark.parametrize("kind", list(AlertKind))
def test_header_is_marker_and_little_endian_fingerprint(kind: AlertKind) -> None:
    """Encoded bytes start with C3 01 and the schema's 8-byte little-endian fingerprint."""
    data = encode(example(kind))
    entry = default_registry().current[kind]
    assert data[:2] == b"\xc3\x01"
    assert int.from_bytes(data[2:HEADER_SIZE], "little") == entry.fingerprint
    assert peek_fingerprint(data) == entry.fingerprint
    assert peek_kind(data) is kind


def test_fingerprints_differ_per_kind() -> None:
    """Each kind has its own fingerprint, so the header alone tells kinds apart."""
    prints = {default_registry().current[kind].fingerprint for kind in AlertKind}
    assert len(prints) == len(AlertKind)


def test_cancel_without_subject_round_trips() -> None:
    """A CANCEL carrying only the envelope encodes and decodes with a null subject."""
    base = example(AlertKind.COMMODITY)
    envelope = base.envelope.model_copy(update={"msg_type": MsgType.CANCEL, "version": 3})
    cancel = CommodityAlert(envelope=envelope, subject=None)
    decoded = decode(encode(cancel))
    assert decoded.subject is None
    assert decoded.envelope.msg_type is MsgType.CANCEL


def test_dict_paths_agree_with_models() -> None:
    """encode_dict/decode_dict produce the same bytes and the same record as the model path."""
    alert = example(AlertKind.WANTED_PERSON)
    data = encode_dict(AlertKind.WANTED_PERSON, alert.to_avro_dict())
    assert data == encode(alert)
    kind, record = decode_dict(data)
    assert kind is AlertKind.WANTED_PERSON
    assert record["envelope"]["alert_id"] == alert.envelope.alert_id
    assert record["envelope"]["issued_at"] == alert.envelope.issued_at
    assert WantedPersonAlert.from_avro_dict(record) == alert


def test_timestamps_decode_as_aware_utc() -> None:
    """Timestamps come back timezone-aware in UTC, whatever offset they were written with."""
    alert = example(AlertKind.THREAT_ASSESSMENT)
    plus_two = dt.timezone(dt.timedelta(hours=2))
    shifted = alert.envelope.model_copy(
        update={"issued_at": alert.envelope.issued_at.astimezone(plus_two)}
    )
    decoded = decode(encode(ThreatAssessmentAlert(envelope=shifted, subject=alert.subject)))
    assert decoded.envelope.issued_at.utcoffset() == dt.timedelta(0)
    assert decoded.envelope.issued_at == alert.envelope.issued_at


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"", "truncated", id="empty"),
        pytest.param(b"\xc3\x01\x00\x01", "truncated", id="short-header"),
        pytest.param(b"\x00\x00" + bytes(8) + b"\x02", "bad_marker", id="confluent-style"),
        pytest.param(b"\xc3\x01" + bytes(8) + b"\x02", "unknown_fingerprint", id="unknown-print"),
    ],
)
def test_bad_headers_raise_decode_error_with_reason(data: bytes, reason: str) -> None:
    """Bytes without a known single-object header give a DecodeError naming the reason."""
    with pytest.raises(DecodeError) as caught:
        decode(data)
    assert caught.value.quarantine_reason == reason


def test_truncated_body_is_corrupt_body() -> None:
    """A body cut short is reported as corrupt_body, not an EOFError."""
    data = encode(example(AlertKind.COMMODITY))
    with pytest.raises(DecodeError) as caught:
        decode(data[: len(data) // 2])
    assert caught.value.quarantine_reason == "corrupt_body"


def test_trailing_bytes_are_rejected() -> None:
    """Extra bytes after a complete body are an error, so framing mistakes surface."""
    data = encode(example(AlertKind.COMMODITY)) + b"\x00"
    with pytest.raises(DecodeError) as caught:
        decode_dict(data)
    assert caught.value.quarantine_reason == "trailing_bytes"


def test_garbage_body_never_escapes_as_other_exception() -> None:
    """Random bytes after a valid header raise DecodeError and nothing else."""
    header = default_registry().current[AlertKind.WANTED_PERSON].header
    for seed in range(200):
        body = bytes((seed * 37 + i * 101) % 256 for i in range(seed % 60))
        try:
            decode(header + body)
        except DecodeError:
            continue


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(list(AlertKind)), body=st.binary(max_size=400))
def test_any_body_decodes_or_raises_decode_error(kind: AlertKind, body: bytes) -> None:
    """Whatever follows a known header, decode returns an alert or raises DecodeError."""
    header = default_registry().current[kind].header
    outcome: str
    try:
        outcome = decode(header + body).kind
    except DecodeError as error:
        outcome = error.quarantine_reason
    assert outcome in {kind, "corrupt_body", "trailing_bytes", "invalid_record"}


@settings(max_examples=200, deadline=None)
@given(position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_flipped_byte_never_escapes(position: int, flip: int) -> None:
    """A corrupted byte anywhere in a real message is decoded or reported, never a crash."""
    data = bytearray(encode(example(AlertKind.WANTED_PERSON)))
    data[position % len(data)] ^= flip
    outcome: str
    try:
        outcome = decode(bytes(data)).kind
    except DecodeError as error:
        outcome = error.quarantine_reason
    assert outcome in {*AlertKind, *REASONS}


def test_encode_dict_rejects_unknown_enum_symbol() -> None:
    """A dict with a symbol the schema lacks fails with EncodeError reason unencodable."""
    record = example(AlertKind.COMMODITY).to_avro_dict()
    record["envelope"]["tlp"] = "PURPLE"
    with pytest.raises(EncodeError) as caught:
        encode_dict(AlertKind.COMMODITY, record)
    assert caught.value.quarantine_reason == "unencodable"
