"""`frontline connector generate ORG --documents N`: native travel-document exports (issue 15)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from connectors.base import Accepted, process
from connectors.registry import get_connector
from gateway.cli.connector import app
from gateway.contract import TravelDocumentAlert


@pytest.mark.parametrize("org", ["INTERPOL", "ASEANAPOL"])
def test_generate_documents_writes_an_export_the_connector_accepts(org: str) -> None:
    """--documents 5 writes the organization's native export of five travel documents, every
    one accepted by its own connector as a TRAVEL_DOCUMENT alert."""
    result = CliRunner().invoke(app, ["generate", org, "--documents", "5", "--seed", "2"])
    assert result.exit_code == 0, result.output
    outcomes = list(process(get_connector(org), result.stdout_bytes, "cli"))
    assert len(outcomes) == 5
    assert all(isinstance(o, Accepted) for o in outcomes)
    alerts = [o.alert for o in outcomes if isinstance(o, Accepted)]
    assert all(isinstance(a, TravelDocumentAlert) for a in alerts)
    assert len({a.envelope.alert_id for a in alerts}) == 5


def test_generate_documents_is_a_clear_error_for_other_organizations() -> None:
    """An organization without a document export exits 2 naming the ones that have one."""
    result = CliRunner().invoke(app, ["generate", "EUROPOL", "--documents", "3"])
    assert result.exit_code == 2
    assert "EUROPOL exports no travel documents" in result.output
    assert "INTERPOL and ASEANAPOL" in result.output
    assert result.stdout_bytes.count(b"<") == 0  # nothing written as a payload


def test_generate_refuses_count_with_documents() -> None:
    """--count and --documents together are refused: they would be two payloads."""
    result = CliRunner().invoke(app, ["generate", "INTERPOL", "--count", "2", "--documents", "2"])
    assert result.exit_code == 2
    assert "--count and --documents" in result.output
