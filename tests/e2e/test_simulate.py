"""`frontline simulate` end to end: a short exercise on the real broker with a passing account."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gateway.broker.ports import free_port

from .conftest import Run

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_short_exercise_accounts_for_every_record(
    frontline: Run, bootstrap: str, tmp_path: Path
) -> None:
    """A 12-second exercise publishes or quarantines every record and fills every watchlist."""
    report_dir = tmp_path / "report"
    done = frontline(
        "simulate", "--duration", "12s", "--rate", "80", "--countries", "3",
        "--posts-per-country", "1", "--seed", "11", "--report", str(report_dir),
        "--metrics-base-port", str(free_port()), "--ack-delay", "1",
        env={"FRONTLINE_BOOTSTRAP_SERVERS": bootstrap}, timeout=300,
    )  # fmt: skip
    report = json.loads((report_dir / "report.json").read_text())
    failed = [c for c in report["accounting"] if not c["ok"]]
    assert done.returncode == 0, (failed, done.stderr[-3000:])
    assert not failed
    issued = sum(o["issued"] for o in report["organizations"].values())
    # Traffic really flowed: at least half the target. The exercise issues what the machine
    # keeps up with (a tick catches up at most 3 s), so a loaded 2-core machine issues less;
    # the accounting above, not this count, is what proves nothing was lost.
    assert issued >= 12 * 80 * 0.5
    assert report["latency"]["end_to_end"]["count"] > 0
    assert report["screening"]["queries"] > 0
    assert (report_dir / "report.html").read_text().count("data:image/png;base64,") >= 5
    _assert_way_back(report)


def _assert_way_back(report: dict[str, Any]) -> None:
    """Hits of every outcome, each forwarded one acknowledged, every held version receipted."""
    names = {c["name"] for c in report["accounting"]}
    assert {
        "every hit reached its originating organization and country exactly once, no one else",
        "every acknowledgement reached the reporting post",
        "every flag reached its organization once and shows at its country's posts",
        "every delivered version has a receipt from every intended post",
    } <= names
    way = report["wayback"]
    assert all(n >= 1 for n in way["hits_by_outcome"].values()), way["hits_by_outcome"]
    forwarded = sum(way["hits_by_outcome"].values()) - way["hits_by_outcome"]["FALSE_MATCH"]
    assert way["acknowledged"] == forwarded == way["report_to_ack"]["count"]
    assert way["report_to_ack"]["p50_ms"] >= way["ack_delay_s"] * 1000
    assert way["flags"] >= 1
    assert way["versions_counted"] > 0
    assert way["versions_with_every_receipt"] == way["versions_counted"]
