"""Travel-document exports: INTERPOL's SLTD JSON and ASEANAPOL's e-ADS documents CSV."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.aseanapol import AseanapolConnector
from connectors.base import (
    Accepted,
    Connector,
    Outcome,
    RawRecord,
    Refused,
    process,
    stamp_version,
)
from connectors.interpol import InterpolConnector
from gateway.contract import (
    AlertKind,
    DocumentStatus,
    DocumentType,
    MsgType,
    Reference,
    TravelDocumentAlert,
    WantedPersonAlert,
)
from gateway.contract.icao import icao_to_iso3
from tests.support.connectors import accepted_as

INTERPOL = InterpolConnector()
ASEANAPOL = AseanapolConnector()


def run(connector: Connector, payload: bytes) -> list[Outcome]:
    """Every outcome of one payload, validated against the real clock."""
    return list(process(connector, payload, "test", now=datetime.now(UTC)))


def documents(outcomes: list[Outcome]) -> dict[str, TravelDocumentAlert]:
    """Alert id -> document alert, asserting everything was accepted."""
    return accepted_as(outcomes, TravelDocumentAlert)


def refusal(outcomes: list[Outcome]) -> tuple[str, str, str]:
    """(stage, path, code) of the single refusal among ``outcomes``."""
    refused = [o for o in outcomes if isinstance(o, Refused)]
    assert len(refused) == 1, outcomes
    reason = refused[0].quarantine.reasons[0]
    return refused[0].quarantine.stage, reason.path, reason.code


# -- INTERPOL SLTD ----------------------------------------------------------------------------


def sltd_sample() -> dict[str, Any]:
    """The shipped SLTD export as a dict."""
    data: dict[str, Any] = orjson.loads((INTERPOL.sample_paths()[1]).read_bytes())
    return data


def sltd_export(*records: dict[str, Any]) -> bytes:
    """An SLTD export holding ``records``."""
    return orjson.dumps({"sltd_export": {"system": "INTERPOL SLTD"}, "documents": list(records)})


def sltd_record(**changes: Any) -> dict[str, Any]:
    """The sample's first record (a German passport reported stolen), changed."""
    record = copy.deepcopy(sltd_sample()["documents"][0])
    record.update(changes)
    return {k: v for k, v in record.items() if v is not None}


def test_sltd_sample_maps_every_record() -> None:
    """The shipped SLTD export gives six document alerts with ICAO states mapped to ISO."""
    alerts = documents(run(INTERPOL, INTERPOL.sample_paths()[1].read_bytes()))
    assert len(alerts) == len(sltd_sample()["documents"]) == 6
    german = alerts["INTERPOL:SLTD-DEU-2025-0042117"]
    assert german.envelope.msg_type is MsgType.ALERT
    assert german.envelope.originating_country == "DEU"
    assert german.subject is not None
    assert german.subject.issuing_country == "DEU"  # ICAO 'D'
    assert german.subject.document_type is DocumentType.PASSPORT
    assert german.subject.status is DocumentStatus.STOLEN
    assert german.subject.reported_at == datetime(2025, 10, 1, tzinfo=UTC)
    assert german.subject.review_at == datetime(2030, 10, 1, tzinfo=UTC)
    british = alerts["INTERPOL:SLTD-GBR-2025-0007781"]
    assert british.subject is not None
    assert (british.subject.issuing_country, british.subject.document_number) == (
        "GBR", "KJ 0412 887",
    )  # fmt: skip  # GBN (British National Overseas), printed number kept as is
    assert british.envelope.msg_type is MsgType.UPDATE
    kosovo = alerts["INTERPOL:SLTD-RKS-2025-0000412"].subject
    assert kosovo is not None
    assert kosovo.issuing_country == "XKX"
    blank = alerts["INTERPOL:SLTD-FRA-2025-0193305"].subject
    assert blank is not None
    assert blank.status is DocumentStatus.STOLEN_BLANK
    withdrawn = alerts["INTERPOL:SLTD-ITA-2023-0310877"]
    assert withdrawn.envelope.msg_type is MsgType.CANCEL
    assert withdrawn.subject is None
    created = datetime(2023, 3, 9, 15, tzinfo=UTC)
    assert withdrawn.envelope.references == (
        Reference(alert_id="INTERPOL:SLTD-ITA-2023-0310877", version=stamp_version(created)),
    )


def test_notices_and_documents_in_one_array() -> None:
    """A JSON array may mix notices and SLTD records; each gets its own kind."""
    notice = orjson.loads(INTERPOL.sample_path().read_bytes())["_embedded"]["notices"][0]
    payload = orjson.dumps([notice, sltd_record()])
    kinds = [o.kind for o in run(INTERPOL, payload) if isinstance(o, Accepted)]
    assert kinds == [AlertKind.WANTED_PERSON, AlertKind.TRAVEL_DOCUMENT]


def test_the_notices_sample_is_unchanged() -> None:
    """Reading SLTD records leaves the notices export as it was: five wanted persons."""
    assert (
        len(accepted_as(run(INTERPOL, INTERPOL.sample_path().read_bytes()), WantedPersonAlert)) == 5
    )


@pytest.mark.parametrize(
    ("changes", "stage", "path", "code"),
    [
        ({"issuing_state": "UTO"}, "map", "issuing_state", "no_issuing_state"),
        ({"issuing_state": "UNO"}, "map", "issuing_state", "no_issuing_state"),
        ({"issuing_state": "QQ"}, "map", "issuing_state", "unknown_country"),
        ({"status": "MISLAID"}, "map", "status", "unknown_document_status"),
        ({"document_type": "X9"}, "map", "document_type", "unknown_document_type"),
        ({"reported_on": None}, "map", "reported_on", "missing_field"),
        ({"reported_on": "2025-02-30"}, "map", "reported_on", "bad_date"),
        ({"document_number": None}, "map", "document_number", "missing_field"),
        ({"document_number": "#"}, "validate", "subject.document_number",
         "document_number_format"),
        ({"sltd_id": "a b"}, "map", "sltd_id", "bad_sltd_id"),
        ({"state": "withdrawn"}, "map", "updated_at", "cancel_not_newer"),
        ({"state": "archived"}, "map", "state", "unknown_state"),
        ({"tlp": "PURPLE"}, "map", "tlp", "unknown_tlp"),
    ],
)  # fmt: skip
def test_bad_sltd_records_are_quarantined_with_a_reason(
    changes: dict[str, Any], stage: str, path: str, code: str
) -> None:
    """A bad record is refused with its stage, field and code; the good one beside it passes."""
    outcomes = run(INTERPOL, sltd_export(sltd_record(sltd_id="OK-1"), sltd_record(**changes)))
    assert len(outcomes) == 2
    assert isinstance(outcomes[0], Accepted)
    assert refusal(outcomes) == (stage, path, code)


def test_a_report_in_the_future_is_refused() -> None:
    """A document reported tomorrow fails validation: reported_in_future."""
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    outcomes = run(INTERPOL, sltd_export(sltd_record(reported_on=tomorrow)))
    assert refusal(outcomes) == ("validate", "subject.reported_at", "reported_in_future")


def test_an_export_without_a_documents_list_is_refused_whole() -> None:
    """An SLTD header without its documents list is one refused payload, never nothing."""
    outcomes = run(INTERPOL, orjson.dumps({"sltd_export": {}, "documents": {}}))
    assert refusal(outcomes) == ("split", "documents", "unexpected_shape")


# -- ASEANAPOL e-ADS documents ----------------------------------------------------------------


def eads(*rows: str) -> bytes:
    """A documents CSV: the sample's header and ``rows``."""
    header = ASEANAPOL.sample_paths()[1].read_text(encoding="utf-8").splitlines()[0]
    return "\n".join([header, *rows, ""]).encode()


_ENVELOPE = (
    "EADS-DOC-T-1,1,NEW,2025-09-18T10:15:00+07:00,LIVE,THA,TLP:GREEN,H0,,A1,"
    '"ASEANAPOL Constitution, art. 2",,,,'
)


def test_eads_sample_maps_every_row() -> None:
    """The shipped documents CSV gives seven document alerts; BE years and ICAO 'D' mapped."""
    alerts = documents(run(ASEANAPOL, ASEANAPOL.sample_paths()[1].read_bytes()))
    assert len(alerts) == 7
    thai = alerts["ASEANAPOL:EADS-DOC-THA-2025-004410"].subject
    assert thai is not None
    ict = thai.reported_at.tzinfo
    assert thai.reported_at == datetime(2025, 9, 17, tzinfo=ict)  # 17/09/2568 BE
    assert thai.reported_at.utcoffset() == timedelta(hours=7)
    assert thai.review_at is not None
    assert thai.review_at.year == 2030
    german = alerts["ASEANAPOL:EADS-DOC-SGP-2025-000377"]
    assert german.envelope.originating_country == "SGP"
    assert german.subject is not None
    assert german.subject.issuing_country == "DEU"
    visa = alerts["ASEANAPOL:EADS-DOC-IDN-2025-000610"].subject
    assert visa is not None
    assert (visa.document_type, visa.status) == (DocumentType.VISA, DocumentStatus.INVALIDATED)
    blank = alerts["ASEANAPOL:EADS-DOC-PHL-2025-002231"]
    assert blank.envelope.msg_type is MsgType.UPDATE
    assert blank.subject is not None
    assert blank.subject.status is DocumentStatus.STOLEN_BLANK
    assert alerts["ASEANAPOL:EADS-DOC-KHM-2025-000051"].subject is None  # WITHDRAWN


def test_the_persons_csv_is_unchanged() -> None:
    """The person CSV still maps to wanted persons only."""
    outcomes = run(ASEANAPOL, ASEANAPOL.sample_path().read_bytes())
    assert {o.kind for o in outcomes} == {AlertKind.WANTED_PERSON}


@pytest.mark.parametrize(
    ("document", "stage", "path", "code"),
    [
        ("P,AA1,THA,MISPLACED,17/09/2025,", "map", "doc_status", "unknown_document_status"),
        ("P,AA1,UNO,LOST,17/09/2025,", "map", "doc_country", "no_issuing_state"),
        ("Z,AA1,THA,LOST,17/09/2025,", "map", "doc_type", "unknown_document_type"),
        ("P,AA1,THA,LOST,,", "map", "reported_on", "missing_field"),
        ("P,AA1,THA,LOST,31/02/2025,", "map", "reported_on", "bad_date"),
        ("P,,THA,LOST,17/09/2025,", "map", "doc_no", "missing_field"),
        ("P,AA1,THA,LOST,17/09/2025,01/01/2020", "validate", "subject.review_at",
         "review_before_report"),
    ],
)  # fmt: skip
def test_bad_eads_rows_are_quarantined_with_a_reason(
    document: str, stage: str, path: str, code: str
) -> None:
    """A bad documents row is refused with its stage, column and code."""
    outcomes = run(ASEANAPOL, eads(_ENVELOPE + document))
    assert len(outcomes) == 1
    assert refusal(outcomes)[:3] == (stage, path, code)


# -- both -------------------------------------------------------------------------------------


@pytest.mark.parametrize("connector", [INTERPOL, ASEANAPOL], ids=lambda c: c.org)
def test_document_records_map_the_same_from_bytes_alone(connector: Connector) -> None:
    """A quarantined record replays as is: its bytes alone give the same alert."""
    for record in connector.split(connector.sample_paths()[1].read_bytes(), "sample"):
        bare = RawRecord(record.org, record.source, record.index, record.data)
        assert connector.to_alert(bare) == connector.to_alert(record)


@pytest.mark.parametrize("connector", [INTERPOL, ASEANAPOL], ids=lambda c: c.org)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(min_value=0), flips=st.lists(st.tuples(st.integers(0), st.integers(0, 255))))
def test_mutated_document_samples_never_crash(
    connector: Connector, cut: int, flips: list[tuple[int, int]]
) -> None:
    """Truncated or byte-flipped document exports end accepted or refused with reasons."""
    sample = bytearray(connector.sample_paths()[1].read_bytes())
    for position, value in flips:
        sample[position % len(sample)] = value
    data = bytes(sample[: cut % (len(sample) + 1)])
    for outcome in run(connector, data):
        assert isinstance(outcome, Accepted | Refused)
        if isinstance(outcome, Refused):
            assert outcome.quarantine.reasons


@pytest.mark.parametrize(
    ("code", "iso3"),
    [("D", "DEU"), ("D<<", "DEU"), ("GBN", "GBR"), ("GBD", "GBR"), ("RKS", "XKX"),
     ("ZIM", "ZWE"), ("FRA", "FRA"), ("UTO", None), ("XXA", None), ("UNO", None),
     ("EUE", None), ("QQQ", None)],
)  # fmt: skip
def test_icao_codes_to_iso3(code: str, iso3: str | None) -> None:
    """ICAO 9303 issuing-state codes map to ISO alpha-3; states that are none map to None."""
    assert icao_to_iso3(code) == iso3
