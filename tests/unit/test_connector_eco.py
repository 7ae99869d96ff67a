"""ECO connector: drug telexes in, commodity and wanted-person alerts or precise refusals out."""

# Persian-script test data is the point of this module, not look-alike typos:
# ruff: noqa: RUF001, RUF002

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import Accepted, Outcome, Refused, process
from connectors.eco import EcoConnector, read_fields
from connectors.synthetic import get_generator
from gateway.contract import (
    AnyAlert,
    CommodityAction,
    CommodityAlert,
    CommodityCategory,
    ConveyanceKind,
    DrugType,
    MsgType,
    PartialDate,
    PersonCategory,
    QuantityUnit,
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

FIXTURES = Path(__file__).parents[1] / "fixtures" / "connectors" / "eco"
NOW = datetime(2025, 6, 1, tzinfo=UTC)
CONNECTOR = EcoConnector()
GENERATOR = get_generator(CONNECTOR.org)


def run(payload: bytes, source: str = "test") -> list[Outcome]:
    return list(process(CONNECTOR, payload, source, now=NOW))


def accepted(outcomes: list[Outcome]) -> dict[str, AnyAlert]:
    return accepted_alerts(outcomes)


SAMPLE = accepted(run(CONNECTOR.sample_path().read_bytes()))


def goods_of(alert_id: str) -> CommodityAlert:
    alert = SAMPLE[alert_id]
    assert isinstance(alert, CommodityAlert)
    return alert


def test_sample_maps_every_telex() -> None:
    """The shipped sample gives five alerts keyed by ECO and the telex reference."""
    assert set(SAMPLE) == {
        "ECO:ECO/IRN/1403/0071", "ECO:ECO/PAK/2024/0458", "ECO:ECO/AFG/1403/0112",
        "ECO:ECO/IRN/1403/0090", "ECO:ECO/TUR/2023/1187",
    }  # fmt: skip


def test_heroin_on_the_balkan_route_with_solar_hijri_dates() -> None:
    """Solar Hijri DATE and VALID convert in Tehran time; crossings map to their countries."""
    alert = goods_of("ECO:ECO/IRN/1403/0071")
    env = alert.envelope
    assert env.issued_at == datetime(2024, 4, 3, 11, 0, tzinfo=UTC)  # 15 Farvardin 1403, 14:30
    assert env.expires_at is not None
    assert env.expires_at.date().isoformat() == "2024-07-05"  # 15 Tir 1403
    assert (env.version, env.msg_type, env.tlp) == (1, MsgType.ALERT, Tlp.AMBER)
    goods = alert.subject
    assert goods is not None
    assert (goods.category, goods.drug_type) == (CommodityCategory.DRUGS, DrugType.OPIOIDS)
    assert goods.quantity is not None
    assert (goods.quantity.amount, goods.quantity.unit) == (120, QuantityUnit.KILOGRAM)
    (truck,) = goods.conveyances
    assert (truck.kind, truck.identifier, truck.country) == (
        ConveyanceKind.VEHICLE_PLATE,
        "12-34567",
        "AFG",
    )
    assert goods.route is not None
    assert goods.route.countries() == ("AFG", "IRN", "TUR")
    assert goods.route.origin is not None
    assert goods.route.origin.locode == "AFHEA"
    assert goods.route.destination is not None
    assert goods.route.destination.locode == "TRIST"
    assert goods.concealment == "false floor of the trailer, under a load of raisins"
    assert goods.action is CommodityAction.CONTROLLED_DELIVERY


def test_persian_substance_persian_digits_and_tonnes() -> None:
    """تریاک is opium; '۲٫۵ T' is 2,500 kg; an AMEND at REV 2 updates REV 1."""
    alert = goods_of("ECO:ECO/PAK/2024/0458")
    assert alert.envelope.msg_type is MsgType.UPDATE
    assert [r.version for r in alert.envelope.references] == [1]
    assert alert.envelope.issued_at == datetime(2024, 4, 3, 4, 0, tzinfo=UTC)  # Karachi +5
    goods = alert.subject
    assert goods is not None
    assert goods.drug_type is DrugType.OPIOIDS
    assert goods.quantity is not None
    assert goods.quantity.amount == 2500
    kinds = [(c.kind, c.identifier) for c in goods.conveyances]
    assert kinds == [
        (ConveyanceKind.CONTAINER, "PCIU8123450"),
        (ConveyanceKind.VESSEL_IMO, "9612454"),
    ]
    assert goods.description == "raw opium in 50 kg sacks"


def test_persian_digit_date_and_methamphetamine() -> None:
    """A date in Persian digits reads in Kabul time; methamphetamine is amphetamine-type."""
    alert = goods_of("ECO:ECO/AFG/1403/0112")
    assert alert.envelope.issued_at == datetime(2024, 4, 2, 19, 30, tzinfo=UTC)  # Kabul +4:30
    assert alert.envelope.tlp is Tlp.AMBER_STRICT
    assert alert.subject is not None
    assert alert.subject.drug_type is DrugType.AMPHETAMINE_TYPE


def test_trafficker_with_persian_name() -> None:
    """A PERSON telex is a wanted person: Latin and Persian names, Solar Hijri birth date."""
    alert = SAMPLE["ECO:ECO/IRN/1403/0090"]
    assert isinstance(alert, WantedPersonAlert)
    person = alert.subject
    assert person is not None
    assert (person.family_name, person.given_names) == ("NOORZAI", "HAJI GUL")
    assert (person.family_name_original, person.given_names_original) == ("نورزی", "حاجی گل")
    assert person.aliases == ("Noorzai, Haji Gul",)  # machine spelling of the Persian name
    assert person.date_of_birth == PartialDate(year=1986, month=8, day=3)  # 12 Mordad 1365
    assert person.category is PersonCategory.ARREST_FOR_EXTRADITION
    assert person.travel_documents[0].number == "P01234567"


def test_cancel_is_envelope_only() -> None:
    """STATUS CANCEL at REV 3 is a CANCEL of version 3 without subject."""
    alert = SAMPLE["ECO:ECO/TUR/2023/1187"]
    assert (alert.envelope.msg_type, alert.envelope.version) == (MsgType.CANCEL, 3)
    assert alert.subject is None


def test_crlf_and_byte_order_mark_are_accepted() -> None:
    """A Windows file with a UTF-8 BOM and CRLF line ends reads like the sample."""
    alerts = accepted(run((FIXTURES / "valid" / "crlf_bom.txt").read_bytes()))
    assert set(alerts) == {"ECO:ECO/PAK/2024/0458", "ECO:ECO/AFG/1403/0112"}


def test_rerun_gives_same_keys_versions_and_bytes() -> None:
    """Processing the same file twice yields identical keys, versions and encoded values."""
    payload = CONNECTOR.sample_path().read_bytes()
    first, second = run(payload), run(payload)
    assert [(o.key, o.value) for o in first if isinstance(o, Accepted)] == [
        (o.key, o.value) for o in second if isinstance(o, Accepted)
    ]


BROKEN = {
    "not_utf8.txt": ("split", "bad_encoding", ""),
    "empty.txt": ("split", "empty_payload", ""),
    "truncated.txt": ("parse", "truncated_message", ""),
    "stray_text.txt": ("parse", "not_a_message", ""),
    "unknown_field.txt": ("parse", "unknown_field", "ACTON"),
    "duplicate_field.txt": ("parse", "duplicate_field", "TLP"),
    "missing_suffix.txt": ("map", "missing_calendar", "DATE"),
    "bad_jalali_date.txt": ("map", "bad_date", "DATE"),
    "place_country_mismatch.txt": ("map", "place_country_mismatch", "ROUTE[3]"),
    "unknown_place.txt": ("map", "unknown_place", "ROUTE[0]"),
    "bad_quantity.txt": ("map", "bad_quantity", "QTY"),
    "not_a_member.txt": ("map", "not_a_member", "ORIGIN"),
    "unknown_substance.txt": ("map", "unknown_substance", "SUBSTANCE"),
    "plate_without_country.txt": ("map", "plate_country_required", "CONVEYANCE[0]"),
    "unknown_type.txt": ("map", "unknown_type", "TYPE"),
    "bad_imo.txt": ("validate", "imo_check_digit", "subject.conveyances[1].identifier"),
    "cancel_first_revision.txt": ("validate", "version_not_after_first", "envelope.version"),
}


def test_every_broken_fixture_is_listed() -> None:
    """Each broken fixture on disk has an expected outcome in this test module."""
    assert {p.name for p in (FIXTURES / "broken").iterdir()} == set(BROKEN)


@pytest.mark.parametrize(("name", "expected"), sorted(BROKEN.items()))
def test_broken_fixture_is_refused(name: str, expected: tuple[str, str, str]) -> None:
    """Each broken fixture gives exactly one refusal, with its stage, reason code and path."""
    data = (FIXTURES / "broken" / name).read_bytes()
    outcomes = run(data, name)
    refused = [o for o in outcomes if isinstance(o, Refused)]
    assert len(refused) == 1
    stage, code, path = expected
    assert refused[0].quarantine.stage == stage
    assert (path, code) in [(r.path, r.code) for r in refused[0].quarantine.reasons]
    assert refused[0].quarantine.org == "ECO"


def test_stray_text_is_quarantined_and_the_message_still_published() -> None:
    """Text before the first ZCZC is kept as its own quarantined record, not dropped."""
    outcomes = run((FIXTURES / "broken" / "stray_text.txt").read_bytes())
    assert [type(o) for o in outcomes] == [Refused, Accepted]
    first = outcomes[0]
    assert isinstance(first, Refused)
    assert first.quarantine.original == b"QSL RECEIVED OK\n"


def test_generator_is_valid_deterministic_and_mostly_opiates() -> None:
    """Generated telexes are all accepted, repeatable, mostly commodities, opioids first."""
    payload = GENERATOR.generate(random.Random(3), 400, NOW)
    assert payload == GENERATOR.generate(random.Random(3), 400, NOW)
    alerts = accepted(run(payload))
    assert len(alerts) == 400
    goods = [a.subject for a in alerts.values() if isinstance(a, CommodityAlert) and a.subject]
    assert len(goods) > 0.75 * len(alerts)
    groups = [g.drug_type for g in goods]
    assert groups.count(DrugType.OPIOIDS) > len(groups) / 2
    assert DrugType.AMPHETAMINE_TYPE in groups


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


MESSAGES = ["ZCZC" + m for m in CONNECTOR.sample_path().read_text().split("ZCZC")[1:]]
_VALUES = st.text(max_size=25) | st.sampled_from(
    ["۱۴۰۳/۰۱/۱۵ SH", "1445/09/01 AH", "٫٫ T", "IRN/KARACHI", "TRUCK", "H9", "Z9", "0"]
)


@settings(max_examples=250, deadline=None)
@given(st.sampled_from(MESSAGES), st.data())
def test_mutated_telex_never_crashes(message: str, data: st.DataObject) -> None:
    """A telex with any line's value replaced by any text is accepted or refused with reasons."""
    lines = message.split("\n")
    index = data.draw(st.integers(0, len(lines) - 1))
    name = lines[index].partition(":")[0]
    lines[index] = f"{name}: {data.draw(_VALUES)}"
    _assert_all_explained(run("\n".join(lines).encode("utf-8", errors="replace")))


# --- revisions (Connector.revise) --------------------------------------------------------


def test_revisions_keep_the_id_raise_the_version_and_narrow() -> None:
    """Each generated telex revised each way is an UPDATE or CANCEL of the same reference, a
    higher version, RED with named states, and a narrowing that reaches fewer states."""
    payload = GENERATOR.generate(random.Random(21), 60, NOW)
    assert check_revisions(CONNECTOR, payload, NOW, seed=1) > 30


def test_revisions_of_revisions_at_the_same_instant() -> None:
    """Revising a revision again within the same second still raises the version."""
    check_chain(CONNECTOR, GENERATOR.generate(random.Random(22), 10, NOW), NOW, seed=2)


def test_lapsed_telex_is_renewed_by_an_amendment_and_still_cancelled() -> None:
    """A telex revised after its short validity lapsed is renewed, or cancelled cleanly."""
    payload = GENERATOR.generate(random.Random(23), 300, NOW)
    assert check_lapsed(CONNECTOR, payload, NOW, seed=3) > 0


def test_generator_holds_some_traffickers_for_review_and_expires_some_soon() -> None:
    """About 1.5 % of generated traffickers have an offence the review holds; ~3 % of
    telexes expire within two minutes."""
    alerts, persons, held, short = generated_mix(
        CONNECTOR, GENERATOR.generate(random.Random(24), 6000, NOW), NOW
    )
    assert 0.005 * persons <= held <= 0.03 * persons
    assert 0.01 * alerts <= short <= 0.06 * alerts


def test_revision_is_written_the_eco_way() -> None:
    """A revision raises ``REV``; RED names states in ``RELEASE-TO``; a cancel is ``CANCEL``."""
    (record,) = list(CONNECTOR.split(GENERATOR.generate(random.Random(25), 1, NOW), "t"))
    revision = int(read_fields(record.data.decode())["REV"])
    rng = random.Random(4)
    red = read_fields(GENERATOR.revise(rng, record, NOW, "raise_red").decode())
    assert (red["REV"], red["STATUS"], red["TLP"]) == (str(revision + 1), "AMEND", "RED")
    assert 1 <= len(red["RELEASE-TO"].split()) <= 2
    cancel = read_fields(GENERATOR.revise(rng, record, NOW, "cancel").decode())
    assert (cancel["REV"], cancel["STATUS"]) == (str(revision + 1), "CANCEL")


def test_deny_and_valid_time_are_read() -> None:
    """``DENY`` becomes the deny list; ``VALID-TIME`` the local time the alert expires."""
    telex = "\n".join([
        "ZCZC ECO-DCCU 0001", "REF: ECO/IRN/1404/0001", "ORIGIN: IRN", "DATE: 2025-05-01 AD",
        "VALID: 2025-06-01 AD", "VALID-TIME: 12:01:30", "TLP: GREEN", "DENY: AFG PK",
        "TYPE: SEIZURE", "SUBSTANCE: OPIUM", "NNNN", "",
    ])  # fmt: skip
    (alert,) = accepted(run(telex.encode())).values()
    assert alert.envelope.deny_countries == ("AFG", "PAK")
    assert alert.envelope.expires_at == datetime(2025, 6, 1, 8, 31, 30, tzinfo=UTC)  # Tehran +3:30


def test_withdrawn_sample_record_is_only_withdrawn_again() -> None:
    """Revising the sample's withdrawn record any way gives a later withdrawal, never a revival."""
    assert check_withdrawn(CONNECTOR, CONNECTOR.sample_path().read_bytes(), NOW) >= 1
