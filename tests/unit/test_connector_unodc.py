"""UNODC connector (observer): STIX 2.1 bundles in, threat assessments out, operations refused."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import Accepted, Outcome, Refused, process, stamp_version
from connectors.synthetic import get_generator
from connectors.unodc import TLP_MARKINGS, UnodcConnector
from gateway.contract import (
    InformationAccuracy,
    MsgType,
    ThreatAssessmentAlert,
    ThreatType,
    Tlp,
)
from tests.support.connectors import (
    accepted_as,
    check_chain,
    check_lapsed,
    check_revisions,
    check_withdrawn,
    generated_mix,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "connectors" / "unodc"
NOW = datetime(2025, 6, 1, tzinfo=UTC)
CONNECTOR = UnodcConnector()
GENERATOR = get_generator(CONNECTOR.org)


def run(payload: bytes, source: str = "test") -> list[Outcome]:
    return list(process(CONNECTOR, payload, source, now=NOW))


def accepted(outcomes: list[Outcome]) -> dict[str, ThreatAssessmentAlert]:
    return accepted_as(outcomes, ThreatAssessmentAlert)


SAMPLE = accepted(run(CONNECTOR.sample_path().read_bytes()))
NORTH = "UNODC:report--0f5c1d2e-8a3b-4c6d-9e7f-1a2b3c4d5e6f"
TRIANGLE = "UNODC:report--7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
REVOKED = "UNODC:report--2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"


def test_sample_gives_one_alert_per_report() -> None:
    """Identities, markings and locations are context; only the three reports become alerts."""
    assert set(SAMPLE) == {NORTH, TRIANGLE, REVOKED}


def test_report_fields_locations_and_tlp2_marking() -> None:
    """Title, summary, threat label, locations' regions and countries, TLP 2.0 GREEN mapped."""
    alert = SAMPLE[NORTH]
    threat = alert.subject
    assert threat is not None
    assert threat.title == "Afghan opiates on the northern route, 2024"
    assert threat.threat_type is ThreatType.DRUG_TRAFFICKING
    assert threat.regions == ("Golden Crescent", "Northern route", "central-asia")
    assert threat.countries == ("AFG", "TJK")
    assert threat.valid_from == datetime(2024, 3, 1, 9, tzinfo=UTC)
    assert threat.valid_until == datetime(2025, 3, 1, tzinfo=UTC)
    env = alert.envelope
    assert env.tlp is Tlp.GREEN
    assert env.originating_country == "AUT"
    assert env.information_accuracy is InformationAccuracy.KNOWN_TO_SOURCE  # confidence 75
    assert env.msg_type is MsgType.ALERT
    assert env.version == stamp_version(datetime(2024, 3, 1, 9, tzinfo=UTC))


def test_later_modified_is_an_update_with_named_marking() -> None:
    """A later modified stamp updates the created version; a bundled TLP:AMBER+STRICT applies."""
    alert = SAMPLE[TRIANGLE]
    env = alert.envelope
    assert env.msg_type is MsgType.UPDATE
    assert env.version == stamp_version(datetime(2024, 4, 2, 8, 30, tzinfo=UTC))
    assert [r.version for r in env.references] == [
        stamp_version(datetime(2024, 2, 10, 12, tzinfo=UTC))
    ]
    assert env.tlp is Tlp.AMBER_STRICT
    assert env.originating_country == "THA"


def test_revoked_report_is_an_envelope_only_cancel() -> None:
    """revoked: true with a later modified stamp is a CANCEL without subject."""
    alert = SAMPLE[REVOKED]
    assert alert.envelope.msg_type is MsgType.CANCEL
    assert alert.subject is None
    assert alert.envelope.tlp is Tlp.CLEAR  # TLP 1.0 WHITE


def test_tlp1_marking_and_custom_threat_type() -> None:
    """A TLP 1.0 AMBER id and x_unodc_threat_type are understood; low confidence is grade 4."""
    (alert,) = accepted(run((FIXTURES / "valid" / "tlp1_terrorism.json").read_bytes())).values()
    assert alert.envelope.tlp is Tlp.AMBER
    assert alert.subject is not None
    assert alert.subject.threat_type is ThreatType.TERRORISM
    assert alert.subject.countries == ()
    assert alert.envelope.information_accuracy is InformationAccuracy.CANNOT_BE_JUDGED


def test_every_tlp_level_has_a_standard_marking() -> None:
    """Each TLP 2.0 level is reachable from a standard marking-definition id."""
    assert set(TLP_MARKINGS.values()) == set(Tlp)


@pytest.mark.parametrize(
    ("name", "kind"), [("wanted_person.json", "WANTED_PERSON"), ("seizure.json", "COMMODITY")]
)
def test_operational_objects_are_refused_as_observer_operational(name: str, kind: str) -> None:
    """A person of interest or a seizure maps to its kind and is refused as operational."""
    (refused,) = run((FIXTURES / "broken" / name).read_bytes())
    assert isinstance(refused, Refused)
    assert refused.kind == kind
    assert [r.code for r in refused.quarantine.reasons] == ["observer_operational"]


BROKEN = {
    "wanted_person.json": ("map", "observer_operational", ""),
    "seizure.json": ("map", "observer_operational", ""),
    "person_without_name.json": ("map", "observer_operational", "type"),
    "indicator.json": ("map", "unsupported_object_type", "type"),
    "not_a_bundle.json": ("split", "not_a_bundle", "type"),
    "not_json.json": ("split", "bad_json", ""),
    "objects_not_list.json": ("split", "unexpected_shape", "objects"),
    "missing_tlp.json": ("map", "missing_tlp", "object_marking_refs"),
    "revoked_not_newer.json": ("map", "cancel_not_newer", "modified"),
    "unknown_location_country.json": ("map", "unknown_country", "location[0].country"),
    "validity_end_before_start.json": (
        "validate", "validity_end_before_start", "subject.valid_until",
    ),
    "bad_timestamp.json": ("map", "bad_timestamp", "modified"),
    "missing_description.json": ("map", "missing_field", "description"),
    "modified_before_created.json": ("map", "modified_before_created", "modified"),
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
    assert refused.quarantine.org == "UNODC"


def test_record_carries_the_objects_it_references() -> None:
    """A quarantined report keeps its referenced locations, so the refusal can be replayed."""
    (refused,) = run((FIXTURES / "broken" / "unknown_location_country.json").read_bytes())
    assert isinstance(refused, Refused)
    carried = orjson.loads(refused.quarantine.original)
    assert carried["object"]["type"] == "report"
    assert {c["type"] for c in carried["context"]} == {"location"}


def test_generator_is_valid_and_deterministic() -> None:
    """Generated bundles are fully accepted reports, repeatable by seed, mostly drug reports."""
    payload = GENERATOR.generate(random.Random(4), 150, NOW)
    assert payload == GENERATOR.generate(random.Random(4), 150, NOW)
    alerts = accepted(run(payload))
    assert len(alerts) == 150
    types = [a.subject.threat_type for a in alerts.values() if a.subject is not None]
    assert types.count(ThreatType.DRUG_TRAFFICKING) > len(types) / 3


def _assert_all_explained(outcomes: list[Outcome]) -> None:
    for o in outcomes:
        assert isinstance(o, Accepted | Refused)
        if isinstance(o, Refused):
            assert o.quarantine.reasons
            assert all(r.code for r in o.quarantine.reasons)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    """Any bytes end as outcomes, each refusal with a reason; process never raises."""
    outcomes = run(data)
    assert outcomes
    _assert_all_explained(outcomes)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["report", "identity", "individual", "2024-13-01T00:00:00Z", "QQ"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
SAMPLE_OBJECTS: list[dict[str, Any]] = orjson.loads(CONNECTOR.sample_path().read_bytes())["objects"]


@settings(max_examples=250, deadline=None)
@given(
    st.sampled_from(SAMPLE_OBJECTS),
    st.sampled_from(sorted({k for o in SAMPLE_OBJECTS for k in o})),
    json_values,
)
def test_mutated_object_never_crashes(obj: dict[str, Any], key: str, value: Any) -> None:
    """A bundle whose object has any field replaced by any JSON value never raises."""
    others = [o for o in SAMPLE_OBJECTS if o is not obj]
    payload = orjson.dumps({"type": "bundle", "objects": [{**obj, key: value}, *others]})
    outcomes = run(payload)
    untouched = sum(1 for o in others if o["type"] == "report")
    assert len(outcomes) >= untouched  # the untouched reports still come out
    _assert_all_explained(outcomes)


# --- revisions (Connector.revise) --------------------------------------------------------


def test_revisions_keep_the_id_raise_the_version_and_narrow() -> None:
    """Each generated report revised each way is an UPDATE or a CANCEL of the same STIX id, a
    higher version, RED with named countries, and a narrowing that reaches fewer countries."""
    payload = GENERATOR.generate(random.Random(21), 60, NOW)
    assert check_revisions(CONNECTOR, payload, NOW, seed=1) > 30


def test_revisions_of_revisions_at_the_same_instant() -> None:
    """A new version made within the same second as the last still moves ``modified`` on."""
    check_chain(CONNECTOR, GENERATOR.generate(random.Random(22), 10, NOW), NOW, seed=2)


def test_lapsed_report_is_renewed_by_an_update_and_still_revoked() -> None:
    """A report revised after its short validity lapsed is renewed, or revoked cleanly."""
    payload = GENERATOR.generate(random.Random(23), 300, NOW)
    assert check_lapsed(CONNECTOR, payload, NOW, seed=3) > 0


def test_generator_expires_some_reports_soon() -> None:
    """About 3 % of generated reports lapse within two minutes of the bundle."""
    alerts, _, _, short = generated_mix(
        CONNECTOR, GENERATOR.generate(random.Random(24), 3000, NOW), NOW
    )
    assert 0.01 * alerts <= short <= 0.06 * alerts


def test_revision_is_written_the_stix_way() -> None:
    """A new version keeps the id and moves ``modified`` on by a second even at the same
    instant; RED is the TLP 2.0 RED marking with named countries; a cancel is ``revoked``."""
    payload = GENERATOR.generate(random.Random(25), 1, NOW)
    (record,) = list(CONNECTOR.split(payload, "t"))
    original = orjson.loads(record.data)["object"]
    modified = datetime.fromisoformat(original["modified"])
    stamp = modified + timedelta(seconds=1)
    red = _report(GENERATOR.revise(random.Random(4), record, modified, "raise_red"))
    assert (red["id"], datetime.fromisoformat(red["modified"])) == (original["id"], stamp)
    assert TLP_MARKINGS[red["object_marking_refs"][0]] is Tlp.RED
    assert 1 <= len(red["x_unodc_release_to"]) <= 2
    cancel = _report(GENERATOR.revise(random.Random(4), record, NOW, "cancel"))
    assert cancel["revoked"] is True
    assert datetime.fromisoformat(cancel["modified"]) == NOW


def test_release_and_deny_properties_are_read() -> None:
    """``x_unodc_release_to`` and ``x_unodc_deny`` become the release and deny lists."""
    bundle = orjson.loads(GENERATOR.generate(random.Random(26), 1, NOW))
    report = bundle["objects"][-1]
    report["x_unodc_release_to"], report["x_unodc_deny"] = ["KZ", "UZB"], ["RU"]
    (alert,) = accepted(run(orjson.dumps(bundle))).values()
    assert alert.envelope.release_to_countries == ("KAZ", "UZB")
    assert alert.envelope.deny_countries == ("RUS",)


def _report(payload: bytes) -> dict[str, Any]:
    (report,) = [o for o in orjson.loads(payload)["objects"] if o["type"] == "report"]
    return dict(report)


def test_withdrawn_sample_record_is_only_withdrawn_again() -> None:
    """Revising the sample's withdrawn record any way gives a later withdrawal, never a revival."""
    assert check_withdrawn(CONNECTOR, CONNECTOR.sample_path().read_bytes(), NOW) >= 1
