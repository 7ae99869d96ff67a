"""``make fuzz`` at tiny size on the real broker: the harness runs every leg and cannot rot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.fuzz.ingress import BAD_KINDS
from bench.fuzz.mutate import KINDS
from connectors.registry import CONNECTOR_MODULES
from tests.support.paths import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.mark.timeout(200)
def test_fuzz_smoke_accounts_for_every_record(bootstrap: str, tmp_path: Path) -> None:
    """Every connector's inputs (travel-document exports included) and every mutation run,
    the Kafka legs balance, each bad ingress kind is quarantined with a reason, good alerts
    are routed, and the run stays short."""
    report = tmp_path / "fuzz.json"
    argv = [sys.executable, "-m", "bench.fuzz", "--smoke", "--json", str(report)]
    env = os.environ | {"FRONTLINE_BOOTSTRAP_SERVERS": bootstrap}
    started = time.monotonic()
    proc = subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=170, check=False
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["ok"] is True
    native = data["native"]
    assert set(native["by_org"]) == {org.value for org in CONNECTOR_MODULES}
    inputs = {o.value for o in CONNECTOR_MODULES} | {"INTERPOL documents", "ASEANAPOL documents"}
    assert set(native["by_input"]) == inputs
    assert set(native["by_kind"]) == set(KINDS)
    assert native["cases"] == 572  # 4 of each (input, mutation) pair
    assert native["now"]  # the clock a finding would be replayed at
    assert native["internal_errors"] == 0
    assert native["outcomes"] == native["accepted"] + native["refused"] >= native["cases"]
    kafka = data["kafka"]
    assert kafka["balanced"] is True
    assert kafka["published"] + kafka["quarantined"] == kafka["records_expected"] > 0
    assert set(kafka["by_input"]) == inputs  # each input's exports went through Kafka too
    ingress = data["ingress"]
    assert set(ingress["by_kind"]) == set(BAD_KINDS)
    for kind, row in ingress["by_kind"].items():
        assert row["sent"] == row["quarantined"] > 0, kind
        assert sum(row["reasons"].values()) == row["sent"], kind
    assert ingress["good_delivered"] == ingress["good_deliverable"] > 0
    assert ingress["good_quarantined"] == 0
    assert ingress["problems"] == []
    # About 35 s on an idle machine with the broker up, 95 s at load average 20 on 2 cores.
    assert elapsed < 150, f"the smoke run took {elapsed:.0f} s"
