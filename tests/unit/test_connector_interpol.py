"""INTERPOL connector: notices API JSON in, wanted-person alerts or precise refusals out."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import Accepted, Outcome, Refused, process, stamp_version
from connectors.interpol import InterpolConnector
from connectors.synthetic import get_generator
from gateway.contract import (
    MsgType,
    PartialDate,
    PersonAction,
    PersonCategory,
    Sex,
    Tlp,
    WantedPersonAlert,
)
from tests.support.connectors import accepted_as, generated, generated_shares, revise_all

FIXTURES = Path(__file__).parents[1] / "fixtures" / "connectors" / "interpol"
NOW = datetime.now(UTC)  # notices without stamps are issued "now"
CONNECTOR = InterpolConnector()
GENERATOR = get_generator(CONNECTOR.org)


def run(payload: bytes, source: str = "test") -> list[Outcome]:
    # Validation's clock is read per call: a notice without stamps is issued at the real now,
    # which a clock frozen at import would see as the future once the suite has run a while.
    return list(process(CONNECTOR, payload, source, now=datetime.now(UTC)))


def accepted(outcomes: list[Outcome]) -> dict[str, WantedPersonAlert]:
    return accepted_as(outcomes, WantedPersonAlert)


def test_sample_maps_every_notice() -> None:
    """The shipped sample gives five alerts with names, partial dates and alpha-3 countries."""
    alerts = accepted(run(CONNECTOR.sample_path().read_bytes()))
    assert set(alerts) == {
        "INTERPOL:2021/75051", "INTERPOL:2019/31208", "INTERPOL:2023/10422",
        "INTERPOL:2024/55310", "INTERPOL:2018/90017",
    }  # fmt: skip
    first = alerts["INTERPOL:2021/75051"]
    assert first.subject is not None
    assert (first.subject.family_name, first.subject.given_names) == ("BENALI", "KARIM")
    assert first.subject.date_of_birth == PartialDate(year=1979, month=1, day=17)
    assert first.subject.nationalities == ("FRA", "DZA")
    assert first.subject.country_of_birth == "DZA"
    assert first.subject.offences == ("Organised drug trafficking",)
    assert first.subject.sex is Sex.MALE
    assert first.subject.physical_description is not None
    assert first.subject.physical_description.height_cm == 178
    assert first.subject.physical_description.eye_colour == "brown"
    assert first.subject.category is PersonCategory.ARREST_FOR_EXTRADITION
    assert first.envelope.originating_country == "FRA"
    assert first.envelope.msg_type is MsgType.ALERT
    assert first.envelope.version == stamp_version(datetime(2021, 3, 2, 9, 15, tzinfo=UTC))


def test_terrorism_charge_makes_a_foreign_terrorist_fighter_update() -> None:
    """An ISIL charge maps to FOREIGN_TERRORIST_FIGHTER; a later update stamp makes an UPDATE."""
    alert = accepted(run(CONNECTOR.sample_path().read_bytes()))["INTERPOL:2019/31208"]
    assert alert.subject is not None
    assert alert.subject.category is PersonCategory.FOREIGN_TERRORIST_FIGHTER
    assert alert.subject.date_of_birth == PartialDate(year=1991)
    assert alert.subject.physical_description is not None
    assert alert.subject.physical_description.height_cm is None  # 0 means unknown
    assert alert.subject.physical_description.weight_kg is None
    assert alert.envelope.msg_type is MsgType.UPDATE
    assert alert.envelope.tlp is Tlp.AMBER
    assert alert.envelope.deny_countries == ("SYR",)
    first = stamp_version(datetime(2019, 6, 11, 14, tzinfo=UTC))
    assert [(r.alert_id, r.version) for r in alert.envelope.references] == [
        ("INTERPOL:2019/31208", first)
    ]


def test_red_label_names_recipients_and_yellow_is_missing() -> None:
    """TLP:RED keeps its named recipients; a yellow notice is a MISSING person to report."""
    alerts = accepted(run(CONNECTOR.sample_path().read_bytes()))
    red = alerts["INTERPOL:2023/10422"]
    assert red.envelope.tlp is Tlp.RED
    assert red.envelope.release_to_countries == ("ESP", "COL")
    assert red.subject is not None
    assert red.subject.armed
    assert red.subject.violent
    assert red.subject.date_of_birth == PartialDate(year=1985, month=11)
    yellow = alerts["INTERPOL:2024/55310"]
    assert yellow.subject is not None
    assert yellow.subject.category is PersonCategory.MISSING
    assert yellow.subject.action is PersonAction.INFORM
    assert yellow.envelope.originating_country == "DEU"


def test_cancelled_notice_is_an_envelope_only_cancel() -> None:
    """state=cancelled becomes a CANCEL without subject, referencing the first version."""
    alert = accepted(run(CONNECTOR.sample_path().read_bytes()))["INTERPOL:2018/90017"]
    assert alert.envelope.msg_type is MsgType.CANCEL
    assert alert.subject is None
    assert alert.envelope.references[0].version < alert.envelope.version


def test_rerun_gives_same_ids_versions_and_bytes() -> None:
    """Processing the same export twice yields identical keys, versions and encoded values."""
    payload = CONNECTOR.sample_path().read_bytes()
    first, second = run(payload), run(payload)
    assert [(o.key, o.value) for o in first if isinstance(o, Accepted)] == [
        (o.key, o.value) for o in second if isinstance(o, Accepted)
    ]


@pytest.mark.parametrize("name", ["detail.json", "array.json"])
def test_valid_fixtures_are_accepted(name: str) -> None:
    """Detail objects and plain arrays are accepted like list pages."""
    alerts = accepted(run((FIXTURES / "valid" / name).read_bytes()))
    assert alerts


def test_detail_fixture_fields() -> None:
    """A year-month birth date, Kosovo's XK and a translated charge are mapped."""
    alert = accepted(run((FIXTURES / "valid" / "detail.json").read_bytes()))["INTERPOL:2022/40118"]
    assert alert.subject is not None
    assert alert.subject.date_of_birth == PartialDate(year=1980, month=5)
    assert alert.subject.nationalities == ("ALB", "XKX")
    assert alert.subject.offences == ("Drug trafficking",)
    assert alert.envelope.version == 1
    assert alert.envelope.tlp is Tlp.GREEN


def test_yellow_without_forename() -> None:
    """A yellow notice with a null forename keeps the family name alone."""
    alerts = accepted(run((FIXTURES / "valid" / "array.json").read_bytes()))
    person = alerts["INTERPOL:2020/22222"].subject
    assert person is not None
    assert (person.family_name, person.given_names) == ("OKAFOR", None)
    assert person.sex is Sex.UNSPECIFIED


BROKEN = {
    "not_json.json": ("split", "bad_json"),
    "wrong_shape.json": ("split", "unexpected_shape"),
    "notices_not_list.json": ("split", "unexpected_shape"),
    "summary_only.json": ("map", "missing_field"),
    "bad_date.json": ("map", "bad_date"),
    "unknown_country.json": ("map", "unknown_country"),
    "blue_notice.json": ("map", "unsupported_notice_type"),
    "birth_in_future.json": ("validate", "birth_in_future"),
    "red_without_recipients.json": ("validate", "red_without_recipients"),
    "cancel_not_newer.json": ("map", "cancel_not_newer"),
    "bad_entity_id.json": ("map", "bad_entity_id"),
}


def test_every_broken_fixture_is_listed() -> None:
    """Each broken fixture on disk has an expected outcome in this test module."""
    assert {p.name for p in (FIXTURES / "broken").iterdir()} == set(BROKEN)


@pytest.mark.parametrize(("name", "expected"), sorted(BROKEN.items()))
def test_broken_fixture_is_refused(name: str, expected: tuple[str, str]) -> None:
    """Each broken fixture ends in quarantine with its stage and reason code."""
    data = (FIXTURES / "broken" / name).read_bytes()
    outcomes = run(data, name)
    assert len(outcomes) == 1
    refused = outcomes[0]
    assert isinstance(refused, Refused)
    stage, code = expected
    assert refused.quarantine.stage == stage
    assert code in [r.code for r in refused.quarantine.reasons]
    assert refused.quarantine.org == "INTERPOL"
    if stage == "split":
        assert refused.quarantine.original == data


def test_unknown_country_names_the_path() -> None:
    """The reason points at the exact list item that is wrong."""
    (refused,) = run((FIXTURES / "broken" / "unknown_country.json").read_bytes())
    assert isinstance(refused, Refused)
    assert refused.quarantine.reasons[0].path == "nationalities[1]"


def test_generator_is_valid_deterministic_and_unique() -> None:
    """Generated pages are fully accepted, unique by id, and the same for the same seed."""
    payload = GENERATOR.generate(random.Random(7), 300, NOW)
    assert payload == GENERATOR.generate(random.Random(7), 300, NOW)
    alerts = accepted(run(payload))
    assert len(alerts) == 300
    categories = {a.subject.category for a in alerts.values() if a.subject is not None}
    assert PersonCategory.FOREIGN_TERRORIST_FIGHTER in categories
    assert PersonCategory.MISSING in categories
    tlps = [a.envelope.tlp for a in alerts.values()]
    assert tlps.count(Tlp.GREEN) + tlps.count(Tlp.AMBER) > len(tlps) // 2


def _assert_all_explained(outcomes: list[Outcome]) -> None:
    for o in outcomes:
        assert isinstance(o, Accepted | Refused)
        if isinstance(o, Refused):
            assert o.quarantine.reasons
            assert all(r.code for r in o.quarantine.reasons)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats()
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    """Any bytes end as outcomes, each refusal with a reason; process never raises."""
    _assert_all_explained(run(data))


SAMPLE_NOTICES: list[dict[str, Any]] = orjson.loads(CONNECTOR.sample_path().read_bytes())[
    "_embedded"
]["notices"]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(SAMPLE_NOTICES),
    st.sampled_from(sorted({k for n in SAMPLE_NOTICES for k in n})),
    json_values,
)
def test_mutated_notice_never_crashes(notice: dict[str, Any], key: str, value: Any) -> None:
    """A notice with any field replaced by any JSON value is accepted or refused with reasons."""
    mutated = {**notice, key: value}
    _assert_all_explained(run(orjson.dumps(mutated)))


def test_stamp_version_is_monotonic() -> None:
    """A later stamp always gives a larger version; a naive stamp counts as UTC."""
    earlier = datetime(2024, 1, 1, tzinfo=UTC)
    later = datetime(2024, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert stamp_version(later) == stamp_version(earlier) + 1
    assert stamp_version(datetime(2024, 1, 1)) == stamp_version(earlier)


# --- revisions (Connector.revise) ----------------------------------------------------------


def test_revisions_update_narrow_raise_red_and_cancel() -> None:
    """Every change to a generated notice is one UPDATE or CANCEL of its id at a higher version."""
    seen = revise_all(CONNECTOR, generated(CONNECTOR, 40, NOW), NOW)
    assert seen["chains"] >= 30


def test_cancel_is_a_later_cancelled_notice() -> None:
    """A cancel is the notice object with state cancelled and a later updated_at."""
    original = next(o for o in generated(CONNECTOR, 20, NOW) if o.alert.subject is not None)
    notice = orjson.loads(GENERATOR.revise(random.Random(1), original.record, NOW, "cancel"))
    assert notice["entity_id"] == original.alert.envelope.alert_id.removeprefix("INTERPOL:")
    assert notice["state"] == "cancelled"
    assert stamp_version(datetime.fromisoformat(notice["updated_at"])) > (
        original.alert.envelope.version
    )


def test_raise_red_names_alpha2_recipients() -> None:
    """Raised to RED, the notice names one or two alpha-2 recipients and no longer any deny twin."""
    original = next(o for o in generated(CONNECTOR, 20, NOW) if o.alert.subject is not None)
    notice = orjson.loads(GENERATOR.revise(random.Random(2), original.record, NOW, "raise_red"))
    assert notice["tlp"] == "RED"
    assert 1 <= len(notice["release_to_countries"]) <= 2
    assert all(len(c) == 2 for c in notice["release_to_countries"])


def test_generator_sends_review_held_persons_and_short_expiries() -> None:
    """About 1-2 % of generated persons wait for review; a few percent expire within minutes."""
    held, short = generated_shares(CONNECTOR, NOW)
    assert 0.004 <= held <= 0.035
    assert 0.01 <= short <= 0.06
