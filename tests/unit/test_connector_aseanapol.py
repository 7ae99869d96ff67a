"""ASEANAPOL connector: family-first CSV names, mononyms, Thai and Vietnamese scripts."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.aseanapol import COLUMNS, AseanapolConnector, split_family_first
from connectors.base import Accepted, Outcome, Refused, process
from connectors.synthetic import get_generator
from gateway.contract import (
    InformationAccuracy,
    MsgType,
    PartialDate,
    PersonAction,
    PersonCategory,
    Reference,
    SourceReliability,
    Tlp,
    WantedPerson,
    WantedPersonAlert,
)
from tests.support.connectors import generated, generated_shares, revise_all

FIXTURES = Path(__file__).parents[1] / "fixtures" / "connectors" / "aseanapol"
NOW = datetime(2025, 3, 15, tzinfo=UTC)
CONNECTOR = AseanapolConnector()
GENERATOR = get_generator(CONNECTOR.org)
SAMPLE = CONNECTOR.sample_path().read_bytes()


def run(payload: bytes, now: datetime = NOW) -> list[Outcome]:
    return list(process(CONNECTOR, payload, "test", now=now))


def alerts() -> dict[str, WantedPersonAlert]:
    out: dict[str, WantedPersonAlert] = {}
    for outcome in run(SAMPLE):
        assert isinstance(outcome, Accepted), outcome
        assert isinstance(outcome.alert, WantedPersonAlert)
        out[outcome.alert.envelope.alert_id] = outcome.alert
    return out


def subject(ref: str) -> WantedPerson:
    found = alerts()[f"ASEANAPOL:{ref}"].subject
    assert found is not None
    return found


def test_sample_maps_every_row_with_versions_from_revisions() -> None:
    """The sample's seven rows map to ids, versions and message types from record_status."""
    found = {
        a.envelope.alert_id: (a.envelope.version, a.envelope.msg_type) for a in alerts().values()
    }
    assert found == {
        "ASEANAPOL:EADS-VNM-2025-000412": (1, MsgType.ALERT),
        "ASEANAPOL:EADS-THA-2025-001877": (2, MsgType.UPDATE),
        "ASEANAPOL:EADS-THA-2025-001901": (1, MsgType.ALERT),
        "ASEANAPOL:EADS-IDN-2025-000056": (1, MsgType.ALERT),
        "ASEANAPOL:EADS-MYS-2025-000733": (1, MsgType.ALERT),
        "ASEANAPOL:EADS-PHL-2025-000219": (1, MsgType.ALERT),
        "ASEANAPOL:EADS-SGP-2024-003301": (4, MsgType.CANCEL),
    }


def test_vietnamese_name_keeps_diacritics_in_the_original_fields() -> None:
    """NGUYEN Van Duc in Latin; Nguyễn / Văn Đức as the original Latn-script name."""
    person = subject("EADS-VNM-2025-000412")
    assert (person.family_name, person.given_names) == ("NGUYEN", "Van Duc")
    assert (person.family_name_original, person.given_names_original) == ("Nguyễn", "Văn Đức")
    assert person.name_script == "Latn"
    assert person.date_of_birth == PartialDate(year=1983, month=8, day=14)
    assert person.aliases == ("Duc Beo",)


def test_diacritics_in_the_latin_column_are_folded_and_kept_as_original() -> None:
    """'NGUYỄN Văn Đức' in full_name gives ASCII Latin fields and the diacritic original."""
    (outcome,) = run((FIXTURES / "valid" / "vietnamese_in_latin_column.csv").read_bytes())
    assert isinstance(outcome, Accepted)
    assert isinstance(outcome.alert, WantedPersonAlert)
    person = outcome.alert.subject
    assert person is not None
    assert (person.family_name, person.given_names) == ("NGUYEN", "Van Duc")
    assert (person.family_name_original, person.given_names_original) == ("NGUYỄN", "Văn Đức")
    assert person.name_script == "Latn"


def test_thai_native_order_is_given_name_first() -> None:
    """'สมชาย ใจดี' is given name สมชาย, family name ใจดี; the Latin column is family first."""
    person = subject("EADS-THA-2025-001877")
    assert (person.family_name, person.given_names) == ("JAIDEE", "Somchai")
    assert (person.family_name_original, person.given_names_original) == ("ใจดี", "สมชาย")
    assert person.name_script == "Thai"


def test_thai_buddhist_era_years_are_converted() -> None:
    """02/05/2521 BE is 2 May 1978; a year-only 2530 BE is 1987."""
    assert subject("EADS-THA-2025-001877").date_of_birth == PartialDate(year=1978, month=5, day=2)
    assert subject("EADS-THA-2025-001901").date_of_birth == PartialDate(year=1987)


def test_thai_name_without_latin_form_is_transliterated() -> None:
    """With no full_name, the Thai name is transliterated (anyascii) into the Latin fields."""
    person = subject("EADS-THA-2025-001901")
    assert (person.family_name_original, person.given_names_original) == ("แก้วมณี", "สุดารัตน์")
    assert person.family_name.isascii()
    assert person.family_name == person.family_name.upper()
    assert person.given_names is not None
    assert person.given_names.isascii()


@pytest.mark.parametrize(
    ("ref", "name"),
    [("EADS-IDN-2025-000056", "Sutrisno"), ("EADS-MYS-2025-000733", "Ahmad bin Ismail")],
)
def test_single_names_fill_the_primary_identifier_only(ref: str, name: str) -> None:
    """Mononyms and Malay patronymics go whole into family_name, with no given names."""
    person = subject(ref)
    assert (person.family_name, person.given_names) == (name, None)
    assert person.family_name_original is None


def test_comma_separates_a_multiword_family_name() -> None:
    """'DELA CRUZ, Juan Santos' has the family name DELA CRUZ."""
    person = subject("EADS-PHL-2025-000219")
    assert (person.family_name, person.given_names) == ("DELA CRUZ", "Juan Santos")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("NGUYEN Van An", ("NGUYEN", "Van An")),
        ("TAN Wei Ming", ("TAN", "Wei Ming")),
        ("HAJI OMAR Abdul Rahman", ("HAJI OMAR", "Abdul Rahman")),
        ("TAN WEI MING", ("TAN", "WEI MING")),
        ("REYES, Maria Luisa", ("REYES", "Maria Luisa")),
        ("SUHARTO", ("SUHARTO", None)),
        ("Tan Wei Ming", ("Tan", "Wei Ming")),
    ],
)
def test_split_family_first(name: str, expected: tuple[str, str | None]) -> None:
    """Leading capitals, a comma, or else the first word make the family name."""
    assert split_family_first(name) == expected


def test_envelope_fields_are_converted() -> None:
    """The combined grade B3, a RED release list, offences and the FTF action are mapped."""
    alert = alerts()["ASEANAPOL:EADS-IDN-2025-000056"]
    env, person = alert.envelope, alert.subject
    assert person is not None
    assert env.source_reliability is SourceReliability.B
    assert env.information_accuracy is InformationAccuracy.NOT_KNOWN_TO_SOURCE
    assert (env.tlp, env.release_to_countries) == (Tlp.RED, ("MYS", "SGP"))
    assert env.issued_at == datetime(2025, 3, 10, 1, 0, tzinfo=UTC)
    assert person.category is PersonCategory.FOREIGN_TERRORIST_FIGHTER
    assert person.action is PersonAction.REFUSE_ENTRY
    assert (person.armed, person.violent) == (True, True)
    (doc,) = person.travel_documents
    assert (doc.doc_type, doc.number, doc.issuing_country) == ("P", "B7654321", "IDN")
    assert doc.expires_on == date(2029, 1, 15)


def test_withdrawn_row_is_a_cancel_referencing_the_previous_revision() -> None:
    """WITHDRAWN at revision 4 cancels, without subject, with a reference to revision 3."""
    alert = alerts()["ASEANAPOL:EADS-SGP-2024-003301"]
    assert alert.subject is None
    assert alert.envelope.references == (Reference(alert_id=alert.envelope.alert_id, version=3),)


def test_quoted_newline_stays_inside_one_record() -> None:
    """A quoted handling note spanning two lines is one record, its bytes both lines."""
    payload = (FIXTURES / "valid" / "quoted_newline.csv").read_bytes()
    (record,) = list(CONNECTOR.split(payload, "f"))
    assert record.data == payload
    (outcome,) = run(payload)
    assert isinstance(outcome, Accepted)
    assert outcome.alert.envelope.handling_note == (
        "Not for use in court proceedings\nwithout originator consent"
    )


def test_each_record_carries_the_header_and_its_own_row() -> None:
    """A record's original bytes are the header line plus its row, replayable on their own."""
    records = list(CONNECTOR.split(SAMPLE, "f"))
    lines = SAMPLE.decode().splitlines(keepends=True)
    assert len(records) == 7
    assert records[2].data.decode() == lines[0] + lines[3]
    assert [type(o) for o in run(records[2].data)] == [Accepted]


def test_rerunning_the_same_input_gives_the_same_keys_versions_and_bytes() -> None:
    """Processing the sample twice yields identical keys and encoded values."""
    first = [(o.key, o.value) for o in run(SAMPLE) if isinstance(o, Accepted)]
    assert first == [(o.key, o.value) for o in run(SAMPLE) if isinstance(o, Accepted)]
    assert len(first) == 7


BROKEN = {
    "header.csv": ("split", "bad_header", ""),
    "not_utf8.csv": ("split", "not_utf8", ""),
    "unbalanced_quote.csv": ("parse", "bad_csv", ""),
    "column_count.csv": ("parse", "column_count", ""),
    "status_revision.csv": ("map", "status_revision_mismatch", "record_status"),
    "source_grade.csv": ("map", "bad_grade", "source_grade"),
    "no_name.csv": ("map", "missing_field", "full_name"),
    "script_missing.csv": ("map", "script_code", "native_script"),
    "impossible_date.csv": ("map", "bad_date", "dob"),
    "birth_in_future.csv": ("validate", "birth_in_future", "subject.date_of_birth"),
}


def test_every_broken_fixture_is_listed() -> None:
    """Each broken fixture on disk has an expected refusal in this test."""
    assert {p.name for p in (FIXTURES / "broken").iterdir()} == set(BROKEN)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_fixture_is_refused_with_stage_and_reason(name: str) -> None:
    """Each broken fixture ends as one refusal with the expected stage, code and field path."""
    payload = (FIXTURES / "broken" / name).read_bytes()
    (outcome,) = run(payload)
    assert isinstance(outcome, Refused)
    stage, code, path = BROKEN[name]
    record = outcome.quarantine
    assert (record.org, record.stage) == ("ASEANAPOL", stage)
    assert (record.reasons[0].code, record.reasons[0].path) == (code, path)
    assert record.original


def test_rows_before_a_broken_quote_are_still_published() -> None:
    """Rows before an unbalanced quote are accepted; the rest of the file is one refusal."""
    lines = SAMPLE.decode().splitlines(keepends=True)
    broken = lines[6].replace('"DELA CRUZ, Juan Santos"', '"DELA CRUZ, Juan Santos')
    outcomes = run("".join([lines[0], lines[1], broken, lines[2]]).encode())
    assert [type(o).__name__ for o in outcomes] == ["Accepted", "Refused"]


def test_generator_gives_valid_realistic_deterministic_rows() -> None:
    """A generated export is all valid, ids unique, with Thai, Vietnamese and single names."""
    now = datetime.now(UTC)
    payload = GENERATOR.generate(random.Random(3), 300, now)
    assert payload == GENERATOR.generate(random.Random(3), 300, now)
    outcomes = run(payload, now)
    accepted = [o for o in outcomes if isinstance(o, Accepted)]
    assert len(accepted) == 300, [o for o in outcomes if isinstance(o, Refused)][:1]
    assert len({o.alert.envelope.alert_id for o in accepted}) == 300
    msg_types = {o.alert.envelope.msg_type for o in accepted}
    assert msg_types == {MsgType.ALERT, MsgType.UPDATE, MsgType.CANCEL}
    people = [o.alert.subject for o in accepted if isinstance(o.alert.subject, WantedPerson)]
    assert {p.name_script for p in people} >= {"Thai", "Latn", None}
    assert any(p.given_names is None for p in people)
    assert all(p.family_name.isascii() for p in people)


def _rows() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(SAMPLE.decode())))


def _csv(row: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    return out.getvalue().encode()


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(payload: bytes) -> None:
    """Any bytes end as outcomes, each refusal with a reason."""
    outcomes = run(payload)
    assert outcomes
    for outcome in outcomes:
        assert isinstance(outcome, Accepted | Refused)
        if isinstance(outcome, Refused):
            assert outcome.quarantine.reasons


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_rows_under_a_valid_header_never_crash(body: str) -> None:
    """Any text under the real header ends as outcomes, none an internal error."""
    header = SAMPLE.decode().splitlines()[0]
    for outcome in run(f"{header}\n{body}".encode()):
        if isinstance(outcome, Refused):
            assert outcome.quarantine.reasons
            assert outcome.quarantine.reasons[0].code != "internal_error"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_rows_end_accepted_or_refused_with_a_reason(data: st.DataObject) -> None:
    """Replacing any cell of a valid row with any text never crashes the mapper."""
    row = dict(data.draw(st.sampled_from(_rows())))
    column = data.draw(st.sampled_from(COLUMNS))
    row[column] = data.draw(st.text(max_size=20) | st.sampled_from(["", "0", "2600", "Y", "X1"]))
    outcomes = run(_csv(row))
    assert len(outcomes) == 1
    if isinstance(outcomes[0], Refused):
        reasons = outcomes[0].quarantine.reasons
        assert reasons
        assert all(r.code and r.code != "internal_error" for r in reasons), reasons


def test_a_header_row_that_is_not_csv_refuses_the_payload() -> None:
    """A header the csv module cannot read (a bare carriage return) refuses the payload."""
    header, _, rest = SAMPLE.partition(b"\n")
    (outcome,) = run(header.replace(b"revision", b"revi\rsion") + b"\n" + rest)
    assert isinstance(outcome, Refused)
    assert (outcome.quarantine.stage, outcome.quarantine.reasons[0].code) == ("split", "bad_header")


# --- revisions (Connector.revise) ----------------------------------------------------------


def test_revisions_update_narrow_raise_red_and_cancel() -> None:
    """Every change to a generated row is one UPDATE or CANCEL of its id at a higher version."""
    seen = revise_all(CONNECTOR, generated(CONNECTOR, 40, NOW), NOW)
    assert seen["chains"] >= 30


def test_withdrawal_blanks_the_person_columns() -> None:
    """A cancel is the row at revision n+1, WITHDRAWN, with the person's columns left empty."""
    original = generated(CONNECTOR, 1, NOW)[0]
    payload = GENERATOR.revise(random.Random(1), original.record, NOW, "cancel")
    (row,) = csv.DictReader(io.StringIO(payload.decode()))
    assert row["record_status"] == "WITHDRAWN"
    assert row["revision"] == str(original.alert.envelope.version + 1)
    assert not row.get("full_name")
    assert not row.get("offences")


def test_generator_sends_review_held_persons_and_short_expiries() -> None:
    """About 1-2 % of generated persons wait for review; a few percent expire within minutes."""
    held, short = generated_shares(CONNECTOR, NOW)
    assert 0.004 <= held <= 0.035
    assert 0.01 <= short <= 0.06
