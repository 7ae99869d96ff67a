"""AIMC connector: bulletins XML in, wanted-person alerts or precise refusals out."""

# Arabic-script test data is the point of this module, not look-alike typos:
# ruff: noqa: RUF003

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from pathlib import Path
from xml.etree.ElementTree import Element, SubElement, tostring

import pytest
from defusedxml.ElementTree import fromstring
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.aimc import AimcConnector
from connectors.base import Accepted, Outcome, Refused, process
from connectors.synthetic import get_generator
from gateway.contract import (
    InformationAccuracy,
    MsgType,
    PartialDate,
    PersonAction,
    PersonCategory,
    Sex,
    SourceReliability,
    Tlp,
    WantedPersonAlert,
)
from tests.support.connectors import (
    accepted_as,
    check_chain,
    check_lapsed,
    check_revisions,
    check_withdrawn,
    generated_mix,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "connectors" / "aimc"
NOW = datetime(2025, 6, 1, tzinfo=UTC)
CONNECTOR = AimcConnector()
GENERATOR = get_generator(CONNECTOR.org)


def run(payload: bytes, source: str = "test") -> list[Outcome]:
    return list(process(CONNECTOR, payload, source, now=NOW))


def accepted(outcomes: list[Outcome]) -> dict[str, WantedPersonAlert]:
    return accepted_as(outcomes, WantedPersonAlert)


SAMPLE = accepted(run(CONNECTOR.sample_path().read_bytes()))


def test_sample_maps_every_bulletin() -> None:
    """The shipped sample gives four alerts keyed by AIMC and the bulletin id."""
    assert set(SAMPLE) == {
        "AIMC:ACPB/2024/00417", "AIMC:ACPB/2024/00502", "AIMC:ACPB/2023/01988",
        "AIMC:ACPB/2022/00033",
    }  # fmt: skip


def test_full_name_split_with_latin_spelling_and_day_first_dates() -> None:
    """The Arabic and Latin full names split at the family name; day-first dates convert."""
    alert = SAMPLE["AIMC:ACPB/2024/00417"]
    person = alert.subject
    assert person is not None
    assert (person.family_name, person.given_names) == ("Al-Zoubi", "Mohammad bin Ali bin Hassan")
    assert (person.family_name_original, person.given_names_original) == (
        "الزعبي",
        "محمد بن علي بن حسن",
    )
    assert person.aliases == ("أبو علي", "Abu Ali", "Muhammad bin Ali bin Hassan Al-Zoubi")
    assert person.date_of_birth == PartialDate(year=1985, month=1, day=3)  # ٠٣/٠١/١٩٨٥
    assert person.nationalities == ("JOR",)  # from the Arabic name الأردن
    assert person.travel_documents[0].issuing_country == "JOR"
    assert person.travel_documents[0].expires_on == date(2029, 8, 15)
    assert person.sex is Sex.MALE
    assert person.action is PersonAction.ARREST
    env = alert.envelope
    assert env.originating_country == "JOR"
    assert env.issued_at == datetime(2024, 3, 11, 7, 0, tzinfo=UTC)  # 1 Ramadan 1445, 10:00 Amman
    assert (env.source_reliability, env.information_accuracy) == (
        SourceReliability.B,
        InformationAccuracy.KNOWN_TO_SOURCE,
    )


def test_terrorist_with_transliterated_name_and_hijri_suffix() -> None:
    """No Latin name: it is transliterated; a هـ-suffixed Hijri birth date converts."""
    person = SAMPLE["AIMC:ACPB/2024/00502"].subject
    assert person is not None
    assert (person.family_name, person.given_names) == (
        "Al-Dulaimi",
        "Abdulrahman bin Khalid bin Omar",
    )
    assert person.date_of_birth == PartialDate(year=1984, month=12, day=4)  # 12 Rabi I 1405
    assert person.nationalities == ("IRQ", "SYR")
    assert person.category is PersonCategory.FOREIGN_TERRORIST_FIGHTER
    assert person.armed
    assert person.violent


def test_amended_missing_person_in_morocco_during_ramadan() -> None:
    """An amended bulletin is an UPDATE; Casablanca's Ramadan offset (UTC+0) is respected."""
    alert = SAMPLE["AIMC:ACPB/2023/01988"]
    assert alert.envelope.msg_type is MsgType.UPDATE
    assert alert.envelope.version == 2
    assert alert.envelope.issued_at == datetime(2024, 4, 2, 16, 45, tzinfo=UTC)
    assert alert.envelope.expires_at is not None
    assert alert.envelope.expires_at.date() == date(2026, 6, 16)  # end of 1 Muharram 1448
    person = alert.subject
    assert person is not None
    assert person.sex is Sex.FEMALE
    assert person.category is PersonCategory.MISSING
    assert (person.family_name, person.given_names) == ("bint Saeed", "Fatima")
    assert person.date_of_birth == PartialDate(year=2009)


def test_cancelled_bulletin_is_an_envelope_only_cancel() -> None:
    """status=cancelled at revision 4 is a CANCEL of version 4 referencing version 3."""
    alert = SAMPLE["AIMC:ACPB/2022/00033"]
    assert (alert.envelope.msg_type, alert.envelope.version) == (MsgType.CANCEL, 4)
    assert alert.envelope.references[0].version == 3
    assert alert.subject is None


def test_single_bulletin_root_with_red_recipients_named_in_arabic() -> None:
    """A bare Bulletin root is accepted; RED recipients may be ISO codes or Arabic names."""
    alert = accepted(run((FIXTURES / "valid" / "single_bulletin.xml").read_bytes()))[
        "AIMC:ACPB/2024/01200"
    ]
    assert alert.envelope.tlp is Tlp.RED
    assert alert.envelope.release_to_countries == ("KWT", "BHR")
    assert alert.envelope.handling_note == "not to be passed to third countries"
    person = alert.subject
    assert person is not None
    assert (person.family_name, person.given_names) == ("Al Saud", "Abd al-Karim Nasser")
    assert person.nationalities == ("SAU",)
    assert person.travel_documents[0].number == "R7654321"  # Arabic-Indic digits normalized
    assert person.date_of_birth == PartialDate(year=1982)
    assert person.action is PersonAction.REFUSE_ENTRY


def test_records_are_the_original_bytes_of_each_bulletin() -> None:
    """Each record is its bulletin cut out of the payload byte for byte, for the quarantine."""
    payload = CONNECTOR.sample_path().read_bytes()
    records = list(CONNECTOR.split(payload, "sample"))
    assert len(records) == 4
    for record in records:
        assert record.data.startswith(b"<Bulletin ")
        assert record.data.endswith(b"</Bulletin>")
        assert record.data in payload


def test_prefixed_namespace_falls_back_to_reserialized_bulletins() -> None:
    """Bulletins under a namespace prefix, which a byte cut would unbind, still map."""
    payload = (
        CONNECTOR.sample_path()
        .read_bytes()
        .replace(b'xmlns="urn:aimc:acpb:bulletins:1"', b'xmlns:b="urn:aimc:acpb:bulletins:1"')
    )
    payload = payload.replace(b"<Bulletin ", b"<b:Bulletin ").replace(
        b"</Bulletin>", b"</b:Bulletin>"
    )
    assert set(accepted(run(payload))) == set(SAMPLE)


def test_rerun_gives_same_keys_versions_and_bytes() -> None:
    """Processing the same document twice yields identical keys, versions and encoded values."""
    payload = CONNECTOR.sample_path().read_bytes()
    first, second = run(payload), run(payload)
    assert [(o.key, o.value) for o in first if isinstance(o, Accepted)] == [
        (o.key, o.value) for o in second if isinstance(o, Accepted)
    ]


BROKEN = {
    "not_xml.xml": ("split", "bad_xml", ""),
    "entity_expansion.xml": ("split", "forbidden_xml", ""),
    "wrong_root.xml": ("split", "unexpected_shape", ""),
    "calendar_conflict.xml": ("map", "calendar_conflict", "Person/BirthDate"),
    "missing_calendar.xml": ("map", "missing_calendar", "Person/BirthDate"),
    "unknown_country_name.xml": ("map", "unknown_country", "Person/Nationality[0]"),
    "not_a_member.xml": ("map", "not_a_member", "Issuer"),
    "no_arabic_name.xml": ("map", "missing_field", "Person/FullName"),
    "unknown_kind.xml": ("map", "unknown_category", "Kind"),
    "bad_revision.xml": ("map", "bad_revision", "Bulletin/@revision"),
    "birth_in_future.xml": ("validate", "birth_in_future", "subject.date_of_birth"),
    "bad_document_type.xml": (
        "validate", "icao_document_code", "subject.travel_documents[0].doc_type",
    ),
}  # fmt: skip


def test_every_broken_fixture_is_listed() -> None:
    """Each broken fixture on disk has an expected outcome in this test module."""
    assert {p.name for p in (FIXTURES / "broken").iterdir()} == set(BROKEN)


@pytest.mark.parametrize(("name", "expected"), sorted(BROKEN.items()))
def test_broken_fixture_is_refused(name: str, expected: tuple[str, str, str]) -> None:
    """Each broken fixture ends in quarantine with its stage, reason code and field path."""
    data = (FIXTURES / "broken" / name).read_bytes()
    (refused,) = run(data, name)
    assert isinstance(refused, Refused)
    stage, code, path = expected
    assert refused.quarantine.stage == stage
    assert (path, code) in [(r.path, r.code) for r in refused.quarantine.reasons]
    assert refused.quarantine.org == "AIMC"
    if stage == "split":
        assert refused.quarantine.original == data


def test_generator_is_valid_deterministic_and_mixed() -> None:
    """Generated documents are fully accepted, unique by id, repeatable, with every kind."""
    payload = GENERATOR.generate(random.Random(5), 300, NOW)
    assert payload == GENERATOR.generate(random.Random(5), 300, NOW)
    alerts = accepted(run(payload))
    assert len(alerts) == 300
    categories = {a.subject.category for a in alerts.values() if a.subject is not None}
    assert {PersonCategory.ARREST_FOR_EXTRADITION, PersonCategory.MISSING} <= categories
    assert PersonCategory.FOREIGN_TERRORIST_FIGHTER in categories


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


def _elements(el: Element, prefix: str = "") -> list[str]:
    out: list[str] = []
    counts: dict[str, int] = {}
    for child in el:
        tag = child.tag  # with its namespace, as find() needs it
        counts[tag] = counts.get(tag, 0) + 1
        path = f"{prefix}/{tag}[{counts[tag]}]"
        out += [path, *_elements(child, path)]
    return out


_BULLETINS = [
    b for b in fromstring(CONNECTOR.sample_path().read_bytes()) if b.tag.endswith("Bulletin")
]
_VALUES = st.text(max_size=20) | st.sampled_from(
    ["١٢/٠٣/١٤٠٥ هـ", "31/02/1405", "م", "السعودية", "XX", "", "1500/12/30", "abc"]
)


@settings(max_examples=250, deadline=None)
@given(st.integers(0, len(_BULLETINS) - 1), st.data())
def test_mutated_bulletin_never_crashes(index: int, data: st.DataObject) -> None:
    """A bulletin with any element's text or attribute replaced is accepted or refused."""
    bulletin = fromstring(tostring(_BULLETINS[index]))
    paths = _elements(bulletin)
    target = bulletin.find("." + data.draw(st.sampled_from(paths)))
    assert target is not None
    value = data.draw(_VALUES.filter(lambda v: all(c.isprintable() for c in v)))
    if data.draw(st.booleans()):
        target.text = value
    else:
        attribute = data.draw(st.sampled_from(["calendar", "country", "revision", "tlp", "sex"]))
        target.set(attribute, value)
    if data.draw(st.booleans()):
        SubElement(bulletin, "Nationality").text = value
    _assert_all_explained(run(tostring(bulletin, encoding="utf-8")))


# --- revisions (Connector.revise) --------------------------------------------------------


def test_revisions_keep_the_id_raise_the_version_and_narrow() -> None:
    """Each generated bulletin revised each way is an UPDATE or CANCEL of the same id, a
    higher version, RED with named states, and a narrowing that reaches fewer states."""
    payload = GENERATOR.generate(random.Random(21), 60, NOW)
    assert check_revisions(CONNECTOR, payload, NOW, seed=1) > 30


def test_revisions_of_revisions_at_the_same_instant() -> None:
    """Revising a revision again within the same second still raises the version."""
    check_chain(CONNECTOR, GENERATOR.generate(random.Random(22), 10, NOW), NOW, seed=2)


def test_lapsed_bulletin_is_renewed_by_an_amendment_and_still_cancelled() -> None:
    """A bulletin revised after its short validity lapsed is renewed, or cancelled cleanly."""
    payload = GENERATOR.generate(random.Random(23), 300, NOW)
    assert check_lapsed(CONNECTOR, payload, NOW, seed=3) > 0


def test_generator_holds_some_persons_for_review_and_expires_some_soon() -> None:
    """About 1.5 % of generated persons have a charge the review holds; ~3 % expire in 2 min."""
    alerts, persons, held, short = generated_mix(
        CONNECTOR, GENERATOR.generate(random.Random(24), 3000, NOW), NOW
    )
    assert 0.005 * persons <= held <= 0.03 * persons
    assert 0.01 * alerts <= short <= 0.06 * alerts


def test_revision_is_written_the_aimc_way() -> None:
    """A revision raises ``@revision``; RED names states in ``ReleaseTo``; a cancel says so."""
    (record,) = list(CONNECTOR.split(GENERATOR.generate(random.Random(25), 1, NOW), "t"))
    revision = int(fromstring(record.data).get("revision"))
    rng = random.Random(4)
    red = fromstring(GENERATOR.revise(rng, record, NOW, "raise_red")).find("Bulletin")
    assert (red.get("revision"), red.get("status")) == (str(revision + 1), "amended")
    assert red.find("Classification").get("tlp") == "RED"
    assert 1 <= len(red.findall("ReleaseTo")) <= 2
    cancel = fromstring(GENERATOR.revise(rng, record, NOW, "cancel")).find("Bulletin")
    assert (cancel.get("revision"), cancel.get("status")) == (str(revision + 1), "cancelled")


def test_deny_and_valid_until_time_are_read() -> None:
    """``Deny`` elements become the deny list; ``ValidUntil/@time`` the local expiry time."""
    bulletin = """<Bulletin id="ACPB/2025/1" revision="2" status="amended">
      <Issuer country="JO"/><IssuedOn calendar="gregorian" time="09:00">01/05/2025</IssuedOn>
      <ValidUntil calendar="gregorian" time="12:01:30">01/06/2025</ValidUntil>
      <Classification tlp="GREEN"/><Deny>سوريا</Deny><Deny>EG</Deny>
      <Person><FullName>محمد بن علي الزعبي</FullName></Person></Bulletin>"""
    (alert,) = accepted(run(bulletin.encode())).values()
    assert alert.envelope.deny_countries == ("SYR", "EGY")
    assert alert.envelope.expires_at == datetime(2025, 6, 1, 9, 1, 30, tzinfo=UTC)  # Amman +3


def test_withdrawn_sample_record_is_only_withdrawn_again() -> None:
    """Revising the sample's withdrawn record any way gives a later withdrawal, never a revival."""
    assert check_withdrawn(CONNECTOR, CONNECTOR.sample_path().read_bytes(), NOW) >= 1
