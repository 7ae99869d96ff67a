"""Every Grafana panel shows data: a real Prometheus scrapes a short `frontline simulate` run."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from gateway.broker.ports import free_port_block

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "frontline.json"
FRONTLINE = str(Path(sys.executable).parent / "frontline")
JOBS = ("frontline-connectors", "frontline-hub", "frontline-nodes", "frontline-posts")
SIMULATION_S = 20
# Template variables of the dashboard become "everything" and Grafana's rate window 30 s.
SUBSTITUTIONS = {"$__rate_interval": "30s", "$org": ".*", "$country": ".*"}

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def panel_queries() -> dict[str, str]:
    """Each panel target's PromQL, keyed by panel title and refId, variables substituted."""
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    panels: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        panels.extend(panel.get("panels", []) if panel.get("type") == "row" else [panel])
    queries = {}
    for panel in panels:
        for target in panel["targets"]:
            expr = target["expr"]
            for variable, value in SUBSTITUTIONS.items():
                expr = expr.replace(variable, value)
            queries[f"{panel['title']} [{target['refId']}]"] = expr
    return queries


def _stop(proc: subprocess.Popen[bytes], grace_s: float) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture
def prometheus_binary() -> str:
    """Debian's prometheus server."""
    found = shutil.which("prometheus")
    if found is None:
        pytest.skip("prometheus is not installed: `apt-get install prometheus` (make test does)")
    return found


@pytest.fixture
def metrics_base() -> int:
    """First of the four consecutive ports the simulation serves metrics on (below the
    ephemeral range, where an outgoing connection could take one before the post binds it)."""
    return free_port_block(4)


@pytest.fixture
def prometheus(prometheus_binary: str, metrics_base: int, tmp_path: Path) -> Iterator[str]:
    """A real Prometheus scraping the four simulation endpoints every second; yields its URL."""
    port = _free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [f"127.0.0.1:{metrics_base + i}"]}]}
            for i, job in enumerate(JOBS)
        ],
    }
    config_path = tmp_path / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    url = f"http://127.0.0.1:{port}"
    with (tmp_path / "prometheus.log").open("wb") as log:
        proc = subprocess.Popen(  # the system prometheus, fixed argv, no shell
            [
                prometheus_binary,
                f"--config.file={config_path}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "prometheus.log").read_text()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            time.sleep(0.2)
        else:
            pytest.fail("prometheus did not become ready within 30 s")
        yield url
    finally:
        _stop(proc, 10)


def _has_series(url: str, expr: str) -> bool:
    response = httpx.get(f"{url}/api/v1/query", params={"query": expr}, timeout=5)
    body = response.json()
    assert body["status"] == "success", f"{expr}: {body}"
    return bool(body["data"]["result"])


def test_every_dashboard_panel_returns_data_during_a_simulation(
    prometheus: str, metrics_base: int, bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """During a short simulation every dashboard panel query returns at least one series."""
    pending = panel_queries()
    assert pending
    env = {
        **os.environ,
        "FRONTLINE_BOOTSTRAP_SERVERS": bootstrap,
        "FRONTLINE_TOPIC_PREFIX": prefix,
        "FRONTLINE_DATA_DIR": str(tmp_path / "state"),
        "FRONTLINE_LOG_FORMAT": "json",
    }
    argv = [
        FRONTLINE, "simulate", "--duration", f"{SIMULATION_S}s", "--countries", "3",
        "--posts-per-country", "1", "--metrics-base-port", str(metrics_base),
        "--report", str(tmp_path / "report"),
    ]  # fmt: skip
    log_path = tmp_path / "simulate.log"
    with log_path.open("wb") as log:
        sim = subprocess.Popen(  # our own CLI, fixed argv, no shell
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
    try:
        # A query counts once it has shown data at any moment of the run.
        deadline = time.monotonic() + 240
        while pending and time.monotonic() < deadline:
            running = sim.poll() is None
            pending = {k: e for k, e in pending.items() if not _has_series(prometheus, e)}
            if not running:
                break
            time.sleep(2)
    finally:
        # Let the exercise finish on its own so its exit code (the accounting) counts.
        try:
            sim.wait(timeout=SIMULATION_S + 150)
        except subprocess.TimeoutExpired:
            _stop(sim, 60)
    tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
    assert not pending, f"panels without data: {json.dumps(pending, indent=1)}\n{tail}"
    assert sim.returncode == 0, tail
