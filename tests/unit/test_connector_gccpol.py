"""GCCPOL connector: circulars JSON in, person and commodity alerts or precise refusals out."""

# Arabic-script test data is the point of this module, not look-alike typos:
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import Accepted, Outcome, Refused, process
from connectors.gccpol import GccpolConnector, plate_latin
from connectors.synthetic import get_generator
from gateway.contract import (
    AnyAlert,
    CommodityAction,
    CommodityAlert,
    ConveyanceKind,
    DrugType,
    HandlingCode,
    MsgType,
    PartialDate,
    PersonAction,
    PersonCategory,
    QuantityUnit,
    Sex,
    Tlp,
    WantedPersonAlert,
)
from tests.support.connectors import (
    accepted_alerts,
    check_chain,
    check_lapsed,
    check_revisions,
    check_withdrawn,
    generated_mix,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "connectors" / "gccpol"
NOW = datetime(2025, 6, 1, tzinfo=UTC)
CONNECTOR = GccpolConnector()
GENERATOR = get_generator(CONNECTOR.org)


def run(payload: bytes, source: str = "test") -> list[Outcome]:
    return list(process(CONNECTOR, payload, source, now=NOW))


def accepted(outcomes: list[Outcome]) -> dict[str, AnyAlert]:
    return accepted_alerts(outcomes)


SAMPLE = accepted(run(CONNECTOR.sample_path().read_bytes()))


def person_of(alert_id: str) -> WantedPersonAlert:
    alert = SAMPLE[alert_id]
    assert isinstance(alert, WantedPersonAlert)
    return alert


def test_sample_maps_every_circular() -> None:
    """The shipped sample gives five alerts keyed by GCCPOL and the circular number."""
    assert set(SAMPLE) == {
        "GCCPOL:GCC-SA-1445-000123", "GCCPOL:GCC-AE-2024-000077", "GCCPOL:GCC-KW-2024-000310",
        "GCCPOL:GCC-SA-1444-000999", "GCCPOL:GCC-QA-2024-000045",
    }  # fmt: skip


def test_hijri_dates_and_supplied_latin_spelling() -> None:
    """Hijri birth and issue dates convert (Riyadh time to UTC); the source's spelling is kept."""
    alert = person_of("GCCPOL:GCC-SA-1445-000123")
    person = alert.subject
    assert person is not None
    assert (person.family_name, person.given_names) == ("Al-Otaibi", "Fahad Abdullah Mohammed")
    assert (person.family_name_original, person.given_names_original) == (
        "العتيبي",
        "فهد عبدالله محمد",
    )
    assert person.name_script == "Arab"
    assert "Fahad Abdullah Muhammad Al-Otaibi" in person.aliases  # the machine spelling too
    assert person.date_of_birth == PartialDate(year=1984, month=12, day=4)  # 12 Rabi I 1405
    assert person.nationalities == ("SAU",)
    assert person.travel_documents[0].expires_on == date(2028, 5, 25)  # 1 Muharram 1450
    assert person.sex is Sex.MALE
    env = alert.envelope
    assert env.issued_at == datetime(2024, 3, 11, 7, 30, tzinfo=UTC)  # 1 Ramadan 1445, 10:30 AST
    assert env.originating_country == "SAU"
    assert (env.version, env.msg_type, env.references) == (1, MsgType.ALERT, ())
    assert (env.tlp, env.handling_code) == (Tlp.AMBER, HandlingCode.H1)


def test_transliterated_when_no_latin_and_revision_two_is_an_update() -> None:
    """Without a Latin spelling the names are transliterated; revision 2 updates revision 1."""
    alert = person_of("GCCPOL:GCC-AE-2024-000077")
    person = alert.subject
    assert person is not None
    assert (person.family_name, person.given_names) == ("Al-Kaabi", "Khalid Saeed Ali")
    assert person.aliases == ("أبو حمزة", "Abu Hamza")
    assert person.date_of_birth == PartialDate(year=1988, month=3, day=8)  # ١٤٠٨-٠٧-٢٠ AH
    assert person.category is PersonCategory.FOREIGN_TERRORIST_FIGHTER
    assert person.armed
    assert person.violent
    assert alert.envelope.issued_at == datetime(2024, 5, 14, 5, 0, tzinfo=UTC)  # Dubai +4
    assert alert.envelope.msg_type is MsgType.UPDATE
    assert [(r.alert_id, r.version) for r in alert.envelope.references] == [
        ("GCCPOL:GCC-AE-2024-000077", 1)
    ]


def test_captagon_commodity_with_arabic_plate() -> None:
    """Captagon is amphetamine-type in tablets; the Saudi plate reads in Latin, route by LOCODE."""
    alert = SAMPLE["GCCPOL:GCC-KW-2024-000310"]
    assert isinstance(alert, CommodityAlert)
    goods = alert.subject
    assert goods is not None
    assert goods.drug_type is DrugType.AMPHETAMINE_TYPE
    assert goods.quantity is not None
    assert (goods.quantity.amount, goods.quantity.unit) == (1_200_000, QuantityUnit.TABLET)
    container, plate = goods.conveyances
    assert (container.kind, container.identifier) == (ConveyanceKind.CONTAINER, "MSCU7034816")
    assert (plate.kind, plate.identifier, plate.country) == (
        ConveyanceKind.VEHICLE_PLATE,
        "4567 J B A",
        "SAU",
    )
    assert goods.route is not None
    assert goods.route.countries() == ("SYR", "JOR", "SAU")
    assert goods.route.destination is not None
    assert goods.route.destination.locode == "SAJED"
    assert goods.action is CommodityAction.CONTROLLED_DELIVERY


def test_withdrawn_circular_is_an_envelope_only_cancel() -> None:
    """state=withdrawn at revision 3 is a CANCEL of version 3 without subject."""
    alert = person_of("GCCPOL:GCC-SA-1444-000999")
    assert (alert.envelope.msg_type, alert.envelope.version) == (MsgType.CANCEL, 3)
    assert alert.subject is None


def test_red_with_recipients_and_name_without_family() -> None:
    """TLP:RED keeps its recipients; a name chain without family uses its last name as surname."""
    alert = person_of("GCCPOL:GCC-QA-2024-000045")
    assert alert.envelope.tlp is Tlp.RED
    assert alert.envelope.release_to_countries == ("SAU", "ARE")
    assert alert.envelope.handling_note == "not to be used in court"
    person = alert.subject
    assert person is not None
    assert (person.family_name, person.given_names) == ("Jassim", "Nasser Hamad")
    assert person.date_of_birth == PartialDate(year=1990)  # 1410 AH, mostly in 1990
    assert person.action is PersonAction.DISCREET_CHECK


def test_bare_list_with_arabic_digits_and_cash() -> None:
    """A bare list is accepted; Arabic-Indic issue dates convert; cash keeps its currency."""
    alerts = accepted(run((FIXTURES / "valid" / "bare_list.json").read_bytes()))
    missing = alerts["GCCPOL:GCC-OM-2024-000501"]
    assert isinstance(missing, WantedPersonAlert)
    assert missing.subject is not None
    assert missing.subject.category is PersonCategory.MISSING
    assert missing.subject.sex is Sex.FEMALE
    assert missing.subject.family_name == "Al-Balushi"
    assert missing.envelope.issued_at == datetime(2024, 5, 28, 4, 0, tzinfo=UTC)  # Muscat +4
    cash = alerts["GCCPOL:GCC-BH-2024-000019"]
    assert isinstance(cash, CommodityAlert)
    assert cash.subject is not None
    assert cash.subject.quantity is not None
    assert cash.subject.quantity.currency == "USD"
    assert cash.envelope.tlp is Tlp.AMBER_STRICT


def test_plate_latin() -> None:
    """Arabic plate letters map to their printed Latin counterparts, digits to ASCII."""
    assert plate_latin("١٢٣٤ ح ب ا") == "1234 J B A"
    assert plate_latin("٧٧ ص ط م") == "77 X T Z"


def test_rerun_gives_same_keys_versions_and_bytes() -> None:
    """Processing the same export twice yields identical keys, versions and encoded values."""
    payload = CONNECTOR.sample_path().read_bytes()
    first, second = run(payload), run(payload)
    assert [(o.key, o.value) for o in first if isinstance(o, Accepted)] == [
        (o.key, o.value) for o in second if isinstance(o, Accepted)
    ]


BROKEN = {
    "not_json.json": ("split", "bad_json", ""),
    "wrong_shape.json": ("split", "unexpected_shape", "circulars"),
    "missing_calendar.json": ("map", "missing_calendar", "person.dob.calendar"),
    "unknown_calendar.json": ("map", "unknown_calendar", "person.dob.calendar"),
    "bad_hijri_day.json": ("map", "bad_date", "person.dob.value"),
    "hijri_out_of_range.json": ("map", "date_out_of_range", "person.dob.value"),
    "not_a_member.json": ("map", "not_a_member", "issuing_state"),
    "latin_in_arabic_name.json": ("map", "not_arabic_script", "person.name.ar.given"),
    "unknown_substance.json": ("map", "unknown_substance", "commodity.substance"),
    "unknown_type.json": ("map", "unknown_type", "type"),
    "bad_container_check_digit.json": (
        "validate", "container_check_digit", "subject.conveyances[0].identifier",
    ),
    "cancel_first_revision.json": ("validate", "version_not_after_first", "envelope.version"),
    "red_without_recipients.json": (
        "validate", "red_without_recipients", "envelope.release_to_countries",
    ),
    "birth_in_future.json": ("validate", "birth_in_future", "subject.date_of_birth"),
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
    assert refused.quarantine.org == "GCCPOL"
    if stage == "split":
        assert refused.quarantine.original == data


def test_refusal_never_quotes_personal_data() -> None:
    """Reasons name the field, not its value: no name or birth date appears in them."""
    (refused,) = run((FIXTURES / "broken" / "latin_in_arabic_name.json").read_bytes())
    assert isinstance(refused, Refused)
    text = " ".join(f"{r.path} {r.message}" for r in refused.quarantine.reasons)
    assert "Fahad" not in text
    assert "1405" not in text


def test_generator_is_valid_deterministic_and_mixed() -> None:
    """Generated exports are fully accepted, unique by id, repeatable, with persons and goods."""
    payload = GENERATOR.generate(random.Random(11), 400, NOW)
    assert payload == GENERATOR.generate(random.Random(11), 400, NOW)
    alerts = accepted(run(payload))
    assert len(alerts) == 400
    kinds = [type(a) for a in alerts.values()]
    assert kinds.count(WantedPersonAlert) > kinds.count(CommodityAlert) > 0
    tlps = [a.envelope.tlp for a in alerts.values()]
    assert tlps.count(Tlp.GREEN) + tlps.count(Tlp.AMBER) > len(tlps) * 0.7
    persons = [a.subject for a in alerts.values() if isinstance(a, WantedPersonAlert)]
    assert all(p is not None and p.name_script == "Arab" for p in persons)


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


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["hijri", "gregorian", "١٤٤٥-٠٩-٠١", "1445-13-01", "SA", "IR"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
CIRCULARS: list[dict[str, Any]] = orjson.loads(CONNECTOR.sample_path().read_bytes())["circulars"]


def _paths(obj: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for key, value in obj.items():
            out += _paths(value, (*prefix, key))
    return out


def _replace(obj: Any, path: tuple[str, ...], value: Any) -> Any:
    if not path:
        return value
    if not isinstance(obj, dict):
        return obj
    return {**obj, path[0]: _replace(obj.get(path[0]), path[1:], value)}


PATHS = sorted({p for c in CIRCULARS for p in _paths(c)})


@settings(max_examples=250, deadline=None)
@given(st.sampled_from(CIRCULARS), st.sampled_from(PATHS), json_values)
def test_mutated_circular_never_crashes(
    circular: dict[str, Any], path: tuple[str, ...], value: Any
) -> None:
    """A circular with any nested field replaced by any JSON value is accepted or refused."""
    _assert_all_explained(run(orjson.dumps({"circulars": [_replace(circular, path, value)]})))


# --- revisions (Connector.revise) --------------------------------------------------------


def test_revisions_keep_the_id_raise_the_version_and_narrow() -> None:
    """Each generated circular revised each way is an UPDATE or CANCEL of the same id, a
    higher version, RED with named states, and a narrowing that reaches fewer states."""
    payload = GENERATOR.generate(random.Random(21), 60, NOW)
    assert check_revisions(CONNECTOR, payload, NOW, seed=1) > 30


def test_revisions_of_revisions_at_the_same_instant() -> None:
    """Revising a revision again within the same second still raises the version."""
    check_chain(CONNECTOR, GENERATOR.generate(random.Random(22), 10, NOW), NOW, seed=2)


def test_lapsed_circular_is_renewed_by_an_update_and_still_withdrawn() -> None:
    """A circular revised after its short validity lapsed is renewed, or withdrawn cleanly."""
    payload = GENERATOR.generate(random.Random(23), 300, NOW)
    assert check_lapsed(CONNECTOR, payload, NOW, seed=3) > 0


def test_generator_holds_some_persons_for_review_and_expires_some_soon() -> None:
    """About 1.5 % of generated persons have an offence the review holds; ~3 % expire in 2 min."""
    alerts, persons, held, short = generated_mix(
        CONNECTOR, GENERATOR.generate(random.Random(24), 3000, NOW), NOW
    )
    assert 0.005 * persons <= held <= 0.03 * persons
    assert 0.01 * alerts <= short <= 0.06 * alerts


def test_revision_is_written_the_gccpol_way() -> None:
    """A revision raises ``revision``; RED names states in ``release_to``; a cancel withdraws."""
    (record,) = list(CONNECTOR.split(GENERATOR.generate(random.Random(25), 1, NOW), "t"))
    original = orjson.loads(record.data)
    rng = random.Random(4)
    red = orjson.loads(GENERATOR.revise(rng, record, NOW, "raise_red"))["circulars"][0]
    assert red["revision"] == original["revision"] + 1
    assert red["classification"]["tlp"] == "TLP:RED"
    assert 1 <= len(red["classification"]["release_to"]) <= 2
    cancel = orjson.loads(GENERATOR.revise(rng, record, NOW, "cancel"))["circulars"][0]
    assert (cancel["state"], cancel["revision"]) == ("withdrawn", original["revision"] + 1)


def test_withdrawn_sample_record_is_only_withdrawn_again() -> None:
    """Revising the sample's withdrawn record any way gives a later withdrawal, never a revival."""
    assert check_withdrawn(CONNECTOR, CONNECTOR.sample_path().read_bytes(), NOW) >= 1
