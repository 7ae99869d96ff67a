"""Each validation rule reports its field path and code; good examples report nothing."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest

from gateway.contract import AlertKind, WantedPersonAlert
from gateway.contract.validation import Problem, infer_kind, validate_alert
from tests.support.paths import EXAMPLES

NOW = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
FILES = {
    "person": "wanted_person.json",
    "goods": "commodity.json",
    "threat": "threat_assessment.json",
}


def example(name: str) -> dict[str, Any]:
    """A fresh copy of a shipped example alert as a JSON dict."""
    data: dict[str, Any] = json.loads((EXAMPLES / FILES[name]).read_text())
    return copy.deepcopy(data)


def put(data: dict[str, Any], path: str, value: Any) -> None:
    """Set the value at a dotted path with [i] indexes."""
    parts = path.replace("[", ".").replace("]", "").split(".")
    target: Any = data
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    last = parts[-1]
    if last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value


def codes(problems: list[Problem]) -> set[tuple[str, str]]:
    """(path, code) pairs of problems."""
    return {(p.path, p.code) for p in problems}


@pytest.mark.parametrize("name", FILES)
def test_examples_are_valid(name: str) -> None:
    """The shipped examples pass every check."""
    assert validate_alert(example(name), now=NOW) == []


CASES = [
    # (example, path to change, new value, expected path, expected code)
    ("person", "envelope.alert_id", "INTERPOL-123", "envelope.alert_id", "alert_id_format"),
    ("person", "envelope.alert_id", "EUROPOL:1", "envelope.alert_id", "alert_id_org_mismatch"),
    ("person", "envelope.version", 0, "envelope.version", "version_range"),
    ("person", "envelope.version", 2**31, "envelope.version", "version_range"),
    (
        "person",
        "envelope.originating_country",
        "FR",
        "envelope.originating_country",
        "country_code",
    ),
    (
        "person",
        "envelope.deny_countries",
        ["DEU", "XXX"],
        "envelope.deny_countries[1]",
        "country_code",
    ),
    ("person", "envelope.deny_orgs", ["EUROPOL"], "envelope.deny_orgs", "release_and_deny"),
    ("person", "envelope.tlp", "RED", "envelope.release_to_countries", "red_without_recipients"),
    ("person", "envelope.handling_code", "H3", "envelope.handling_note", "handling_note_required"),
    ("person", "envelope.legal_basis", "  ", "envelope.legal_basis", "blank_text"),
    (
        "person",
        "envelope.issued_at",
        "2026-01-01T00:00:00Z",
        "envelope.issued_at",
        "issued_in_future",
    ),
    (
        "person",
        "envelope.expires_at",
        "2025-11-03T09:15:00Z",
        "envelope.expires_at",
        "expiry_before_issue",
    ),
    ("person", "envelope.msg_type", "UPDATE", "envelope.version", "version_not_after_first"),
    ("person", "envelope.msg_type", "CANCEL", "subject", "cancel_with_subject"),
    ("person", "subject", None, "subject", "subject_required"),
    ("person", "subject.family_name", "", "subject.family_name", "blank_text"),
    ("person", "subject.name_script", "arabic", "subject.name_script", "script_code"),
    ("person", "subject.date_of_birth", "2026-02", "subject.date_of_birth", "birth_in_future"),
    ("person", "subject.date_of_birth", {"year": 1850}, "subject.date_of_birth.year", "date_range"),
    (
        "person",
        "subject.date_of_birth",
        {"year": 1980, "month": 13},
        "subject.date_of_birth.month",
        "month_range",
    ),
    (
        "person",
        "subject.date_of_birth",
        {"year": 1981, "month": 2, "day": 29},
        "subject.date_of_birth.day",
        "day_range",
    ),
    (
        "person",
        "subject.date_of_birth",
        {"year": 1980, "day": 3},
        "subject.date_of_birth.day",
        "day_without_month",
    ),
    ("person", "subject.nationalities", ["SWE", "SE"], "subject.nationalities[1]", "country_code"),
    (
        "person",
        "subject.travel_documents[0].doc_type",
        "IV",
        "subject.travel_documents[0].doc_type",
        "icao_document_code",
    ),
    (
        "person",
        "subject.travel_documents[0].number",
        "L89@902",
        "subject.travel_documents[0].number",
        "document_number_format",
    ),
    (
        "person",
        "subject.travel_documents[0].issuing_country",
        "UTO",
        "subject.travel_documents[0].issuing_country",
        "country_code",
    ),
    (
        "person",
        "subject.travel_documents[0].expires_on",
        "2021-01-01",
        "subject.travel_documents[0].expires_on",
        "expiry_before_issue",
    ),
    (
        "person",
        "subject.travel_documents[0].issued_on",
        "2025-12-24",
        "subject.travel_documents[0].issued_on",
        "issued_in_future",
    ),
    (
        "person",
        "subject.physical_description.height_cm",
        400,
        "subject.physical_description.height_cm",
        "value_range",
    ),
    (
        "goods",
        "envelope.references[0].version",
        2,
        "envelope.references[0].version",
        "reference_not_earlier",
    ),
    (
        "goods",
        "envelope.references[0].alert_id",
        "nope",
        "envelope.references[0].alert_id",
        "alert_id_format",
    ),
    ("goods", "subject.drug_type", None, "subject.drug_type", "drug_type_required"),
    ("goods", "subject.category", "FIREARMS", "subject.drug_type", "drug_type_not_drugs"),
    ("goods", "subject.quantity.amount", -3.0, "subject.quantity.amount", "value_range"),
    (
        "goods",
        "subject.quantity.currency",
        "EUR",
        "subject.quantity.currency",
        "currency_without_money",
    ),
    (
        "goods",
        "subject.quantity",
        {"amount": 9e5, "unit": "MONEY"},
        "subject.quantity.currency",
        "currency_required",
    ),
    (
        "goods",
        "subject.quantity",
        {"amount": 9e5, "unit": "MONEY", "currency": "EURO"},
        "subject.quantity.currency",
        "currency_code",
    ),
    (
        "goods",
        "subject.conveyances[0].identifier",
        "MWCU6059785",
        "subject.conveyances[0].identifier",
        "container_check_digit",
    ),
    (
        "goods",
        "subject.conveyances[0].identifier",
        "MWC6059784",
        "subject.conveyances[0].identifier",
        "container_format",
    ),
    (
        "goods",
        "subject.conveyances[1].identifier",
        "9074728",
        "subject.conveyances[1].identifier",
        "imo_check_digit",
    ),
    (
        "goods",
        "subject.conveyances[1].identifier",
        "90747",
        "subject.conveyances[1].identifier",
        "imo_format",
    ),
    (
        "goods",
        "subject.conveyances[1]",
        {"kind": "VEHICLE_VIN", "identifier": "1M8GDM9A1KP042788"},
        "subject.conveyances[1].identifier",
        "vin_check_digit",
    ),
    (
        "goods",
        "subject.conveyances[1]",
        {"kind": "VEHICLE_VIN", "identifier": "1M8GDM9AXKP04278I"},
        "subject.conveyances[1].identifier",
        "vin_format",
    ),
    (
        "goods",
        "subject.conveyances[1]",
        {"kind": "AIR_WAYBILL", "identifier": "020-12345676"},
        "subject.conveyances[1].identifier",
        "awb_check_digit",
    ),
    (
        "goods",
        "subject.conveyances[1]",
        {"kind": "AIR_WAYBILL", "identifier": "020-1234"},
        "subject.conveyances[1].identifier",
        "awb_format",
    ),
    (
        "goods",
        "subject.conveyances[1]",
        {"kind": "FLIGHT", "identifier": "4444"},
        "subject.conveyances[1].identifier",
        "flight_format",
    ),
    (
        "goods",
        "subject.conveyances[1]",
        {"kind": "VEHICLE_PLATE", "identifier": "AB-123-CD"},
        "subject.conveyances[1].country",
        "plate_country_required",
    ),
    (
        "goods",
        "subject.conveyances[1].country",
        "PA",
        "subject.conveyances[1].country",
        "country_code",
    ),
    (
        "goods",
        "subject.route.origin.locode",
        "EC-GY",
        "subject.route.origin.locode",
        "locode_format",
    ),
    (
        "goods",
        "subject.route.transit[0].locode",
        "NLRTM",
        "subject.route.transit[0].locode",
        "locode_country_mismatch",
    ),
    (
        "goods",
        "subject.route.destination.iata",
        "AMSX",
        "subject.route.destination.iata",
        "iata_format",
    ),
    (
        "goods",
        "subject.route.destination.country",
        "NL",
        "subject.route.destination.country",
        "country_code",
    ),
    ("threat", "subject.title", " ", "subject.title", "blank_text"),
    ("threat", "subject.countries", ["SYR", "XYZ"], "subject.countries[1]", "country_code"),
    (
        "threat",
        "subject.valid_until",
        "2025-01-01T00:00:00Z",
        "subject.valid_until",
        "validity_end_before_start",
    ),
]


@pytest.mark.parametrize(
    ("name", "path", "value", "where", "code"),
    CASES,
    ids=[f"{c[4]}@{c[1]}" for c in CASES],
)
def test_rule_reports_path_and_code(
    name: str, path: str, value: Any, where: str, code: str
) -> None:
    """Breaking one rule yields a problem at that field with that code."""
    data = example(name)
    kind = infer_kind(data)
    put(data, path, value)
    problems = validate_alert(data, now=NOW, kind=kind)
    assert (where, code) in codes(problems), problems


def test_structural_errors_are_mapped_from_pydantic() -> None:
    """Missing fields, unknown symbols and extra keys become problems with paths, not exceptions."""
    data = example("person")
    del data["envelope"]["legal_basis"]
    data["envelope"]["tlp"] = "PURPLE"
    data["subject"]["shoe_size"] = 44
    found = codes(validate_alert(data, now=NOW))
    assert ("envelope.legal_basis", "missing") in found
    assert ("envelope.tlp", "enum") in found
    assert ("subject.shoe_size", "extra_forbidden") in found


def test_naive_timestamps_are_rejected() -> None:
    """A timestamp without a timezone is a problem: alerts cross every timezone."""
    data = example("threat")
    data["envelope"]["issued_at"] = "2025-09-01T08:00:00"
    assert ("envelope.issued_at", "timezone_aware") in codes(validate_alert(data, now=NOW))


def test_problem_messages_do_not_echo_personal_data() -> None:
    """Problems about a name or document number never repeat the value itself."""
    data = example("person")
    data["subject"]["travel_documents"][0]["number"] = "SECRET#NUMBER"
    data["subject"]["family_name"] = 12345
    for problem in validate_alert(data, now=NOW):
        assert "SECRET" not in problem.message
        assert "12345" not in problem.message


def test_unknown_kind_is_a_problem() -> None:
    """A dict whose kind cannot be told gets one 'unknown_kind' problem."""
    assert codes(validate_alert({"envelope": {}, "subject": None})) == {("kind", "unknown_kind")}


def test_kind_inference() -> None:
    """The kind comes from a 'kind' key or from the subject's distinctive fields."""
    assert infer_kind(example("person")) is AlertKind.WANTED_PERSON
    assert infer_kind(example("goods")) is AlertKind.COMMODITY
    assert infer_kind(example("threat")) is AlertKind.THREAT_ASSESSMENT
    assert infer_kind({"kind": "commodity", "subject": None}) is AlertKind.COMMODITY
    assert infer_kind({"subject": None}) is None


def test_models_are_validated_too() -> None:
    """validate_alert accepts a model and checks it the same way as a dict."""
    data = example("person")
    data["subject"]["nationalities"] = ["XXX"]
    alert = WantedPersonAlert.model_validate(data)
    assert ("subject.nationalities[0]", "country_code") in codes(validate_alert(alert, now=NOW))


def test_problem_is_json_ready_and_readable() -> None:
    """A problem serialises to a flat dict and prints path, message and code."""
    problem = Problem("envelope.tlp", "enum", "bad label")
    assert json.loads(json.dumps(problem.as_dict())) == {
        "path": "envelope.tlp",
        "code": "enum",
        "message": "bad label",
    }
    assert str(problem) == "envelope.tlp: bad label [enum]"
