"""Avro single-object encoding of alerts: ``C3 01``, 8-byte CRC-64-AVRO fingerprint, body.

``encode``/``decode`` work with the pydantic models; ``encode_dict``/``decode_dict`` are the
fast paths for components (the hub) that route on plain dicts. Decoding looks the writer
schema up by fingerprint and resolves older writers into the current reader schema.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from fastavro import schemaless_reader, schemaless_writer
from pydantic import ValidationError

from gateway.contract.alerts import ALERT_MODELS, AnyAlert
from gateway.contract.enums import AlertKind
from gateway.contract.schemas import (
    SINGLE_OBJECT_MARKER,
    SchemaEntry,
    SchemaRegistry,
    default_registry,
)
from gateway.errors import DecodeError, QuarantineError

__all__ = [
    "HEADER_SIZE",
    "EncodeError",
    "decode",
    "decode_dict",
    "encode",
    "encode_dict",
    "peek_fingerprint",
    "peek_kind",
]

HEADER_SIZE = 10


class EncodeError(QuarantineError):
    """A record that does not fit its Avro schema (wrong type, unknown symbol, missing field)."""


def encode_dict(
    kind: AlertKind, record: dict[str, Any], registry: SchemaRegistry | None = None
) -> bytes:
    """Encode an Avro-shaped dict with the current schema of ``kind``."""
    entry = (registry or default_registry()).current[kind]
    buffer = BytesIO()
    buffer.write(entry.header)
    try:
        schemaless_writer(buffer, entry.parsed, record)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as error:
        raise EncodeError(
            f"record does not fit {entry.full_name}: {error}", reason="unencodable"
        ) from error
    return buffer.getvalue()


def encode(alert: AnyAlert, registry: SchemaRegistry | None = None) -> bytes:
    """Encode an alert model as one single-object-encoded Avro message."""
    return encode_dict(alert.kind, alert.to_avro_dict(), registry)


def _check_header(data: bytes) -> None:
    """Raise a DecodeError unless ``data`` starts with the marker and a whole fingerprint."""
    if len(data) < HEADER_SIZE:
        raise DecodeError(
            f"{len(data)} bytes is shorter than the {HEADER_SIZE}-byte single-object header",
            reason="truncated",
        )
    if data[:2] != SINGLE_OBJECT_MARKER:
        raise DecodeError(
            f"not Avro single-object encoding: marker {data[:2].hex()} is not c301",
            reason="bad_marker",
        )


def _writer_entry(data: bytes, registry: SchemaRegistry) -> SchemaEntry:
    """The registered writer schema named by the header of ``data``."""
    _check_header(data)
    entry = registry.lookup(data[2:HEADER_SIZE])
    if entry is None:
        raise DecodeError(
            f"unknown schema fingerprint {data[2:HEADER_SIZE].hex()}",
            reason="unknown_fingerprint",
            hint="the writer used a schema this reader does not know; upgrade the reader",
        )
    return entry


def peek_fingerprint(data: bytes) -> int:
    """The writer schema's CRC-64-AVRO fingerprint, read from the header without decoding."""
    _check_header(data)
    return int.from_bytes(data[2:HEADER_SIZE], "little")


def peek_kind(data: bytes, registry: SchemaRegistry | None = None) -> AlertKind:
    """The alert kind named by the header, without decoding the body."""
    return _writer_entry(data, registry or default_registry()).kind


def decode_dict(
    data: bytes, registry: SchemaRegistry | None = None
) -> tuple[AlertKind, dict[str, Any]]:
    """Decode to the kind and a plain dict in the current schema's shape."""
    registry = registry or default_registry()
    writer = _writer_entry(data, registry)
    # Resolution only when the writer is an older version; same schema reads directly.
    reader = None if writer.current else registry.current[writer.kind].parsed
    buffer = BytesIO(data)
    buffer.seek(HEADER_SIZE)
    try:
        record = schemaless_reader(buffer, writer.parsed, reader)
    except Exception as error:  # why: any failure inside fastavro means the body is corrupt
        raise DecodeError(
            f"corrupt {writer.full_name} body: {type(error).__name__}: {error}",
            reason="corrupt_body",
        ) from error
    if buffer.tell() != len(data):
        raise DecodeError(
            f"{len(data) - buffer.tell()} bytes left after the {writer.full_name} body",
            reason="trailing_bytes",
        )
    if not isinstance(record, dict):
        raise DecodeError(f"{writer.full_name} body is not a record", reason="corrupt_body")
    return writer.kind, record


def decode(data: bytes, registry: SchemaRegistry | None = None) -> AnyAlert:
    """Decode one single-object-encoded alert into its pydantic model."""
    kind, record = decode_dict(data, registry)
    try:
        return ALERT_MODELS[kind].from_avro_dict(record)
    except ValidationError as error:
        raise DecodeError(
            f"{kind} record does not fit its model: {error.error_count()} error(s)",
            reason="invalid_record",
        ) from error
