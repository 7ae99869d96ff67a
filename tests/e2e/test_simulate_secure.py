"""`frontline simulate --secure` end to end: a secured broker, one principal per process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.broker import LocalCluster
from gateway.broker.ports import free_port_block
from gateway.post.access_log import AccessLog
from tests.support.exercise import assert_way_back

from .conftest import Run

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]


def _screened_values(report: Path) -> set[str]:
    """Every name, birth date and document number the exercise screened (its access logs)."""
    secrets: set[str] = set()
    for store in sorted((report / "state" / "posts").glob("*.sqlite")):
        access = AccessLog(store, store.name.removesuffix(".sqlite"))
        rows = access.entries()
        access.close()
        for row in rows:
            # A bare birth year also occurs in timestamps' digits: months and days only.
            for field, shortest in (("name", 4), ("date_of_birth", 7), ("document_number", 5)):
                value = row.query.get(field)
                if isinstance(value, str) and len(value) >= shortest:
                    secrets.add(value)
    return secrets


def test_secured_exercise_accounts_for_every_record_and_logs_no_traveller(
    frontline: Run, tmp_path: Path
) -> None:
    """On its own SASL_SSL broker, each process its own principal and every alert signed, the
    exercise's accounting passes and no process log names a screened traveller."""
    report = tmp_path / "report"
    cluster = LocalCluster(tmp_path / "state" / "broker-secure")  # the frontline fixture's data
    try:
        done = frontline(
            "simulate", "--secure", "--duration", "8s", "--rate", "40", "--countries", "2",
            "--posts-per-country", "1", "--seed", "13", "--report", str(report),
            "--metrics-base-port", str(free_port_block(32)), "--ack-delay", "1", timeout=240,
        )  # fmt: skip
    finally:
        cluster.down()
    result = json.loads((report / "report.json").read_text())
    failed = [c for c in result["accounting"] if not c["ok"]]
    assert done.returncode == 0, (failed, done.stderr[-3000:])
    assert not failed
    assert result["run"]["secure"]
    assert result["run"]["signed"]
    assert result["latency"]["end_to_end"]["count"] > 0
    assert_way_back(result)  # acks written as each organization's connector principal
    logs = {p.name: p.read_text(errors="replace") for p in (report / "logs").glob("*.log")}
    # a hub, a node per country, a posts host per post, each as its principal
    assert sorted(logs) == sorted(
        ["hub.log", *(f"node-{c}.log" for c in _countries(report)),
         *(f"post-{p}.log" for p in _posts(report))]
    )  # fmt: skip
    assert all('"signature_checks_on"' in text for text in logs.values())
    secrets = _screened_values(report)
    assert any(" " in s for s in secrets)  # names were screened, so the check below means something
    texts = logs | {"stdout": done.stdout, "stderr": done.stderr}
    for where, text in texts.items():
        for line in text.splitlines():
            named = [s for s in secrets if s in line]
            assert not named, f"{where}: a log line carries screened values {named[:3]}"


def _posts(report: Path) -> list[str]:
    return [p.name.removesuffix(".sqlite") for p in (report / "state" / "posts").glob("*.sqlite")]


def _countries(report: Path) -> set[str]:
    return {p.split(".", 1)[0] for p in _posts(report)}
