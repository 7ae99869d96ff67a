"""EUROPOL connector: UMF-style XML in, one alert per person or stolen vehicle, or refusals."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import Accepted, Outcome, Refused, process
from connectors.europol import EuropolConnector
from connectors.synthetic import get_generator
from gateway.contract import (
    AnyAlert,
    CommodityAlert,
    CommodityCategory,
    ConveyanceKind,
    HandlingCode,
    MsgType,
    PartialDate,
    PersonAction,
    PersonCategory,
    Tlp,
    WantedPersonAlert,
)
from tests.support.connectors import accepted_alerts, generated, generated_shares, revise_all

FIXTURES = Path(__file__).parents[1] / "fixtures" / "connectors" / "europol"
NOW = datetime.now(UTC)
CONNECTOR = EuropolConnector()
GENERATOR = get_generator(CONNECTOR.org)


def run(payload: bytes, source: str = "test") -> list[Outcome]:
    return list(process(CONNECTOR, payload, source, now=NOW))


def accepted(outcomes: list[Outcome]) -> dict[str, AnyAlert]:
    return accepted_alerts(outcomes)


SAMPLE = accepted(run(CONNECTOR.sample_path().read_bytes()))


def test_sample_gives_one_alert_per_subject_entity() -> None:
    """Three persons and one stolen vehicle; the unreported, linked vehicle is no alert."""
    assert sorted(SAMPLE) == [
        "EUROPOL:EIS-PER-2022-0009031", "EUROPOL:EIS-PER-2023-0017745",
        "EUROPOL:EIS-PER-2025-0004211", "EUROPOL:EIS-VEH-2025-0000912",
    ]  # fmt: skip


def test_person_carries_linked_document_and_labels() -> None:
    """A person gets the passport its relation points to, names, birth, nationalities, labels."""
    alert = SAMPLE["EUROPOL:EIS-PER-2025-0004211"]
    assert isinstance(alert, WantedPersonAlert)
    person = alert.subject
    assert person is not None
    assert (person.family_name, person.given_names, person.aliases) == (
        "El Amrani", "Youssef", ("Abu Yahya",),
    )  # fmt: skip
    assert person.date_of_birth == PartialDate(year=1994, month=2, day=8)
    assert person.nationalities == ("NLD", "MAR")
    assert person.country_of_birth == "NLD"
    assert person.category is PersonCategory.FOREIGN_TERRORIST_FIGHTER
    assert person.action is PersonAction.DISCREET_CHECK
    (doc,) = person.travel_documents
    assert (doc.doc_type, doc.number, doc.issuing_country) == ("P", "NW92BH7K1", "NLD")
    assert doc.expires_on == date(2029, 6, 3)
    env = alert.envelope
    assert (env.version, env.msg_type, env.tlp) == (1, MsgType.ALERT, Tlp.AMBER)
    assert env.handling_code is HandlingCode.H1
    assert env.originating_country == "NLD"
    assert env.deny_countries == ("RUS",)


def test_revision_makes_an_update_and_entity_labels_override() -> None:
    """Revision 3 is version 3, an UPDATE referencing revision 2; the entity's TLP wins."""
    alert = SAMPLE["EUROPOL:EIS-PER-2023-0017745"]
    assert isinstance(alert, WantedPersonAlert)
    assert alert.envelope.version == 3
    assert alert.envelope.msg_type is MsgType.UPDATE
    assert [(r.alert_id, r.version) for r in alert.envelope.references] == [
        ("EUROPOL:EIS-PER-2023-0017745", 2)
    ]
    assert alert.envelope.tlp is Tlp.GREEN
    assert alert.subject is not None
    assert alert.subject.given_names == "Piotr Kamil"
    assert alert.subject.family_name == "Wiśniewski"
    assert alert.subject.date_of_birth == PartialDate(year=1981, month=11)
    assert alert.subject.armed


def test_withdrawn_person_is_a_cancel() -> None:
    """Status WITHDRAWN gives an envelope-only CANCEL with the entity's revision."""
    alert = SAMPLE["EUROPOL:EIS-PER-2022-0009031"]
    assert alert.envelope.msg_type is MsgType.CANCEL
    assert alert.subject is None
    assert alert.envelope.version == 2


def test_stolen_vehicle_is_a_commodity_alert() -> None:
    """A vehicle reported stolen becomes STOLEN_VEHICLE with its VIN and its plate's country."""
    alert = SAMPLE["EUROPOL:EIS-VEH-2025-0000912"]
    assert isinstance(alert, CommodityAlert)
    assert alert.subject is not None
    assert alert.subject.category is CommodityCategory.STOLEN_VEHICLE
    assert [(c.kind, c.identifier, c.country) for c in alert.subject.conveyances] == [
        (ConveyanceKind.VEHICLE_VIN, "WBA8E9G51GNT84325", None),
        (ConveyanceKind.VEHICLE_PLATE, "B-MK 4471", "DEU"),
    ]
    assert alert.subject.description == "BMW X5 black"


def test_namespace_variants_and_eu_country_codes() -> None:
    """With no namespace or a default one, 'EL' and 'UK' map to GRC and GBR."""
    person = accepted(run((FIXTURES / "valid" / "no_namespace.xml").read_bytes()))
    vehicle = accepted(run((FIXTURES / "valid" / "default_namespace.xml").read_bytes()))
    (p,) = person.values()
    (v,) = vehicle.values()
    assert p.envelope.originating_country == "GRC"
    assert isinstance(p, WantedPersonAlert)
    assert p.subject is not None
    assert p.subject.date_of_birth == PartialDate(year=2008)
    assert isinstance(v, CommodityAlert)
    assert v.subject is not None
    assert v.subject.conveyances[0].country == "GBR"
    assert v.envelope.msg_type is MsgType.UPDATE


BROKEN = {
    "not_xml.xml": ("split", "bad_xml", ""),
    "xxe.xml": ("split", "forbidden_xml", ""),
    "wrong_root.xml": ("split", "unexpected_shape", ""),
    "no_header.xml": ("split", "unexpected_shape", ""),
    "orphan_document.xml": ("map", "orphan_entity", "Entities/Document[@id='d']"),
    "dangling_relation.xml": ("map", "dangling_relation", "Relations/Relation[@to='d9']"),
    "unknown_category.xml": ("map", "unknown_category", "Entities/Person[@id='p']/Category"),
    "bad_birth_date.xml": ("map", "bad_date", "Entities/Person[@id='p']/BirthDate"),
    "no_surname.xml": ("map", "missing_field", "Entities/Person[@id='p']/Name[@type='surname']"),
    "bad_vin.xml": ("validate", "vin_check_digit", "subject.conveyances[0].identifier"),
    "bad_document_type.xml": (
        "validate", "icao_document_code", "subject.travel_documents[0].doc_type",
    ),
    "withdrawn_first_revision.xml": ("validate", "version_not_after_first", "envelope.version"),
}  # fmt: skip


def test_every_broken_fixture_is_listed() -> None:
    """Each broken fixture on disk has an expected outcome here."""
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
    if stage == "split":
        assert refused.quarantine.original == data
    else:
        assert refused.quarantine.original.startswith(b"<Message>")


def test_generator_is_valid_deterministic_and_mixed() -> None:
    """Generated messages are fully accepted, unique by id, persons and vehicles mixed."""
    payload = GENERATOR.generate(random.Random(4), 300, NOW)
    assert payload == GENERATOR.generate(random.Random(4), 300, NOW)
    alerts = accepted(run(payload))
    assert len(alerts) == 300
    kinds = {type(a) for a in alerts.values()}
    assert kinds == {WantedPersonAlert, CommodityAlert}
    assert any(a.envelope.msg_type is MsgType.CANCEL for a in alerts.values())


def test_rerun_is_identical() -> None:
    """The same message processed twice gives the same keys and encoded values."""
    payload = CONNECTOR.sample_path().read_bytes()
    first = [(o.key, o.value) for o in run(payload) if isinstance(o, Accepted)]
    assert first == [(o.key, o.value) for o in run(payload) if isinstance(o, Accepted)]


ELEMENTS = ["EntityId", "Revision", "Status", "Modified", "Category", "Gender", "BirthDate",
            "Nationality", "Tlp", "VIN", "Plate", "Number", "DocumentType", "IssuingCountry",
            "OriginatingCountry", "HandlingCode", "InformationAccuracy", "ExpiryDate"]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ELEMENTS), st.text(max_size=30), st.integers(0, 5))
def test_mutated_element_text_never_crashes(element: str, text: str, which: int) -> None:
    """Replacing any element's text by any string gives accepted or reasoned refusals only."""
    from xml.sax.saxutils import escape  # noqa: PLC0415  # only this test escapes text

    sample = CONNECTOR.sample_path().read_text(encoding="utf-8")
    opening = f"<umf:{element}"
    parts = sample.split(opening)
    if len(parts) > 1:
        index = 1 + which % (len(parts) - 1)
        head, _, rest = parts[index].partition(">")
        _, _, tail = rest.partition("<")
        cleaned = "".join(c for c in text if c.isprintable())
        parts[index] = f"{head}>{escape(cleaned)}<{tail}"
    for outcome in run(opening.join(parts).encode()):
        if isinstance(outcome, Refused):
            assert outcome.quarantine.reasons


# --- revisions (Connector.revise) ----------------------------------------------------------


def test_revisions_update_narrow_raise_red_and_cancel() -> None:
    """Every change to a generated entity is one UPDATE or CANCEL of its id at a higher version."""
    seen = revise_all(CONNECTOR, generated(CONNECTOR, 40, NOW), NOW)
    assert seen["chains"] >= 30


def test_revision_is_the_mini_message_at_the_next_revision() -> None:
    """A narrowing is the subject's mini message at Revision n+1 with its own Deny or ReleaseTo."""
    from defusedxml.ElementTree import fromstring  # noqa: PLC0415  # only this test reads XML

    original = generated(CONNECTOR, 1, NOW)[0]
    payload = GENERATOR.revise(random.Random(4), original.record, NOW, "narrow")
    subject = fromstring(payload).find("Entities/*")
    assert subject is not None
    assert subject.findtext("Revision") == str(original.alert.envelope.version + 1)
    assert subject.findtext("Status") == "ACTIVE"
    assert subject.find("Deny") is not None or subject.find("ReleaseTo") is not None
    cancel = GENERATOR.revise(random.Random(4), original.record, NOW, "cancel")
    assert b"<Status>WITHDRAWN</Status>" in cancel


def test_generator_sends_review_held_persons_and_short_expiries() -> None:
    """About 1-2 % of generated persons wait for review; a few percent expire within minutes."""
    held, short = generated_shares(CONNECTOR, NOW)
    assert 0.004 <= held <= 0.035
    assert 0.01 <= short <= 0.06
