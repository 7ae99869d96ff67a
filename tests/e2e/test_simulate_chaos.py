"""`frontline simulate --hubs 2 --chaos --soak`: short exercises under faults whose accounting
must pass as without them.

The suite's smoke runs two hub instances on the session's broker, kills one and the posts'
process, and samples like the soak. Its twin on a three-broker cluster with a broker kill
takes minutes (three JVMs to start, one to restart), so it runs with FRONTLINE_CHAOS_CLUSTER=1
(`make chaos-smoke`); the full run of every fault kind is `make chaos`, the 30-minute soak
`make soak`.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import pytest

from gateway.broker import LocalCluster
from gateway.broker.ports import free_port_block

from .conftest import Run

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(420)]

CLUSTER_SMOKE = "FRONTLINE_CHAOS_CLUSTER"  # set (make chaos-smoke) to run the cluster's test


def _core_checks_pass(result: dict[str, Any], stderr: str) -> None:
    core = [c for c in result["accounting"] if not c["name"].startswith("soak:")]
    failed = [c for c in core if not c["ok"]]
    assert not failed, (failed, stderr[-3000:])
    names = {c["name"] for c in core}
    assert "no alert version delivered twice to a country or a post" in names
    assert "every fault was injected, restored, and the lag came back" in names


def _faults(result: dict[str, Any], kinds: set[str]) -> dict[str, dict[str, Any]]:
    faults = {f["fault"]: f for f in result["chaos"]["faults"]}
    assert set(faults) == kinds
    for fault in faults.values():
        assert fault["error"] is None
        assert fault["injected_s"] < fault["restored_s"]
        assert fault["lag_back_after_s"] is not None
        assert set(fault["latency"]) == {"before", "during", "after"}
    return faults


def test_two_hubs_under_a_hub_and_a_post_kill_account_for_every_record_with_soak_samples(
    frontline: Run, bootstrap: str, tmp_path: Path
) -> None:
    """With one of two hub instances and the posts' process SIGKILLed and restarted
    mid-traffic, nothing is lost or delivered twice, the report lists both faults with their
    recovery, and the soak's samples land in soak.csv and soak.png."""
    report = tmp_path / "report"
    done = frontline(
        "simulate", "--hubs", "2", "--chaos", "--faults", "hub-kill,post-kill", "--soak",
        "--sample-every", "3s", "--duration", "30s", "--rate", "60", "--countries", "2",
        "--posts-per-country", "1", "--seed", "16", "--report", str(report), "--ack-delay", "1",
        "--metrics-base-port", str(free_port_block(16)),
        env={"FRONTLINE_BOOTSTRAP_SERVERS": bootstrap}, timeout=400,
    )  # fmt: skip
    result = json.loads((report / "report.json").read_text())
    _core_checks_pass(result, done.stderr)
    # A 30-second run is too short to judge memory growth: only the soak's checks may fail.
    assert done.returncode == (0 if all(c["ok"] for c in result["accounting"]) else 1)
    assert result["run"]["hubs"] == 2
    faults = _faults(result, {"hub-kill", "post-kill"})
    assert faults["hub-kill"]["target"] in {"hub", "hub-2"}
    assert faults["post-kill"]["target"] == "posts"
    assert (report / "logs" / "hub-2.log").exists()
    assert "Faults" in done.stderr  # the text report's table
    assert "<h2>Faults</h2>" in (report / "report.html").read_text()
    names = {c["name"] for c in result["accounting"]}
    assert "soak: resident memory of every Frontline process flat after warm-up" in names
    with (report / "soak.csv").open() as rows:
        header = next(csv.reader(rows))
    assert {"t_s", "lag", "exercise_rss_mb", "hub-2_rss_mb", "posts_fds"} <= set(header)
    assert (report / "soak.png").stat().st_size > 10_000


@pytest.mark.skipif(
    not os.environ.get(CLUSTER_SMOKE),
    reason=f"starts and kills brokers of a three-node cluster (minutes); {CLUSTER_SMOKE}=1 "
    "or make chaos-smoke runs it",
)
def test_exercise_on_three_brokers_under_a_broker_and_a_hub_kill_accounts_for_every_record(
    frontline: Run, tmp_path: Path
) -> None:
    """With the leader of the busiest ingress partition and a hub instance SIGKILLed and
    restarted mid-traffic on a three-broker cluster, nothing is lost or delivered twice and
    the report lists both faults and their recovery."""
    report = tmp_path / "report"
    cluster = LocalCluster(tmp_path / "state" / "broker-cluster")  # the frontline fixture's data
    try:
        done = frontline(
            "simulate", "--brokers", "3", "--hubs", "2", "--chaos",
            "--faults", "broker-kill,hub-kill", "--duration", "40s", "--rate", "60",
            "--countries", "2", "--posts-per-country", "1", "--seed", "16",
            "--report", str(report), "--ack-delay", "1",
            "--metrics-base-port", str(free_port_block(16)), timeout=400,
        )  # fmt: skip
    finally:
        cluster.down()
    result = json.loads((report / "report.json").read_text())
    _core_checks_pass(result, done.stderr)
    assert done.returncode == 0
    assert result["run"]["brokers"] == 3
    faults = _faults(result, {"broker-kill", "hub-kill"})
    assert faults["broker-kill"]["target"].startswith("broker ")
