"""Routing headers and quarantine records survive a trip through Kafka's header format."""

from __future__ import annotations

from gateway.kafka.headers import H, RouteHeaders
from gateway.kafka.quarantine import QuarantineRecord, Reason


def test_route_headers_round_trip() -> None:
    """Every routing attribute and hop timestamp decodes to what was encoded."""
    sent = RouteHeaders(
        kind="WANTED_PERSON", org="INTERPOL", tlp="AMBER", status="ACTUAL", msg_type="UPDATE",
        version=7, policy_version="2026.11.1", linked=("EUROPOL:A1", "FRONTEX:B2"),
        ts_issued=1, ts_ingest=2, ts_connector=3, ts_hub=4, ts_node=5,
    )  # fmt: skip
    assert RouteHeaders.from_kafka(sent.to_kafka()) == sent


def test_missing_headers_get_neutral_defaults() -> None:
    """A record without headers decodes with empty attributes instead of failing."""
    got = RouteHeaders.from_kafka(None)
    assert got.version == 0
    assert got.linked == ()
    assert got.ts_hub is None


def test_bad_timestamp_header_is_ignored() -> None:
    """A garbled timestamp header reads as absent rather than raising."""
    got = RouteHeaders.from_kafka([(H.TS_HUB, b"not-a-number"), (H.VERSION, b"3")])
    assert got.ts_hub is None
    assert got.version == 3


def test_quarantine_record_keeps_original_bytes_and_reasons() -> None:
    """A quarantined record reads back with its exact bytes and machine-readable reasons."""
    record = QuarantineRecord(
        org="FRONTEX", stage="validate", component="connector", source="ops.csv#12",
        reasons=(Reason("subject.container", "check_digit", "ISO 6346 check digit is 4, not 5"),),
        original=b"\xff\x00raw;bytes", ts_ms=123,
    )  # fmt: skip
    back = QuarantineRecord.from_kafka(record.original, record.headers())
    assert back == record
