"""AFRIPOL connector: French JSON Lines with diacritics in, alerts or precise refusals out."""

from __future__ import annotations

import copy
import random
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.afripol import AfripolConnector, french_country, repair_text
from connectors.base import Accepted, Outcome, Refused, process, stamp_version
from connectors.synthetic import get_generator
from gateway.contract import (
    CommodityAction,
    CommodityAlert,
    DrugType,
    MsgType,
    PartialDate,
    PersonAction,
    PersonCategory,
    QuantityUnit,
    Reference,
    Sex,
    Tlp,
    WantedPersonAlert,
)
from tests.support.connectors import generated, generated_shares, revise_all

FIXTURES = Path(__file__).parents[1] / "fixtures" / "connectors" / "afripol"
NOW = datetime(2025, 3, 15, tzinfo=UTC)
CONNECTOR = AfripolConnector()
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


def stamp(text: str) -> int:
    return stamp_version(datetime.fromisoformat(text))


def test_sample_maps_every_fiche_with_versions_from_update_stamps() -> None:
    """The five sample fiches map to ids, versions from modifie_le, and message types."""
    found = {
        a.envelope.alert_id: (a.envelope.version, a.envelope.msg_type) for a in alerts().values()
    }
    assert found == {
        "AFRIPOL:AFP/CIV/2025/000731": (stamp("2025-02-03T10:12:00+00:00"), MsgType.ALERT),
        "AFRIPOL:AFP/MLI/2024/004410": (stamp("2025-03-01T16:45:00+00:00"), MsgType.UPDATE),
        "AFRIPOL:AFP/COD/2025/000092": (stamp("2025-01-15T12:30:00+01:00"), MsgType.ALERT),
        "AFRIPOL:AFP/NER/2025/000310": (stamp("2025-03-10T06:20:00+01:00"), MsgType.ALERT),
        "AFRIPOL:AFP/SEN/2024/002207": (stamp("2025-03-12T14:00:00+00:00"), MsgType.CANCEL),
    }


def test_names_keep_their_diacritics_and_usage_name_becomes_an_alias() -> None:
    """KONÉ stays KONÉ; comma-separated prénoms join; the married name is an alias."""
    subject = person("AFRIPOL:AFP/CIV/2025/000731").subject
    assert subject is not None
    assert subject.family_name == "KONÉ"
    assert subject.given_names == "Aminata Fatoumata"
    assert subject.aliases == ("Aminata Fatoumata TRAORÉ",)
    assert subject.sex is Sex.FEMALE


def test_french_country_names_resolve_to_alpha3() -> None:
    """Curly apostrophes, accents, short forms and codes all resolve to ISO alpha-3."""
    assert french_country("Côte d\u2019Ivoire") == "CIV"
    assert french_country("cote d'ivoire") == "CIV"
    assert french_country("Sénégal") == "SEN"
    assert french_country("RDC") == "COD"
    assert french_country("République démocratique du Congo") == "COD"
    assert french_country("Guinée-Bissau") == "GNB"
    assert french_country("la Guinée équatoriale") == "GNQ"
    assert french_country("République arabe syrienne") == "SYR"
    assert french_country("BF") == "BFA"
    assert french_country("NER") == "NER"
    assert french_country("Wakanda") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17/01/1979", PartialDate(year=1979, month=1, day=17)),
        ("17-01-1979", PartialDate(year=1979, month=1, day=17)),
        ("01/1979", PartialDate(year=1979, month=1)),
        ("1979", PartialDate(year=1979)),
        ("00/00/1979", PartialDate(year=1979)),
        ("17 janvier 1979", PartialDate(year=1979, month=1, day=17)),
        ("1er mars 1984", PartialDate(year=1984, month=3, day=1)),
        ("29 Août 1972", PartialDate(year=1972, month=8, day=29)),
        ("décembre 1990", PartialDate(year=1990, month=12)),
    ],
)
def test_mixed_birth_date_formats_are_read(text: str, expected: PartialDate) -> None:
    """Every date spelling the format allows gives the right partial date."""
    fiche = orjson.loads(SAMPLE.splitlines()[1])
    fiche["personne"]["date_de_naissance"] = text
    (outcome,) = run(orjson.dumps(fiche))
    assert isinstance(outcome, Accepted), outcome
    assert isinstance(outcome.alert, WantedPersonAlert)
    assert outcome.alert.subject is not None
    assert outcome.alert.subject.date_of_birth == expected


def test_person_fields_are_converted_to_the_contract() -> None:
    """Documents, description, category, action and oui/non flags are converted."""
    alert = person("AFRIPOL:AFP/CIV/2025/000731")
    subject = alert.subject
    assert subject is not None
    assert subject.date_of_birth == PartialDate(year=1979, month=1, day=17)
    assert (subject.country_of_birth, subject.nationalities) == ("CIV", ("CIV",))
    (doc,) = subject.travel_documents
    assert (doc.doc_type, doc.number, doc.issuing_country) == ("P", "19AP08812", "CIV")
    assert (doc.issued_on, doc.expires_on) == (date(2019, 6, 4), date(2029, 6, 3))
    assert subject.physical_description is not None
    assert subject.physical_description.hair_colour == "tressés"
    assert subject.category is PersonCategory.ARREST_FOR_EXTRADITION
    assert subject.action is PersonAction.ARREST
    assert (subject.armed, subject.violent) == (False, False)
    assert alert.envelope.expires_at == datetime(2028, 1, 1, tzinfo=UTC)


def test_ftf_with_red_label_names_recipients_in_french() -> None:
    """A TLP:RED fiche releases to countries named in French; nationalities split on ';'."""
    alert = person("AFRIPOL:AFP/MLI/2024/004410")
    env, subject = alert.envelope, alert.subject
    assert subject is not None
    assert env.tlp is Tlp.RED
    assert env.release_to_countries == ("NER", "BFA", "SEN")
    assert subject.nationalities == ("MLI", "BFA")
    assert subject.category is PersonCategory.FOREIGN_TERRORIST_FIGHTER
    assert (subject.armed, subject.violent) == (True, True)
    assert env.references == (
        Reference(alert_id=env.alert_id, version=stamp("2024-11-20T08:00:00+00:00")),
    )


def test_seizure_reads_french_thousands_and_route() -> None:
    """'1 250 000' tramadol tablets from Lagos via Cotonou to Tripoli are read exactly."""
    alert = alerts()["AFRIPOL:AFP/NER/2025/000310"]
    assert isinstance(alert, CommodityAlert)
    goods = alert.subject
    assert goods is not None
    assert goods.drug_type is DrugType.OPIOIDS
    assert goods.quantity is not None
    assert (goods.quantity.amount, goods.quantity.unit) == (1_250_000, QuantityUnit.TABLET)
    assert goods.route is not None
    assert goods.route.countries() == ("NGA", "BEN", "LBY")
    assert goods.conveyances[0].country == "NGA"
    assert goods.action is CommodityAction.SEIZE


def test_cancel_carries_no_subject() -> None:
    """statut ANNULEE is a CANCEL without subject, referencing the creation version."""
    alert = alerts()["AFRIPOL:AFP/SEN/2024/002207"]
    assert alert.subject is None
    assert alert.envelope.references[0].version == stamp("2024-06-02T09:00:00+00:00")


@pytest.mark.parametrize(
    "name", ["windows1252.jsonl", "mojibake.jsonl", "decomposed_accents.jsonl"]
)
def test_legacy_encodings_are_repaired_to_nfc(name: str) -> None:
    """Windows-1252 lines, double-encoded UTF-8 and decomposed accents all give NFC 'KONÉ'."""
    (outcome,) = run((FIXTURES / "valid" / name).read_bytes())
    assert isinstance(outcome, Accepted), outcome
    assert isinstance(outcome.alert, WantedPersonAlert)
    assert outcome.alert.subject is not None
    assert outcome.alert.subject.family_name == "KONÉ"
    assert unicodedata.is_normalized("NFC", outcome.alert.subject.family_name)


def test_repair_leaves_correct_text_alone() -> None:
    """Text that only looks like mojibake is not mangled."""
    assert repair_text("Ãlvaro") == "Ãlvaro"
    assert repair_text("Aïssatou") == "Aïssatou"


def test_comments_and_blank_lines_are_not_records() -> None:
    """The sample's comment line and blank lines produce no record; indexes count fiches only."""
    records = list(CONNECTOR.split(b"# header\n\n" + SAMPLE + b"\n\n", "f"))
    assert [r.index for r in records] == [0, 1, 2, 3, 4]


def test_rerunning_the_same_input_gives_the_same_keys_versions_and_bytes() -> None:
    """Processing the sample twice yields identical keys and encoded values."""
    first = [(o.key, o.value) for o in run(SAMPLE) if isinstance(o, Accepted)]
    assert first == [(o.key, o.value) for o in run(SAMPLE) if isinstance(o, Accepted)]
    assert len(first) == 5


BROKEN = {
    "not_json.jsonl": ("parse", "bad_json", ""),
    "array_line.jsonl": ("parse", "not_an_object", ""),
    "unknown_country.jsonl": ("map", "unknown_country", "pays_emetteur"),
    "misspelt_month.jsonl": ("map", "bad_date", "personne.date_de_naissance"),
    "modified_before_created.jsonl": ("map", "modified_before_created", "modifie_le"),
    "cancel_without_update.jsonl": ("map", "cancel_without_prior", "modifie_le"),
    "missing_nom.jsonl": ("map", "missing_field", "personne.nom"),
    "unknown_motif.jsonl": ("map", "unknown_code", "personne.motif"),
    "bad_amount.jsonl": ("map", "bad_number", "marchandise.quantite"),
    "red_without_recipients.jsonl": (
        "validate", "red_without_recipients", "envelope.release_to_countries",
    ),
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
    assert (record.org, record.stage) == ("AFRIPOL", stage)
    assert (record.reasons[0].code, record.reasons[0].path) == (code, path)
    assert record.original == payload.rstrip(b"\n")  # the line, byte for byte


def test_one_bad_line_does_not_stop_the_others() -> None:
    """A broken line between good ones is refused alone, with its line index as source."""
    bad = (FIXTURES / "broken" / "not_json.jsonl").read_bytes()
    lines = SAMPLE.splitlines()
    outcomes = run(b"\n".join([lines[1], bad.strip(), lines[2]]))
    assert [type(o).__name__ for o in outcomes] == ["Accepted", "Refused", "Accepted"]
    refused = outcomes[1]
    assert isinstance(refused, Refused)
    assert refused.quarantine.source == "test#1"


def test_refusal_messages_never_quote_personal_data() -> None:
    """A refused birth date is named by its path, never by its value."""
    (outcome,) = run((FIXTURES / "broken" / "misspelt_month.jsonl").read_bytes())
    assert isinstance(outcome, Refused)
    text = " ".join(r.message for r in outcome.quarantine.reasons)
    assert "janvyer" not in text
    assert "KONÉ" not in text


def test_generator_gives_valid_realistic_deterministic_fiches() -> None:
    """A generated export is all valid, ids unique, with persons, seizures, updates and cancels."""
    now = datetime.now(UTC)
    payload = GENERATOR.generate(random.Random(5), 300, now)
    assert payload == GENERATOR.generate(random.Random(5), 300, now)
    outcomes = run(payload, now)
    accepted = [o for o in outcomes if isinstance(o, Accepted)]
    assert len(accepted) == 300, [o for o in outcomes if isinstance(o, Refused)][:1]
    assert len({o.alert.envelope.alert_id for o in accepted}) == 300
    assert {type(o.alert) for o in accepted} == {WantedPersonAlert, CommodityAlert}
    msg_types = {o.alert.envelope.msg_type for o in accepted}
    assert msg_types == {MsgType.ALERT, MsgType.UPDATE, MsgType.CANCEL}
    names = [o.alert.subject.family_name for o in accepted if isinstance(o.alert, WantedPersonAlert)
             and o.alert.subject is not None]  # fmt: skip
    assert any(not n.isascii() for n in names)  # diacritics survive generation and mapping


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


def _fiches() -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in SAMPLE.splitlines() if line.startswith(b"{")]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        items: list[tuple[Any, Any]] = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        items = []
    for key, child in items:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(payload: bytes) -> None:
    """Any bytes end as outcomes, each refusal with a reason that is not an internal error."""
    for outcome in run(payload):
        assert isinstance(outcome, Accepted | Refused)
        if isinstance(outcome, Refused):
            assert outcome.quarantine.reasons
            assert outcome.quarantine.reasons[0].code != "internal_error"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_fiches_end_accepted_or_refused_with_a_reason(data: st.DataObject) -> None:
    """Replacing or deleting any field of a valid fiche never crashes the mapper."""
    record = copy.deepcopy(data.draw(st.sampled_from(_fiches())))
    path = data.draw(st.sampled_from(_paths(record)))
    parent = record
    for key in path[:-1]:
        parent = parent[key]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(JSON_VALUES)
    outcomes = run(orjson.dumps(record))
    assert len(outcomes) == 1
    if isinstance(outcomes[0], Refused):
        reasons = outcomes[0].quarantine.reasons
        assert reasons
        assert all(r.code and r.code != "internal_error" for r in reasons), reasons


# --- revisions (Connector.revise) ----------------------------------------------------------


def test_revisions_update_narrow_raise_red_and_cancel() -> None:
    """Every change to a generated fiche is one UPDATE or CANCEL of its id at a higher version."""
    seen = revise_all(CONNECTOR, generated(CONNECTOR, 40, NOW), NOW)
    assert seen["chains"] >= 30


def test_narrowing_writes_french_country_names() -> None:
    """A narrowing is one fiche line with a later modifie_le and French names in its lists."""
    original = generated(CONNECTOR, 1, NOW)[0]
    payload = GENERATOR.revise(random.Random(6), original.record, NOW, "narrow")
    assert payload.count(b"\n") == 1
    fiche = orjson.loads(payload)
    assert fiche["modifie_le"] > original.alert.envelope.issued_at.isoformat(timespec="seconds")
    named = [
        *fiche.get("diffusion", {}).get("pays", ()),
        *fiche.get("exclusion", {}).get("pays", ()),
    ]
    assert named
    assert all(french_country(n) is not None for n in named)


def test_generator_sends_review_held_persons_and_short_expiries() -> None:
    """About 1-2 % of generated persons wait for review; a few percent expire within minutes."""
    held, short = generated_shares(CONNECTOR, NOW)
    assert 0.004 <= held <= 0.035
    assert 0.01 <= short <= 0.06
