"""The generator registry and the one set of revision rules every generator follows."""

from __future__ import annotations

import ast
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.base import Connector
from connectors.registry import CONNECTOR_MODULES
from connectors.synthetic import get_generator
from connectors.synthetic.revise import (
    REVIEW_SHARE,
    Labels,
    kept_expiry,
    lapse_plan,
    next_change,
    next_stamp,
    revised_labels,
)
from gateway.contract import (
    Envelope,
    HandlingCode,
    InformationAccuracy,
    MsgType,
    Org,
    SourceReliability,
    Status,
    Tlp,
)
from gateway.errors import ConfigError

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
_CONNECTORS = Path(__file__).resolve().parents[2] / "connectors"


def _envelope(tlp: Tlp, release: tuple[str, ...] = (), deny: tuple[str, ...] = ()) -> Envelope:
    return Envelope(
        alert_id="INTERPOL:2025/1", version=1, msg_type=MsgType.ALERT, status=Status.ACTUAL,
        source_org=Org.INTERPOL, originating_country="FRA", issued_at=NOW, tlp=tlp,
        release_to_countries=release, deny_countries=deny, handling_code=HandlingCode.H2,
        source_reliability=SourceReliability.B,
        information_accuracy=InformationAccuracy.KNOWN_TRUE, legal_basis="test",
    )  # fmt: skip


@pytest.mark.parametrize("org", list(Org), ids=str)
def test_every_organization_has_a_generator_its_parser_accepts(org: Org) -> None:
    """Each contract organization has a generator whose payload its parser reads back."""
    generator = get_generator(org.value.lower())
    assert generator.org is org
    payload = generator.generate(random.Random(1), 3, NOW)
    module, name = CONNECTOR_MODULES[org]
    connector: Connector = getattr(__import__(module, fromlist=[name]), name)()
    assert len(list(connector.split(payload, "gen"))) == 3


def test_unknown_organization_has_no_generator() -> None:
    """An organization outside the contract is a ConfigError listing the known ones."""
    with pytest.raises(ConfigError) as info:
        get_generator("NOPOL")
    assert info.value.hint is not None
    assert "INTERPOL" in info.value.hint


def test_parsers_never_import_the_generators() -> None:
    """No parser, format or runtime module imports connectors.synthetic: generators depend on
    parsers, never the reverse."""
    offenders = []
    for path in _CONNECTORS.rglob("*.py"):
        if "synthetic" in path.relative_to(_CONNECTORS).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""] if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names] if isinstance(node, ast.Import) else []
            )  # fmt: skip
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("connectors.synth")]
    assert offenders == []


def test_connector_base_class_has_no_generation() -> None:
    """Generation lives in connectors.synthetic: the parser base class has no generate/revise."""
    assert not hasattr(Connector, "generate")
    assert not hasattr(Connector, "revise")


def test_one_review_share_for_every_format() -> None:
    """Two in a hundred generated wanted persons carry an offence the review holds."""
    assert REVIEW_SHARE == 0.02


def test_a_withdrawn_alert_is_only_withdrawn_again() -> None:
    """Whatever change is asked of a withdrawn alert, the organization sends a withdrawal."""
    withdrawn = _envelope(Tlp.GREEN).model_copy(update={"msg_type": MsgType.CANCEL})
    assert {next_change(c, withdrawn) for c in ("update", "narrow", "raise_red")} == {"cancel"}
    assert next_change("narrow", _envelope(Tlp.GREEN)) == "narrow"


@pytest.mark.parametrize("change", ["update", "narrow", "raise_red"])
def test_a_lapsed_alert_revised_is_renewed(change: str) -> None:
    """Any revision of a lapsed alert but a withdrawal renews it after its own stamp."""
    lapsed = NOW - timedelta(hours=1)
    assert lapse_plan(lapsed, NOW, change) == "renew"  # type: ignore[arg-type]
    renewed = kept_expiry(random.Random(1), lapsed, NOW, change)  # type: ignore[arg-type]
    assert renewed is not None
    assert renewed >= NOW + timedelta(days=30)


def test_a_lapsed_alert_withdrawn_drops_its_validity_and_a_valid_one_keeps_it() -> None:
    """A withdrawal of a lapsed alert carries no expiry; a valid alert keeps its own."""
    assert kept_expiry(random.Random(1), NOW - timedelta(hours=1), NOW, "cancel") is None
    later = NOW + timedelta(days=3)
    assert kept_expiry(random.Random(1), later, NOW, "narrow") == later


def test_next_stamp_is_whole_seconds_and_after_the_previous() -> None:
    """A revision stamp is now in whole UTC seconds, but at least one second past the last."""
    assert next_stamp(NOW, NOW - timedelta(days=1)) == NOW + timedelta(seconds=1)
    assert next_stamp(NOW, NOW + timedelta(minutes=1, microseconds=5)) == NOW + timedelta(minutes=1)


def test_raise_to_red_never_adds_a_recipient() -> None:
    """RED names countries already named when there are: a raise never widens a release."""
    for seed in range(50):
        envelope = _envelope(Tlp.AMBER, release=("DEU", "ESP", "ITA"))
        labels = revised_labels(random.Random(seed), envelope, "raise_red", ("FRA", "POL", "SWE"))
        assert labels.tlp is Tlp.RED
        assert 1 <= len(labels.release) <= 2
        assert set(labels.release) <= {"DEU", "ESP", "ITA"}


def test_narrowing_names_fewer_or_denies_one_more() -> None:
    """A narrowing drops a named country, names one or two under AMBER, or denies one more."""
    members = ("DEU", "ESP", "ITA", "POL")
    for seed in range(50):
        named = revised_labels(
            random.Random(seed), _envelope(Tlp.AMBER, ("DEU", "ESP")), "narrow", members
        )
        assert len(named.release) == 1
        green = revised_labels(random.Random(seed), _envelope(Tlp.GREEN), "narrow", members)
        assert green.release or len(green.deny) == 1
        assert green.tlp in (Tlp.AMBER, Tlp.GREEN)
    assert Labels.of(_envelope(Tlp.RED, ("DEU",))) == Labels(Tlp.RED, ("DEU",), ())
