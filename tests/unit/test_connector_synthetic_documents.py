"""Synthetic travel-document exports: every record valid, revisions by the shared rules."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from connectors.base import Accepted, Connector, process
from connectors.registry import get_connector
from connectors.synthetic import get_generator
from gateway.contract import AlertKind, DocumentStatus, TravelDocumentAlert
from tests.support.connectors import (
    accepted_as,
    check_chain,
    check_lapsed,
    check_revisions,
    check_withdrawn,
    revise_all,
)

NOW = datetime.now(UTC).replace(microsecond=0)
ORGS = ("INTERPOL", "ASEANAPOL")


def documents(org: str, count: int, seed: int = 7) -> bytes:
    """A generated document export of ``org``."""
    generate = get_generator(org).generate_documents
    assert generate is not None
    return generate(random.Random(seed), count, NOW)


@pytest.mark.parametrize("org", ORGS)
def test_every_generated_document_is_accepted(org: str) -> None:
    """A generated export of 400 documents maps to 400 valid TRAVEL_DOCUMENT alerts."""
    outcomes = list(process(get_connector(org), documents(org, 400), "generated", now=NOW))
    assert all(isinstance(o, Accepted) for o in outcomes), [
        o.quarantine.reasons for o in outcomes if not isinstance(o, Accepted)
    ][:3]
    alerts = accepted_as(outcomes, TravelDocumentAlert)
    assert len(alerts) == 400
    statuses = {a.subject.status for a in alerts.values() if a.subject is not None}
    assert {DocumentStatus.LOST, DocumentStatus.STOLEN} <= statuses
    issuers = {a.subject.issuing_country for a in alerts.values() if a.subject is not None}
    assert "DEU" in issuers  # written 'D' as ICAO does


@pytest.mark.parametrize("org", ORGS)
def test_same_seed_same_export(org: str) -> None:
    """The same seed gives the same payload, so ids and versions repeat."""
    assert documents(org, 20, seed=3) == documents(org, 20, seed=3)


@pytest.mark.parametrize("org", ORGS)
def test_revisions_follow_the_shared_rules(org: str) -> None:
    """Update, narrow, raise to RED and withdraw a document, each by the shared rules."""
    connector: Connector = get_connector(org)
    outcomes = list(process(connector, documents(org, 12), "generated", now=NOW))
    originals = [o for o in outcomes if isinstance(o, Accepted)]
    seen = revise_all(connector, originals, NOW)
    assert seen["chains"] == 12
    assert check_revisions(connector, documents(org, 15, seed=4), NOW, seed=2) >= 0
    check_chain(connector, documents(org, 10, seed=5), NOW, seed=3)


@pytest.mark.parametrize("org", ORGS)
def test_a_withdrawn_document_stays_a_document(org: str) -> None:
    """A withdrawal is a CANCEL of the same kind, whatever change is asked after it."""
    connector = get_connector(org)
    sample = connector.sample_paths()[1].read_bytes()
    assert check_withdrawn(connector, sample, NOW) == 1
    record = next(r for r in connector.split(documents(org, 1), "generated"))
    revised = get_generator(org).revise(random.Random(1), record, NOW, "cancel")
    (outcome,) = process(connector, revised, "revision", now=NOW)
    assert isinstance(outcome, Accepted)
    assert outcome.kind is AlertKind.TRAVEL_DOCUMENT
    assert outcome.alert.subject is None


@pytest.mark.parametrize("org", ORGS)
def test_lapsed_documents_are_renewed(org: str) -> None:
    """A document alert whose short validity lapsed is renewed by any revision but a withdrawal."""
    assert check_lapsed(get_connector(org), documents(org, 300, seed=9), NOW, seed=1) > 0


@pytest.mark.parametrize("org", ORGS)
def test_generate_writes_no_documents(org: str) -> None:
    """The exercise's traffic (``generate``) is unchanged: documents only when asked for."""
    payload = get_generator(org).generate(random.Random(2), 50, NOW)
    kinds = {o.kind for o in process(get_connector(org), payload, "generated", now=NOW)}
    assert AlertKind.TRAVEL_DOCUMENT not in kinds


def test_other_organizations_have_no_document_generator() -> None:
    """Only the organizations with a documents export generate documents."""
    assert get_generator("EUROPOL").generate_documents is None
