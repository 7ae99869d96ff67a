"""``frontline schemas`` and ``frontline alert`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gateway.cli import alert, schemas
from gateway.contract import CommodityAlert
from gateway.contract.schemas import default_registry
from tests.support.paths import EXAMPLES

runner = CliRunner()


def test_schemas_list_prints_names_and_fingerprints() -> None:
    """Every registered schema appears with its full name and wire fingerprint."""
    result = runner.invoke(schemas.app, ["list"])
    assert result.exit_code == 0
    for entry in default_registry().entries():
        assert entry.fingerprint_hex in result.output
    assert "org.frontline.alert.WantedPersonAlert" in result.output.replace("\n", "")


def test_schemas_list_json() -> None:
    """The JSON listing gives kind, name and fingerprint of each schema."""
    result = runner.invoke(schemas.app, ["list", "--json"])
    rows = json.loads(result.stdout)
    current = {r["kind"]: r["fingerprint"] for r in rows if r["current"]}
    assert current["COMMODITY"] == default_registry().current["COMMODITY"].fingerprint_hex  # type: ignore[index]  # why: StrEnum keys accept their value
    assert {r["name"] for r in rows} >= {
        "org.frontline.alert.CommodityAlert",
        "org.frontline.alert.ThreatAssessmentAlert",
    }


def test_schemas_show_canonical() -> None:
    """show --canonical prints exactly the form the fingerprint covers."""
    result = runner.invoke(schemas.app, ["show", "commodity", "--canonical"])
    assert result.exit_code == 0
    assert result.stdout.strip() == default_registry().current["COMMODITY"].canonical_form  # type: ignore[index]  # why: StrEnum keys accept their value


def test_validate_good_example_exits_zero() -> None:
    """A valid example passes with exit code 0."""
    result = runner.invoke(alert.app, ["validate", str(EXAMPLES / "wanted_person.json")])
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output


def test_validate_reports_each_problem_with_path(tmp_path: Path) -> None:
    """Each problem is printed with its field path and code, and the exit code is 1."""
    data = json.loads((EXAMPLES / "commodity.json").read_text())
    data["subject"]["conveyances"][0]["identifier"] = "MWCU6059785"
    data["envelope"]["originating_country"] = "XX"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    result = runner.invoke(alert.app, ["validate", str(path)])
    assert result.exit_code == 1
    assert "subject.conveyances[0].identifier" in result.output
    assert "container_check_digit" in result.output
    assert "envelope.originating_country" in result.output
    assert "2 problem(s)" in result.output


def test_validate_json_output(tmp_path: Path) -> None:
    """--json prints the problems as a machine-readable list."""
    data = json.loads((EXAMPLES / "threat_assessment.json").read_text())
    data["subject"]["countries"] = ["ZZZ"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    result = runner.invoke(alert.app, ["validate", str(path), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [
        {
            "path": "subject.countries[0]",
            "code": "country_code",
            "message": "'ZZZ' is not an ISO 3166-1 alpha-3 country code",
        }
    ]


def test_validate_unreadable_input_exits_two(tmp_path: Path) -> None:
    """A missing file or non-JSON text is a usage error (exit 2), not a traceback."""
    assert runner.invoke(alert.app, ["validate", str(tmp_path / "nope.json")]).exit_code == 2
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    result = runner.invoke(alert.app, ["validate", str(broken)])
    assert result.exit_code == 2
    assert "not JSON" in result.output


def test_encode_decode_round_trip_through_the_cli() -> None:
    """encode then decode gives back the alert, with kind and fingerprint; validate accepts it."""
    text = (EXAMPLES / "commodity.json").read_text()
    encoded = runner.invoke(alert.app, ["encode", "--kind", "commodity"], input=text)
    assert encoded.exit_code == 0, encoded.output
    assert encoded.stdout_bytes[:2] == b"\xc3\x01"
    decoded = runner.invoke(alert.app, ["decode"], input=encoded.stdout_bytes)
    assert decoded.exit_code == 0, decoded.output
    document = json.loads(decoded.stdout)
    assert document["kind"] == "COMMODITY"
    assert document["fingerprint"] == encoded.stdout_bytes[2:10].hex()
    assert CommodityAlert.model_validate(document["alert"]) == CommodityAlert.model_validate_json(
        text
    )
    again = runner.invoke(alert.app, ["validate", "-"], input=decoded.stdout)
    assert again.exit_code == 0, again.output


def test_encode_refuses_invalid_alert_unless_forced() -> None:
    """An alert with problems is not encoded unless --force is given."""
    data = json.loads((EXAMPLES / "commodity.json").read_text())
    data["subject"]["conveyances"][1]["identifier"] = "9074728"
    refused = runner.invoke(alert.app, ["encode"], input=json.dumps(data))
    assert refused.exit_code == 1
    assert "imo_check_digit" in refused.output
    assert refused.stdout_bytes == b""
    forced = runner.invoke(alert.app, ["encode", "--force"], input=json.dumps(data))
    assert forced.exit_code == 0
    assert forced.stdout_bytes[:2] == b"\xc3\x01"


def test_encode_reports_structural_errors() -> None:
    """A JSON alert missing required fields gets problems with paths and exit 1."""
    data = json.loads((EXAMPLES / "wanted_person.json").read_text())
    del data["subject"]["category"]
    result = runner.invoke(alert.app, ["encode", "--kind", "WANTED_PERSON"], input=json.dumps(data))
    assert result.exit_code == 1
    assert "subject.category" in result.output


def test_decode_garbage_exits_one_with_reason() -> None:
    """Bytes that are not an alert print the reason and exit 1."""
    result = runner.invoke(alert.app, ["decode"], input=b"\x00\x01 not avro")
    assert result.exit_code == 1
    assert "bad_marker" in result.output
