"""FRONTEX connector: semicolon CSV incidents in, commodity alerts or precise refusals out."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import Outcome, Refused, process
from connectors.frontex import COLUMNS, FrontexConnector
from connectors.synthetic import get_generator
from gateway.contract import (
    CommodityAction,
    CommodityAlert,
    CommodityCategory,
    ConveyanceKind,
    DrugType,
    HandlingCode,
    MsgType,
    QuantityUnit,
    Tlp,
)
from tests.support.connectors import accepted_as, generated, generated_shares, revise_all

FIXTURES = Path(__file__).parents[1] / "fixtures" / "connectors" / "frontex"
NOW = datetime.now(UTC)
CONNECTOR = FrontexConnector()
GENERATOR = get_generator(CONNECTOR.org)


def run(payload: bytes, source: str = "test") -> list[Outcome]:
    return list(process(CONNECTOR, payload, source, now=NOW))


def accepted(outcomes: list[Outcome]) -> dict[str, CommodityAlert]:
    return accepted_as(outcomes, CommodityAlert)


SAMPLE = accepted(run(CONNECTOR.sample_path().read_bytes()))


def test_sample_maps_containers_vessel_route_and_quantity() -> None:
    """Decimal comma, spaced container numbers, IMO prefix, LOCODE route and Warsaw time map."""
    alert = SAMPLE["FRONTEX:FX-2025-0004117"]
    goods = alert.subject
    assert goods is not None
    assert goods.category is CommodityCategory.DRUGS
    assert goods.drug_type is DrugType.COCAINE_TYPE
    assert goods.quantity is not None
    assert (goods.quantity.amount, goods.quantity.unit) == (1250.5, QuantityUnit.KILOGRAM)
    assert [(c.kind, c.identifier, c.country) for c in goods.conveyances] == [
        (ConveyanceKind.VESSEL_IMO, "9074729", "PAN"),
        (ConveyanceKind.CONTAINER, "MWCU6059784", None),
        (ConveyanceKind.CONTAINER, "CSQU3054383", None),
    ]
    assert goods.route is not None
    assert goods.route.countries() == ("ECU", "PAN", "ITA")
    assert goods.route.origin is not None
    assert goods.route.origin.locode == "ECGYE"
    assert goods.concealment == "rip-on/rip-off; bags behind the reefer unit"
    assert goods.action is CommodityAction.CONTROLLED_DELIVERY
    env = alert.envelope
    assert env.issued_at == datetime(2025, 3, 14, 8, 30, tzinfo=UTC)  # 09:30 in Warsaw (CET)
    assert (env.originating_country, env.tlp, env.handling_code) == ("ITA", Tlp.AMBER,
                                                                      HandlingCode.H1)  # fmt: skip


def test_multiline_field_update_and_cancel() -> None:
    """A quoted field spanning two lines stays one record; revisions give UPDATE and CANCEL."""
    update = SAMPLE["FRONTEX:FX-2025-0003982"]
    assert update.envelope.msg_type is MsgType.UPDATE
    assert update.envelope.version == 3
    assert [r.version for r in update.envelope.references] == [2]
    assert update.subject is not None
    assert update.subject.concealment == "false deck,\nunder fishing gear"
    assert update.subject.drug_type is DrugType.CANNABIS
    assert update.subject.quantity is not None
    assert update.subject.quantity.amount == 8400.0
    cancel = SAMPLE["FRONTEX:FX-2024-0011876"]
    assert cancel.envelope.msg_type is MsgType.CANCEL
    assert cancel.subject is None


def test_cash_greece_and_tablets() -> None:
    """EUR amounts are MONEY with a currency, 'EL' is Greece, captagon is amphetamine-type."""
    cash = SAMPLE["FRONTEX:FX-2025-0004120"]
    assert cash.envelope.originating_country == "GRC"
    assert cash.envelope.tlp is Tlp.AMBER_STRICT
    assert cash.subject is not None
    assert cash.subject.quantity is not None
    assert (cash.subject.quantity.unit, cash.subject.quantity.currency) == (
        QuantityUnit.MONEY, "EUR",
    )  # fmt: skip
    tablets = SAMPLE["FRONTEX:FX-2025-0004121"].subject
    assert tablets is not None
    assert tablets.drug_type is DrugType.AMPHETAMINE_TYPE
    assert tablets.quantity is not None
    assert tablets.quantity.amount == 1_200_000


def test_windows_1252_export_and_spanish_substance() -> None:
    """A Windows-1252 file decodes, and 'cocaína' is recognised as cocaine-type."""
    (alert,) = accepted(run((FIXTURES / "valid" / "windows1252.csv").read_bytes())).values()
    assert alert.subject is not None
    assert alert.subject.drug_type is DrugType.COCAINE_TYPE
    assert alert.subject.concealment == "oculto en cajas de plátanos \u2013 Almería"  # en dash


def test_minimal_columns_and_blank_lines() -> None:
    """Optional columns may be absent and blank lines are skipped; 'UK' is GBR."""
    alerts = accepted(run((FIXTURES / "valid" / "minimal_columns.csv").read_bytes()))
    assert sorted(alerts) == ["FRONTEX:FX-2025-0000002", "FRONTEX:FX-2025-0000003"]
    assert alerts["FRONTEX:FX-2025-0000002"].envelope.originating_country == "GBR"
    rifles = alerts["FRONTEX:FX-2025-0000003"].subject
    assert rifles is not None
    assert rifles.category is CommodityCategory.FIREARMS
    assert rifles.action is CommodityAction.INSPECT


BROKEN = {
    "bad_header.csv": ("split", "bad_header", ""),
    "empty.csv": ("split", "bad_header", ""),
    "bad_date.csv": ("map", "bad_date", "report_date"),
    "field_count.csv": ("parse", "field_count", ""),
    "unterminated_quote.csv": ("parse", "field_count", ""),
    "bad_container.csv": ("validate", "container_check_digit", "subject.conveyances[0].identifier"),
    "bad_imo.csv": ("validate", "imo_check_digit", "subject.conveyances[0].identifier"),
    "unknown_substance.csv": ("map", "unknown_substance", "substance"),
    "bad_number.csv": ("map", "bad_number", "quantity"),
    "bad_locode.csv": ("map", "bad_locode", "port_of_loading"),
    "unknown_country.csv": ("map", "unknown_country", "reporting_ms"),
    "withdrawn_first_revision.csv": ("validate", "version_not_after_first", "envelope.version"),
}


def test_every_broken_fixture_is_listed() -> None:
    """Each broken fixture on disk has an expected outcome here."""
    assert {p.name for p in (FIXTURES / "broken").iterdir()} == set(BROKEN)


@pytest.mark.parametrize(("name", "expected"), sorted(BROKEN.items()))
def test_broken_fixture_is_refused(name: str, expected: tuple[str, str, str]) -> None:
    """Each broken fixture ends in quarantine with its stage, reason code and column."""
    data = (FIXTURES / "broken" / name).read_bytes()
    (refused,) = run(data, name)
    assert isinstance(refused, Refused)
    stage, code, path = expected
    assert refused.quarantine.stage == stage
    assert (path, code) in [(r.path, r.code) for r in refused.quarantine.reasons]
    if stage != "split":
        assert refused.quarantine.original.startswith(b"incident_id;")  # the header travels along


def test_generator_is_valid_deterministic_and_realistic() -> None:
    """Generated exports are fully accepted, unique by id, cocaine in containers above all."""
    payload = GENERATOR.generate(random.Random(9), 400, NOW)
    assert payload == GENERATOR.generate(random.Random(9), 400, NOW)
    alerts = accepted(run(payload))
    assert len(alerts) == 400
    drugs = [a.subject.drug_type for a in alerts.values() if a.subject is not None]
    cocaine = [d for d in drugs if d is DrugType.COCAINE_TYPE]
    assert len(cocaine) > 100


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(COLUMNS),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=25),
    st.integers(0, 4),
)
def test_mutated_cell_never_crashes(column: str, text: str, row: int) -> None:
    """Any text in any cell of the sample gives accepted or reasoned refusals, never an error."""
    import csv  # noqa: PLC0415  # only this test rewrites CSV
    import io  # noqa: PLC0415  # only this test rewrites CSV

    rows = list(csv.reader(io.StringIO(CONNECTOR.sample_path().read_text("utf-8-sig")),
                           delimiter=";"))  # fmt: skip
    if column not in rows[0]:  # a column the sample does not use: add it, empty
        rows = [[*r, column if i == 0 else ""] for i, r in enumerate(rows)]
    rows[1 + row][rows[0].index(column)] = text
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    outcomes = run(out.getvalue().encode())
    assert len(outcomes) >= 1
    for outcome in outcomes:
        if isinstance(outcome, Refused):
            assert outcome.quarantine.reasons


# --- revisions (Connector.revise) ----------------------------------------------------------


def test_revisions_update_narrow_raise_red_and_cancel() -> None:
    """Every change to a generated row is one UPDATE or CANCEL of its id, at a higher version."""
    seen = revise_all(CONNECTOR, generated(CONNECTOR, 40, NOW), NOW)
    assert seen["chains"] >= 30


def test_revision_is_the_row_at_the_next_revision() -> None:
    """A raise to RED is the incident row at revision n+1, UPDATED, naming EU-coded countries."""
    import csv  # noqa: PLC0415  # only this test reads CSV
    import io  # noqa: PLC0415  # only this test reads CSV

    original = generated(CONNECTOR, 1, NOW)[0]
    payload = GENERATOR.revise(random.Random(4), original.record, NOW, "raise_red")
    header, row = list(csv.reader(io.StringIO(payload.decode()), delimiter=";"))
    cells = dict(zip(header, row, strict=True))
    assert cells["revision"] == str(original.alert.envelope.version + 1)
    assert (cells["status"], cells["tlp"]) == ("UPDATED", "RED")
    assert 1 <= len(cells["release_to"].split("|")) <= 2
    cancel = GENERATOR.revise(random.Random(4), original.record, NOW, "cancel")
    assert ";WITHDRAWN;" in cancel.decode()


def test_generator_sends_short_expiries() -> None:
    """A few percent of generated incidents expire within two minutes of the export."""
    _, short = generated_shares(CONNECTOR, NOW)
    assert 0.01 <= short <= 0.06
