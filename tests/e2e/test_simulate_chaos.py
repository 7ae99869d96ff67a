"""`frontline simulate --brokers 3 --hubs 2 --chaos --soak`: a short exercise under faults on
its own three-broker cluster, with the soak's sampling, whose accounting must still pass.

The full run (every fault kind, minutes of traffic) is `make chaos`; the 30-minute soak is
`make soak`. This smoke keeps both harnesses from rotting.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from gateway.broker import LocalCluster
from gateway.broker.ports import free_port_block

from .conftest import Run

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(420)]


def test_exercise_under_a_broker_and_a_hub_kill_accounts_for_every_record(
    frontline: Run, tmp_path: Path
) -> None:
    """With the leader of the busiest ingress partition and a hub instance SIGKILLed and
    restarted mid-traffic, nothing is lost or doubled, and the report lists both faults,
    their recovery and the soak's samples."""
    report = tmp_path / "report"
    cluster = LocalCluster(tmp_path / "state" / "broker-cluster")  # the frontline fixture's data
    try:
        done = frontline(
            "simulate", "--brokers", "3", "--hubs", "2", "--chaos",
            "--faults", "broker-kill,hub-kill", "--soak", "--sample-every", "3s",
            "--duration", "40s", "--rate", "60", "--countries", "2", "--posts-per-country", "1",
            "--seed", "16", "--report", str(report), "--ack-delay", "1",
            "--metrics-base-port", str(free_port_block(16)), timeout=400,
        )  # fmt: skip
    finally:
        cluster.down()
    result = json.loads((report / "report.json").read_text())
    core = [c for c in result["accounting"] if not c["name"].startswith("soak:")]
    failed = [c for c in core if not c["ok"]]
    assert not failed, (failed, done.stderr[-3000:])
    # A 40-second run is too short to judge memory growth: only the soak's checks may fail.
    assert done.returncode == (0 if all(c["ok"] for c in result["accounting"]) else 1)
    assert result["run"]["brokers"] == 3
    assert result["run"]["hubs"] == 2
    faults = {f["fault"]: f for f in result["chaos"]["faults"]}
    assert set(faults) == {"broker-kill", "hub-kill"}
    for fault in faults.values():
        assert fault["error"] is None
        assert fault["injected_s"] < fault["restored_s"]
        assert fault["lag_back_after_s"] is not None
        assert set(fault["latency"]) == {"before", "during", "after"}
    assert faults["broker-kill"]["target"].startswith("broker ")
    assert faults["hub-kill"]["target"].startswith("hub")
    assert (report / "logs" / "hub-2.log").exists()
    assert "Faults" in done.stderr  # the text report's table
    assert "<h2>Faults</h2>" in (report / "report.html").read_text()
    names = {c["name"] for c in result["accounting"]}
    assert "soak: resident memory of every process flat after warm-up" in names
    with (report / "soak.csv").open() as rows:
        header = next(csv.reader(rows))
    assert {"t_s", "lag", "exercise_rss_mb", "broker-1_fds", "hub-2_rss_mb"} <= set(header)
    assert (report / "soak.png").stat().st_size > 10_000
