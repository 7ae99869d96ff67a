"""AMERIPOL connector: Spanish JSON with two surnames in, alerts or precise refusals out."""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.ameripol import AmeripolConnector
from connectors.base import Accepted, Outcome, Refused, process
from connectors.synthetic import get_generator
from gateway.contract import (
    CommodityAction,
    CommodityAlert,
    ConveyanceKind,
    DrugType,
    MsgType,
    PartialDate,
    PersonAction,
    PersonCategory,
    QuantityUnit,
    Reference,
    Sex,
    Status,
    Tlp,
    WantedPersonAlert,
)
from tests.support.connectors import generated, generated_shares, revise_all

FIXTURES = Path(__file__).parents[1] / "fixtures" / "connectors" / "ameripol"
NOW = datetime(2025, 3, 15, tzinfo=UTC)
CONNECTOR = AmeripolConnector()
GENERATOR = get_generator(CONNECTOR.org)
SAMPLE = CONNECTOR.sample_path().read_bytes()


def run(payload: bytes, now: datetime = NOW) -> list[Outcome]:
    return list(process(CONNECTOR, payload, "test", now=now))


def alerts() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for outcome in run(SAMPLE):
        assert isinstance(outcome, Accepted), outcome
        out[outcome.alert.envelope.alert_id] = outcome.alert
    return out


def person(alert_id: str) -> WantedPersonAlert:
    alert = alerts()[alert_id]
    assert isinstance(alert, WantedPersonAlert)
    assert alert.subject is not None
    return alert


def test_sample_maps_every_alert_with_versions_from_revisions() -> None:
    """The sample's four alerts map to ids, versions and message types from estado/revision."""
    found = {
        a.envelope.alert_id: (a.envelope.version, a.envelope.msg_type) for a in alerts().values()
    }
    assert found == {
        "AMERIPOL:COL-2025-004217": (1, MsgType.ALERT),
        "AMERIPOL:BRA-2025-000388": (2, MsgType.UPDATE),
        "AMERIPOL:ECU-2025-001502": (1, MsgType.ALERT),
        "AMERIPOL:PER-2024-009931": (3, MsgType.CANCEL),
    }


def test_spanish_surnames_are_paternal_then_maternal_with_paternal_alias() -> None:
    """Both surnames form the family name; the paternal-only full name is kept as an alias."""
    subject = person("AMERIPOL:COL-2025-004217").subject
    assert subject is not None
    assert subject.family_name == "Ramírez de la Cruz"
    assert subject.given_names == "Jhon Jairo"
    assert subject.aliases == ("El Paisa", "Jhon Jairo Ramírez")


def test_brazilian_surnames_put_the_mother_first() -> None:
    """A Brazilian record prints the maternal surname first, as Brazilian documents do."""
    subject = person("AMERIPOL:BRA-2025-000388").subject
    assert subject is not None
    assert subject.family_name == "Gonçalves Ferreira"
    assert subject.aliases == ("Ana Paula Ferreira",)
    assert subject.nationalities == ("BRA", "PRT")


def test_explicit_surname_order_wins_over_the_country_default() -> None:
    """orden_apellidos MATERNO_PATERNO reverses the surnames for a Uruguayan record."""
    (outcome,) = run((FIXTURES / "valid" / "explicit_order.json").read_bytes())
    assert isinstance(outcome, Accepted)
    assert isinstance(outcome.alert, WantedPersonAlert)
    assert outcome.alert.subject is not None
    assert outcome.alert.subject.family_name == "de la Cruz Ramírez"


def test_a_single_surname_needs_no_extra_alias() -> None:
    """With only the paternal surname it is the family name and no alias is invented."""
    (outcome,) = run((FIXTURES / "valid" / "single_surname.json").read_bytes())
    assert isinstance(outcome, Accepted)
    assert isinstance(outcome.alert, WantedPersonAlert)
    assert outcome.alert.subject is not None
    assert outcome.alert.subject.family_name == "Ramírez"
    assert outcome.alert.subject.aliases == ("El Paisa",)
    assert outcome.alert.envelope.originating_country == "CHL"


def test_person_fields_are_converted_to_the_contract() -> None:
    """dd/mm/yyyy dates, alpha-2 countries, document, description and flags are converted."""
    alert = person("AMERIPOL:COL-2025-004217")
    subject, env = alert.subject, alert.envelope
    assert subject is not None
    assert subject.date_of_birth == PartialDate(year=1981, month=2, day=7)
    assert subject.sex is Sex.MALE
    assert (subject.country_of_birth, subject.nationalities) == ("COL", ("COL",))
    (doc,) = subject.travel_documents
    assert (doc.doc_type, doc.number, doc.issuing_country) == ("P", "AV4471902", "COL")
    assert (doc.issued_on, doc.expires_on) == (
        datetime(2019, 5, 12).date(),
        datetime(2029, 5, 11).date(),
    )
    assert subject.physical_description is not None
    assert subject.physical_description.height_cm == 176
    assert subject.category is PersonCategory.ARREST_FOR_EXTRADITION
    assert subject.action is PersonAction.ARREST
    assert (subject.armed, subject.violent) == (True, True)
    assert subject.offences == ("Tráfico de estupefacientes", "Concierto para delinquir")
    assert (env.originating_country, env.tlp, env.status) == ("COL", Tlp.AMBER, Status.ACTUAL)


def test_local_times_use_the_record_time_zone() -> None:
    """09:30 in Bogotá is 14:30 UTC; vigencia_hasta expires at the end of that local day."""
    env = person("AMERIPOL:COL-2025-004217").envelope
    assert env.issued_at == datetime(2025, 3, 14, 14, 30, tzinfo=UTC)
    assert env.expires_at == datetime(2028, 1, 1, 5, 0, tzinfo=UTC)


def test_unknown_day_and_month_give_a_year_only_birth_date() -> None:
    """'00/00/1985' is a birth date known to the year only."""
    subject = person("AMERIPOL:BRA-2025-000388").subject
    assert subject is not None
    assert subject.date_of_birth == PartialDate(year=1985)


def test_seizure_reads_the_decimal_comma_and_conveyances() -> None:
    """'1.250,5' kg of cocaine in a checked container and ship, under controlled delivery."""
    alert = alerts()["AMERIPOL:ECU-2025-001502"]
    assert isinstance(alert, CommodityAlert)
    goods = alert.subject
    assert goods is not None
    assert goods.drug_type is DrugType.COCAINE_TYPE
    assert goods.quantity is not None
    assert (goods.quantity.amount, goods.quantity.unit) == (1250.5, QuantityUnit.KILOGRAM)
    kinds = [(c.kind, c.identifier) for c in goods.conveyances]
    assert kinds == [
        (ConveyanceKind.CONTAINER, "MWCU6059784"),
        (ConveyanceKind.VESSEL_IMO, "9074729"),
    ]
    assert goods.route is not None
    assert goods.route.countries() == ("ECU", "PAN", "BEL")
    assert goods.action is CommodityAction.CONTROLLED_DELIVERY
    assert alert.envelope.handling_note is not None


def test_cancel_carries_no_subject_and_references_the_previous_revision() -> None:
    """CANCELADA at revision 3 is a CANCEL of version 3 referencing version 2."""
    alert = alerts()["AMERIPOL:PER-2024-009931"]
    assert alert.subject is None
    assert alert.envelope.references == (Reference(alert_id="AMERIPOL:PER-2024-009931", version=2),)


def test_update_references_the_previous_revision() -> None:
    """VIGENTE at revision 2 is an UPDATE referencing revision 1."""
    env = person("AMERIPOL:BRA-2025-000388").envelope
    assert env.references == (Reference(alert_id="AMERIPOL:BRA-2025-000388", version=1),)


def test_rerunning_the_same_input_gives_the_same_keys_versions_and_bytes() -> None:
    """Processing the sample twice yields identical keys and encoded values."""
    first = [(o.key, o.value) for o in run(SAMPLE) if isinstance(o, Accepted)]
    second = [(o.key, o.value) for o in run(SAMPLE) if isinstance(o, Accepted)]
    assert first == second
    assert len(first) == 4


BROKEN = {
    "not_json.json": ("split", "bad_json", ""),
    "no_alertas.json": ("split", "no_records", "alertas"),
    "element_not_object.json": ("parse", "not_an_object", ""),
    "impossible_date.json": ("map", "bad_date", "persona.fecha_nacimiento"),
    "us_date_order.json": ("map", "bad_date", "persona.fecha_nacimiento"),
    "no_surname.json": ("map", "missing_field", "persona.apellido_paterno"),
    "time_zone.json": ("map", "unknown_time_zone", "zona_horaria"),
    "cancel_first_revision.json": ("map", "cancel_without_prior", "revision"),
    "unknown_country.json": ("map", "unknown_country", "pais_origen"),
    "english_decimal.json": ("map", "bad_number", "mercancia.cantidad"),
    "unknown_motive.json": ("map", "unknown_code", "persona.motivo"),
    "container_check_digit.json": (
        "validate", "container_check_digit", "subject.conveyances[0].identifier",
    ),
    "birth_in_future.json": ("validate", "birth_in_future", "subject.date_of_birth"),
}  # fmt: skip


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
    assert (record.org, record.stage) == ("AMERIPOL", stage)
    assert (record.reasons[0].code, record.reasons[0].path) == (code, path)
    assert record.original  # the original bytes travel to quarantine


def test_refusal_messages_never_quote_personal_data() -> None:
    """A refused birth date is named by its path, never by its value."""
    (outcome,) = run((FIXTURES / "broken" / "impossible_date.json").read_bytes())
    assert isinstance(outcome, Refused)
    text = " ".join(r.message for r in outcome.quarantine.reasons)
    assert "31/02/1981" not in text
    assert "Ramírez" not in text


def test_a_refused_record_replays_as_a_payload_of_its_own() -> None:
    """The quarantined bytes of one alert are a valid AMERIPOL payload of one record."""
    doc = orjson.loads(SAMPLE)
    doc["alertas"][1]["zona_horaria"] = "Mars/Olympus"
    outcomes = run(orjson.dumps(doc))
    refused = [o for o in outcomes if isinstance(o, Refused)]
    assert [o.quarantine.source for o in refused] == ["test#1"]
    fixed = orjson.loads(refused[0].quarantine.original)
    fixed["zona_horaria"] = "America/Sao_Paulo"
    assert [type(o) for o in run(orjson.dumps(fixed))] == [Accepted]


def test_generator_gives_valid_realistic_deterministic_alerts() -> None:
    """A generated export is all valid, ids unique, with persons, seizures, updates and cancels."""
    now = datetime.now(UTC)
    payload = GENERATOR.generate(random.Random(11), 300, now)
    assert payload == GENERATOR.generate(random.Random(11), 300, now)
    outcomes = run(payload, now)
    accepted = [o for o in outcomes if isinstance(o, Accepted)]
    assert len(accepted) == 300, [o for o in outcomes if isinstance(o, Refused)][:1]
    ids = {o.alert.envelope.alert_id for o in accepted}
    assert len(ids) == 300
    kinds = {type(o.alert) for o in accepted}
    assert kinds == {WantedPersonAlert, CommodityAlert}
    msg_types = {o.alert.envelope.msg_type for o in accepted}
    assert msg_types == {MsgType.ALERT, MsgType.UPDATE, MsgType.CANCEL}
    tlps = [o.alert.envelope.tlp for o in accepted]
    assert tlps.count(Tlp.GREEN) + tlps.count(Tlp.AMBER) > 200


def _sample_alerts() -> list[dict[str, Any]]:
    alerts_: list[dict[str, Any]] = orjson.loads(SAMPLE)["alertas"]
    return alerts_


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    for key, child in items:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


def _assert_clean(outcomes: list[Outcome]) -> None:
    assert outcomes
    for outcome in outcomes:
        assert isinstance(outcome, Accepted | Refused)
        if isinstance(outcome, Refused):
            reasons = outcome.quarantine.reasons
            assert reasons
            assert all(r.code and r.code != "internal_error" for r in reasons), reasons


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


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_records_end_accepted_or_refused_with_a_reason(data: st.DataObject) -> None:
    """Replacing or deleting any field of a valid alert never crashes the mapper."""
    record = copy.deepcopy(data.draw(st.sampled_from(_sample_alerts())))
    path = data.draw(st.sampled_from(_paths(record)))
    parent = record
    for key in path[:-1]:
        parent = parent[key]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(JSON_VALUES)
    _assert_clean(run(orjson.dumps({"alertas": [record]})))


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("zona_horaria", "../../../etc/passwd", "unknown_time_zone"),
        ("zona_horaria", "A" * 300, "unknown_time_zone"),
        ("vigencia_hasta", "31/12/9999", "bad_date"),
        ("actualizado", "29/02/2025 10:00", "bad_timestamp"),
        ("actualizado", "2025-03-14T09:30:00", "bad_timestamp"),
        ("revision", 0, "bad_revision"),
        ("revision", 2**40, "bad_revision"),
    ],
)
def test_hostile_envelope_values_are_refused_with_a_reason(key: str, value: Any, code: str) -> None:
    """Zone names that look like paths, dates at the end of time and huge revisions are refused."""
    record = copy.deepcopy(_sample_alerts()[0])
    record[key] = value
    (outcome,) = run(orjson.dumps(record))
    assert isinstance(outcome, Refused)
    assert [(r.path, r.code) for r in outcome.quarantine.reasons] == [(key, code)]


# --- revisions (Connector.revise) ----------------------------------------------------------


def test_revisions_update_narrow_raise_red_and_cancel() -> None:
    """Every change to a generated alert is one UPDATE or CANCEL of its id at a higher version."""
    seen = revise_all(CONNECTOR, generated(CONNECTOR, 40, NOW), NOW)
    assert seen["chains"] >= 30


def test_cancel_is_a_cancelada_without_subject() -> None:
    """A cancel is the alert at revision n+1 with estado CANCELADA and no persona or mercancia."""
    original = generated(CONNECTOR, 1, NOW)[0]
    document = orjson.loads(GENERATOR.revise(random.Random(1), original.record, NOW, "cancel"))
    (alert,) = document["alertas"]
    assert alert["estado"] == "CANCELADA"
    assert alert["revision"] == original.alert.envelope.version + 1
    assert "persona" not in alert
    assert "mercancia" not in alert


def test_generator_sends_review_held_persons_and_short_expiries() -> None:
    """About 1-2 % of generated persons wait for review; a few percent expire within minutes."""
    held, short = generated_shares(CONNECTOR, NOW)
    assert 0.004 <= held <= 0.035
    assert 0.01 <= short <= 0.06
