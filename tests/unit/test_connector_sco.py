"""SCO connector (observer): RATS register TSV in, threat assessments out, operations refused."""

# Cyrillic test data is the point of this module, not look-alike typos:
# ruff: noqa: RUF002

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import Accepted, Outcome, Refused, process
from connectors.sco import COLUMNS, DENY_COLUMN, RELEASE_COLUMN, ScoConnector, country
from connectors.synthetic import get_generator
from gateway.contract import MsgType, ThreatAssessmentAlert, ThreatType, Tlp
from tests.support.connectors import (
    accepted_as,
    check_chain,
    check_lapsed,
    check_revisions,
    check_withdrawn,
    generated_mix,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "connectors" / "sco"
NOW = datetime(2025, 6, 1, tzinfo=UTC)
CONNECTOR = ScoConnector()
GENERATOR = get_generator(CONNECTOR.org)


def run(payload: bytes, source: str = "test") -> list[Outcome]:
    return list(process(CONNECTOR, payload, source, now=NOW))


def accepted(outcomes: list[Outcome]) -> dict[str, ThreatAssessmentAlert]:
    return accepted_as(outcomes, ThreatAssessmentAlert)


SAMPLE = accepted(run(CONNECTOR.sample_path().read_bytes()))


def test_sample_maps_every_row() -> None:
    """The shipped register gives four threat assessments keyed by SCO and the RATS number."""
    assert set(SAMPLE) == {
        "SCO:RATS-2024-0153", "SCO:RATS-2023-0987", "SCO:RATS-2024-0201", "SCO:RATS-2022-0042",
    }  # fmt: skip


def test_assessment_fields_in_russian() -> None:
    """Russian title, multi-line summary, threat type, regions and country names are mapped."""
    alert = SAMPLE["SCO:RATS-2024-0153"]
    threat = alert.subject
    assert threat is not None
    assert threat.title == "Возвращение иностранных боевиков-террористов из Сирии и Ирака"
    assert threat.summary.count("\n") == 1
    assert threat.threat_type is ThreatType.TERRORISM
    assert threat.regions == ("Центральная Азия", "Ближний Восток")
    assert threat.countries == ("UZB", "TJK", "KGZ", "TKM", "SYR", "IRQ")
    assert threat.valid_from == datetime(2024, 3, 11, 19, 0, tzinfo=UTC)  # 12.03.2024, Tashkent
    assert threat.valid_until == datetime(2025, 3, 12, 18, 59, 59, tzinfo=UTC)
    env = alert.envelope
    assert (env.originating_country, env.tlp, env.version) == ("UZB", Tlp.GREEN, 1)
    assert env.msg_type is MsgType.ALERT


def test_amended_row_is_an_update_and_withdrawn_a_cancel() -> None:
    """изменён at revision 2 updates revision 1; отозван at revision 3 cancels without subject."""
    update = SAMPLE["SCO:RATS-2023-0987"]
    assert (update.envelope.msg_type, update.envelope.version) == (MsgType.UPDATE, 2)
    assert update.envelope.originating_country == "RUS"  # from Россия
    assert update.subject is not None
    assert update.subject.threat_type is ThreatType.DRUG_TRAFFICKING
    assert update.subject.valid_until is None
    cancel = SAMPLE["SCO:RATS-2022-0042"]
    assert (cancel.envelope.msg_type, cancel.envelope.version) == (MsgType.CANCEL, 3)
    assert cancel.subject is None


def test_valid_from_defaults_to_issue_date() -> None:
    """Without Действует с, validity starts when the assessment was issued."""
    alert = SAMPLE["SCO:RATS-2024-0201"]
    assert alert.subject is not None
    assert alert.subject.valid_from == alert.envelope.issued_at
    assert alert.subject.countries == ("KAZ", "RUS", "CHN")
    assert alert.envelope.tlp is Tlp.CLEAR


def test_windows_1251_export_is_read() -> None:
    """A register saved in Windows-1251 gives the same alert as its UTF-8 row."""
    alerts = accepted(run((FIXTURES / "valid" / "windows1251.tsv").read_bytes()))
    assert alerts["SCO:RATS-2023-0987"].subject == SAMPLE["SCO:RATS-2023-0987"].subject


def test_russian_country_names() -> None:
    """Short, official and stressed Russian names resolve; ISO codes pass through."""
    assert country("Киргизия", "x") == "KGZ"
    assert country("Исламская Республика Иран", "x") == "IRN"  # the catalogue writes Респу́блика
    assert country("Российская Федерация", "x") == "RUS"
    assert country("kz", "x") == "KAZ"


@pytest.mark.parametrize(
    ("name", "kind"), [("wanted_person.tsv", "WANTED_PERSON"), ("shipment.tsv", "COMMODITY")]
)
def test_operational_rows_are_refused_as_observer_operational(name: str, kind: str) -> None:
    """A wanted-person or shipment row maps to its kind and is refused with observer_operational."""
    (refused,) = run((FIXTURES / "broken" / name).read_bytes())
    assert isinstance(refused, Refused)
    assert refused.kind == kind
    assert [r.code for r in refused.quarantine.reasons] == ["observer_operational"]


def test_unmappable_operational_row_still_says_observer_operational() -> None:
    """A wanted-person row too broken to map is refused first for being operational."""
    (refused,) = run((FIXTURES / "broken" / "wanted_person_unmappable.tsv").read_bytes())
    assert isinstance(refused, Refused)
    codes = [(r.path, r.code) for r in refused.quarantine.reasons]
    assert codes == [("Тип", "observer_operational"), ("Фамилия", "missing_field")]


def test_truncated_register_is_refused_not_half_published() -> None:
    """A register cut in its last row refuses that row instead of publishing what is left."""
    payload = CONNECTOR.sample_path().read_bytes()
    cut = payload[: payload.rindex(b"\t") - 2]  # inside the last row's final cells
    outcomes = run(cut)
    assert [type(o) for o in outcomes] == [Accepted, Accepted, Accepted, Refused]
    last = outcomes[-1]
    assert isinstance(last, Refused)
    assert [r.code for r in last.quarantine.reasons] == ["bad_row"]


def test_quarantined_row_keeps_header_and_row() -> None:
    """The original bytes of a refused row are the header and that row, in UTF-8."""
    (refused,) = run((FIXTURES / "broken" / "bad_date.tsv").read_bytes())
    assert isinstance(refused, Refused)
    lines = refused.quarantine.original.decode().split("\n")
    assert lines[0].split("\t") == list(COLUMNS)
    assert lines[1].startswith("RATS-2024-0153\t")


BROKEN = {
    "wanted_person.tsv": ("map", "observer_operational", ""),
    "wanted_person_unmappable.tsv": ("map", "observer_operational", "Тип"),
    "shipment.tsv": ("map", "observer_operational", ""),
    "missing_column.tsv": ("split", "missing_column", "Тип"),
    "unknown_threat_type.tsv": ("map", "unknown_threat_type", "Угроза"),
    "bad_date.tsv": ("map", "bad_date", "Дата"),
    "unknown_country.tsv": ("map", "unknown_country", "Страна"),
    "too_many_cells.tsv": ("parse", "bad_row", ""),
    "unknown_type.tsv": ("map", "unknown_type", "Тип"),
    "unknown_tlp.tsv": ("map", "unknown_tlp", "Гриф"),
    "validity_end_before_start.tsv": (
        "validate", "validity_end_before_start", "subject.valid_until",
    ),
    "empty.tsv": ("split", "empty_payload", ""),
}  # fmt: skip


def test_every_broken_fixture_is_listed() -> None:
    """Each broken fixture on disk has an expected outcome in this test module."""
    assert {p.name for p in (FIXTURES / "broken").iterdir()} == set(BROKEN)


@pytest.mark.parametrize(("name", "expected"), sorted(BROKEN.items()))
def test_broken_fixture_is_refused(name: str, expected: tuple[str, str, str]) -> None:
    """Each broken fixture ends in quarantine with its stage, reason code and field path."""
    (refused,) = run((FIXTURES / "broken" / name).read_bytes(), name)
    assert isinstance(refused, Refused)
    stage, code, path = expected
    assert refused.quarantine.stage == stage
    assert (path, code) in [(r.path, r.code) for r in refused.quarantine.reasons]
    assert refused.quarantine.org == "SCO"


def test_generator_is_valid_and_deterministic() -> None:
    """Generated registers are fully accepted threat assessments, repeatable by seed."""
    payload = GENERATOR.generate(random.Random(9), 200, NOW)
    assert payload == GENERATOR.generate(random.Random(9), 200, NOW)
    alerts = accepted(run(payload))
    assert len(alerts) == 200
    types = {a.subject.threat_type for a in alerts.values() if a.subject is not None}
    assert {ThreatType.TERRORISM, ThreatType.DRUG_TRAFFICKING} <= types


def _assert_all_explained(outcomes: list[Outcome]) -> None:
    assert outcomes
    for o in outcomes:
        assert isinstance(o, Accepted | Refused)
        if isinstance(o, Refused):
            assert o.quarantine.reasons
            assert all(r.code for r in o.quarantine.reasons)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    """Any bytes end as outcomes, each refusal with a reason; process never raises."""
    _assert_all_explained(run(data))


_SAMPLE_ROWS = list(
    csv.reader(io.StringIO(CONNECTOR.sample_path().read_text(encoding="utf-8-sig")), delimiter="\t")
)
_VALUES = st.text(max_size=20) | st.sampled_from(
    ["розыск", "груз", "31.13.2024", "Атлантида", "КРАСНЫЙ", '"', "\t", "0", "-1"]
)


@settings(max_examples=250, deadline=None)
@given(
    st.integers(1, len(_SAMPLE_ROWS) - 1), st.integers(0, len(COLUMNS) - 1), _VALUES, st.booleans()
)
def test_mutated_row_never_crashes(index: int, column: int, value: str, windows: bool) -> None:
    """A sample row with any cell replaced, in either encoding, is accepted or refused."""
    row = list(_SAMPLE_ROWS[index])
    row[column] = value
    out = io.StringIO()
    csv.writer(out, delimiter="\t").writerows([_SAMPLE_ROWS[0], row])
    text = out.getvalue()
    payload = text.encode("cp1251", errors="replace") if windows else text.encode()
    _assert_all_explained(run(payload))


# --- revisions (Connector.revise) --------------------------------------------------------


def test_revisions_keep_the_id_raise_the_version_and_narrow() -> None:
    """Each generated assessment revised each way is an UPDATE or CANCEL of the same number,
    a higher version, RED with named members, and a narrowing that reaches fewer members."""
    payload = GENERATOR.generate(random.Random(21), 60, NOW)
    assert check_revisions(CONNECTOR, payload, NOW, seed=1) > 30


def test_revisions_of_revisions_at_the_same_instant() -> None:
    """Revising a revision again within the same second still raises the version."""
    check_chain(CONNECTOR, GENERATOR.generate(random.Random(22), 10, NOW), NOW, seed=2)


def test_lapsed_assessment_is_renewed_by_an_amendment_and_still_withdrawn() -> None:
    """An assessment revised after its short validity lapsed is renewed, or withdrawn cleanly."""
    payload = GENERATOR.generate(random.Random(23), 300, NOW)
    assert check_lapsed(CONNECTOR, payload, NOW, seed=3) > 0


def test_generator_expires_some_assessments_soon() -> None:
    """About 3 % of generated assessments expire within two minutes, to the second."""
    alerts, _, _, short = generated_mix(
        CONNECTOR, GENERATOR.generate(random.Random(24), 3000, NOW), NOW
    )
    assert 0.01 * alerts <= short <= 0.06 * alerts


def test_revision_is_written_the_sco_way() -> None:
    """A revision raises Редакция; RED is КРАСНЫЙ with Рассылка; a cancel is отозван."""
    (record,) = list(CONNECTOR.split(GENERATOR.generate(random.Random(25), 1, NOW), "t"))
    revision = int(_cells(record.data)["Редакция"])
    rng = random.Random(4)
    red = _cells(GENERATOR.revise(rng, record, NOW, "raise_red"))
    assert (red["Редакция"], red["Статус"], red["Гриф"]) == (
        str(revision + 1),
        "изменён",
        "КРАСНЫЙ",
    )
    assert 1 <= len(red[RELEASE_COLUMN].split(";")) <= 2
    cancel = _cells(GENERATOR.revise(rng, record, NOW, "cancel"))
    assert (cancel["Редакция"], cancel["Статус"]) == (str(revision + 1), "отозван")


def test_release_deny_and_validity_time_are_read() -> None:
    """Рассылка and Не передавать become the release and deny lists; a time in Действует до
    is the Tashkent time the assessment expires."""
    header = [*COLUMNS, RELEASE_COLUMN, DENY_COLUMN]
    row = ["RATS-2025-1", "2", "изменён", "оценка угрозы", "UZ", "01.05.2025", "ЖЁЛТЫЙ",
           "Заголовок", "Резюме", "терроризм", "", "", "", "01.06.2025 12:01:30",
           "Казахстан; KG", "Россия"]  # fmt: skip
    out = io.StringIO()
    csv.writer(out, delimiter="\t").writerows([header, row])
    (alert,) = accepted(run(out.getvalue().encode())).values()
    assert alert.envelope.release_to_countries == ("KAZ", "KGZ")
    assert alert.envelope.deny_countries == ("RUS",)
    assert alert.envelope.expires_at == datetime(2025, 6, 1, 7, 1, 30, tzinfo=UTC)  # Tashkent +5


def _cells(payload: bytes) -> dict[str, str]:
    header, row = list(csv.reader(io.StringIO(payload.decode("utf-8-sig")), delimiter="\t"))
    return dict(zip(header, row, strict=True))


def test_withdrawn_sample_record_is_only_withdrawn_again() -> None:
    """Revising the sample's withdrawn record any way gives a later withdrawal, never a revival."""
    assert check_withdrawn(CONNECTOR, CONNECTOR.sample_path().read_bytes(), NOW) >= 1
