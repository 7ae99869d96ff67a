"""`node run` takes several countries: one instance serves exactly the ones named."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from typer.testing import CliRunner

from gateway.cli import node as node_cli
from gateway.node import service


def test_node_run_serves_every_country_named_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """`node run fra DEU FRA` runs one node for FRA and DEU, in the order named, upper-cased."""
    started: list[list[str]] = []

    async def fake_run(settings: Any, topology: Any, codes: Sequence[str], **_: Any) -> None:
        started.append(list(codes))

    monkeypatch.setattr(service, "run_node", fake_run)
    result = CliRunner().invoke(node_cli.app, ["run", "fra", "DEU", "FRA"])
    assert result.exit_code == 0, result.output
    assert started == [["FRA", "DEU"]]
    assert "2 countries" in result.output


def test_node_run_refuses_a_list_with_an_unknown_country() -> None:
    """One unknown code among several stops `node run` before anything starts."""
    result = CliRunner().invoke(node_cli.app, ["run", "FRA", "XXX"])
    assert result.exit_code == 2
    assert "XXX" in result.output
