"""`frontline simulate` end to end: a short exercise on the real broker with a passing account."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.broker.ports import free_port_block
from tests.support.exercise import assert_way_back

from .conftest import Run

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]  # the run gets 300 s


def test_short_exercise_accounts_for_every_record(
    frontline: Run, bootstrap: str, tmp_path: Path
) -> None:
    """A 12-second exercise publishes or quarantines every record and fills every watchlist,
    travel documents included."""
    report_dir = tmp_path / "report"
    done = frontline(
        "simulate", "--duration", "12s", "--rate", "80", "--countries", "3",
        "--posts-per-country", "1", "--seed", "11", "--report", str(report_dir),
        "--metrics-base-port", str(free_port_block(32)), "--ack-delay", "1",
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
    assert_way_back(report)
    # Travel documents (INTERPOL's SLTD, ASEANAPOL's e-ADS) were issued, revised and accounted
    # at USA.JFK, the one post of the three that subscribes to them.
    documents = report["screening"]["documents"]
    assert documents["issued"] > 0
    assert documents["versions_published"] > documents["issued"] * 0.5
    checks = {c["name"]: c for c in report["accounting"]}
    listed = checks["every post's travel documents equal what policy allows"]
    assert "1 of 3 posts subscribe" in listed["detail"]
    assert " 0 expected" not in listed["detail"]
    assert documents["screened"] == documents["found"] == 1
    assert checks["a planted stolen document is found at a subscribed post"]["ok"]
