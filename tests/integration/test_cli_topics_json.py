"""`topics apply --json` and `topics list --json` on a real broker: one parseable document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from tests.support.topologies import SMALL

pytestmark = pytest.mark.integration


def test_apply_and_list_print_json_for_scripts(
    bootstrap: str, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """apply --json reports each topic's status and counts; list --json shows them on the broker."""
    monkeypatch.setenv("FRONTLINE_BOOTSTRAP_SERVERS", bootstrap)
    monkeypatch.setenv("FRONTLINE_TOPIC_PREFIX", prefix)
    topology = tmp_path / "topology.toml"
    topology.write_text(SMALL, encoding="utf-8")
    runner = CliRunner()
    applied = runner.invoke(app, ["topics", "apply", "--json", "--topology", str(topology)])
    assert applied.exit_code == 0, applied.output
    document = json.loads(applied.stdout)
    names = {t["topic"] for t in document["topics"]}
    assert f"{prefix}quarantine" in names
    assert {t["status"] for t in document["topics"]} == {"created"}
    assert document["counts"]["created"] == len(names)
    listed = runner.invoke(app, ["topics", "list", "--json", "--topology", str(topology)])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)["topics"]
    assert {r["topic"] for r in rows if r["on_broker"] and r["planned"]} == names
    assert json.loads(listed.stdout)["missing"] == 0
