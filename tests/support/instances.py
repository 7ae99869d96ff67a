"""Several `frontline` processes for the instance tests: spawn `python -m gateway ...` with a
JSON log, read from that log what each instance owned, stop them, and what every border-post
feed must hold after the hub's national topics."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gateway.contract.codec import decode_dict
from gateway.node.route import decide
from gateway.topology import Topology
from tests.support.paths import ROOT

__all__ = ["expected_by_post", "instance_env", "owned", "spawn", "stop_all", "until"]

Versions = Counter[tuple[str, str, bool]]
"""(alert id, fl-version, tombstone) -> how many records a topic holds of it."""


def instance_env(bootstrap: str, prefix: str, topology: Path) -> dict[str, str]:
    """The environment of an instance: this cluster and prefix, commits every 100 ms, JSON logs
    (which ``owned`` reads)."""
    return os.environ | {
        "FRONTLINE_BOOTSTRAP_SERVERS": bootstrap,
        "FRONTLINE_TOPIC_PREFIX": prefix,
        "FRONTLINE_TOPOLOGY_FILE": str(topology),
        "FRONTLINE_COMMIT_INTERVAL_MS": "100",
        "FRONTLINE_LOG_FORMAT": "json",
    }


def spawn(args: Sequence[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``python -m gateway <args>`` from the repository root, stdout and stderr into ``log``."""
    with log.open("ab") as handle:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "gateway", *args],
            cwd=ROOT, env=dict(env), stdout=handle, stderr=subprocess.STDOUT,
        )  # fmt: skip


def owned(log: Path) -> list[int]:
    """The input partitions the instance owned after each of its rebalances (``eos_assigned``
    lines of its JSON log), oldest first."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return [
        int(json.loads(line[line.index("{") :])["owned"])
        for line in lines
        if '"eos_assigned"' in line
    ]


async def until(check: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    """Wait until ``check()`` holds; AssertionError naming ``what`` after ``timeout_s``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        if check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def stop_all(processes: Iterable[subprocess.Popen[bytes]], grace_s: float = 20) -> None:
    """SIGTERM every process still running, SIGKILL those not gone after ``grace_s``."""
    alive = [p for p in processes if p.poll() is None]
    for process in alive:
        process.send_signal(signal.SIGTERM)
    for process in alive:
        try:
            process.wait(grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def expected_by_post(
    topology: Topology,
    by_country: Mapping[str, Versions],
    stream: Iterable[tuple[str, bytes]],
) -> dict[tuple[str, str], Versions]:
    """What each (country, post) feed must hold: the node's rules (``decide``) applied to every
    record a national topic must hold (``tests.support.hub.expected_by_country``)."""
    alerts: dict[tuple[str, str], tuple[str, str, dict[str, Any]]] = {}
    for org, value in stream:
        kind, record = decode_dict(value)
        envelope = record["envelope"]
        alerts[envelope["alert_id"], str(envelope["version"])] = (kind.value, org, record)
    want: dict[tuple[str, str], Versions] = {(c.code, p.id): Counter() for c, p in topology.posts()}
    for country in topology.countries:
        for (alert_id, version, tomb), count in by_country[country.code].items():
            kind_name, org, record = alerts[alert_id, version]
            tlp = str(record["envelope"]["tlp"])
            shown = None if tomb else record
            decision = decide(country, kind_name, org, shown, header_tlp=tlp)
            for post in decision.deliver:
                want[country.code, post][alert_id, version, False] += count
            for post in decision.tombstone:
                want[country.code, post][alert_id, version, True] += count
    return want
