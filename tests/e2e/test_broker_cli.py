"""`frontline broker` as a user drives it: up, status, topics, Kafka's own tool, down."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from gateway.broker import resolve_runtime

from .conftest import Run

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_broker_lifecycle_with_kafka_admin_tool(frontline: Run, tmp_path: Path) -> None:
    """A broker from `broker up` lists Frontline's topics in Kafka's TopicCommand, then stops."""
    data = str(tmp_path / "broker")
    env = {"FRONTLINE_BOOTSTRAP_SERVERS": ""}
    up = frontline("broker", "up", "--data-dir", data, "--port", "0", env=env)
    assert up.returncode == 0, up.stderr
    bootstrap = up.stdout.strip().splitlines()[-1]
    assert bootstrap.startswith("127.0.0.1:")
    try:
        again = frontline("broker", "up", "--data-dir", data, "--port", "0", env=env)
        assert again.returncode == 0
        assert "already running" in again.stdout

        status = frontline("broker", "status", "--data-dir", data, env=env)
        assert status.stdout.startswith("running")
        assert bootstrap in status.stdout

        applied = frontline("topics", "apply", env={"FRONTLINE_BOOTSTRAP_SERVERS": bootstrap})
        assert applied.returncode == 0, applied.stderr

        runtime = resolve_runtime()
        listed = subprocess.run(
            [
                runtime.java,
                "-cp",
                runtime.classpath,
                "org.apache.kafka.tools.TopicCommand",
                "--bootstrap-server",
                bootstrap,
                "--list",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert "fl.ingress.interpol" in listed.stdout.split()
        assert "fl.quarantine" in listed.stdout.split()

        logs = frontline("broker", "logs", "--data-dir", data, env=env)
        assert "Kafka" in logs.stdout or "kafka" in logs.stdout
    finally:
        down = frontline("broker", "down", "--data-dir", data, env=env)
    assert down.stdout.strip() == "stopped"
    after = frontline("broker", "status", "--data-dir", data, env=env)
    assert after.stdout.startswith("stopped")


def test_broker_died_during_start_shows_log_tail(frontline: Run, tmp_path: Path) -> None:
    """A broker that cannot start (corrupt config) fails with its log tail and a fix."""
    data = tmp_path / "broker"
    env = {"FRONTLINE_BOOTSTRAP_SERVERS": ""}
    first = frontline("broker", "up", "--data-dir", str(data), "--port", "0", env=env)
    assert first.returncode == 0, first.stderr
    frontline("broker", "down", "--data-dir", str(data), env=env)
    props = data / "node-1" / "server.properties"
    props.write_text(
        props.read_text().replace("process.roles=broker,controller", "process.roles=nonsense")
    )
    broken = frontline("broker", "up", "--data-dir", str(data), "--port", "0", env=env)
    assert broken.returncode == 2
    assert "died during start" in broken.stderr
    assert "fix:" in broken.stderr


def test_port_out_of_range_fails_before_any_folder(frontline: Run, tmp_path: Path) -> None:
    """`broker up --port 70000` exits 2 naming the valid range, and creates no data folder."""
    data = tmp_path / "broker"
    env = {"FRONTLINE_BOOTSTRAP_SERVERS": ""}
    refused = frontline("broker", "up", "--data-dir", str(data), "--port", "70000", env=env)
    assert refused.returncode == 2
    assert "--port 70000" in refused.stderr
    assert "fix:" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not data.exists()


def test_status_json_of_an_empty_folder(frontline: Run, tmp_path: Path) -> None:
    """`broker status --json` prints a JSON document saying stopped, with no nodes."""
    data = tmp_path / "nothing"
    shown = frontline("broker", "status", "--data-dir", str(data), "--json")
    assert shown.returncode == 0, shown.stderr
    value = json.loads(shown.stdout)
    assert value["state"] == "stopped"
    assert value["running"] is False
    assert value["nodes"] == []
