"""Smoke run of the benchmark suite: every benchmark still produces figures (no harness rot)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
# Other engineers' benchmarks the suite runs once they land; until then they may be missing.
MAY_BE_MISSING = {"hub", "post"}
EXPECTED = {
    "broker",
    "hub",
    "peer",
    "e2e",
    "codec",
    "policy",
    "connectors",
    "post",
    "manifest",
    "documents",
    "growth",
}


def run_bounded(argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run a benchmark; past ``timeout`` SIGTERM it (it stops its brokers), then SIGKILL."""
    proc = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str, int]:
    """Run ``python -m bench.suite --smoke`` once into a document with hand-written sections."""
    folder = tmp_path_factory.mktemp("bench")
    out, data = folder / "b.md", folder / "b.json"
    out.write_text(
        "# Benchmarks\n\nHand-written before.\n\n<!-- suite:begin -->\nstale\n"
        "<!-- suite:end -->\n\nHand-written after.\n",
        encoding="utf-8",
    )
    # About 2 minutes on the quiet 2-core machine, 3.5 at load average 6 to 8 (a soak
    # running alongside); the timeout leaves room for worse.
    proc = run_bounded(
        [sys.executable, "-m", "bench.suite", "--smoke", "--out", str(out), "--json", str(data)],
        timeout=420,
    )
    assert data.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(data.read_text()), out.read_text(), proc.returncode


@pytest.mark.timeout(500)
def test_every_benchmark_produces_a_figure(smoke: tuple[dict[str, Any], str, int]) -> None:
    """Each benchmark of the suite reports at least one measured figure (or has not landed)."""
    document, _, code = smoke
    results = {r["key"]: r for r in document["results"]}
    assert set(results) == EXPECTED
    for key, result in results.items():
        if key in MAY_BE_MISSING and str(result["error"] or "").startswith("NotLandedError"):
            continue
        assert result["error"] is None, f"{key}: {result['error']}\n{result['note']}"
        measured = [f for f in result["figures"] if f["value"] is not None]
        assert measured, f"{key} produced no figure: {result['note']}"
    assert code == 0


@pytest.mark.timeout(500)
def test_peer_routes_like_the_hub(smoke: tuple[dict[str, Any], str, int]) -> None:
    """The Quix Streams peer writes the same output counts as the hub on the same input."""
    document, _, _ = smoke
    peer = next(r for r in document["results"] if r["key"] == "peer")
    assert peer["params"]["same_output_counts"] is True
    assert sum(peer["params"]["deliveries"].values()) > 0


@pytest.mark.timeout(500)
def test_markdown_keeps_hand_written_sections(smoke: tuple[dict[str, Any], str, int]) -> None:
    """Only the section between the suite markers is rewritten; the header table is there."""
    _, text, _ = smoke
    assert text.startswith("# Benchmarks\n\nHand-written before.")
    assert text.rstrip().endswith("Hand-written after.")
    assert "stale" not in text
    assert text.count("<!-- suite:begin -->") == 1
    assert "| versions | Python" in text
    assert "### 1. Broker ceiling" in text


@pytest.mark.timeout(240)
def test_security_bench_runs_the_hub_secured_and_signed(tmp_path: Path) -> None:
    """The hub routes the same records plaintext and as principal ``hub`` on SASL_SSL, signed."""
    data = tmp_path / "security.json"
    proc = run_bounded(
        [sys.executable, "-m", "bench.bench_security", "--smoke", "--json", str(data)],
        timeout=160,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(data.read_text())
    params = result["params"]
    assert params["drained"] is True
    assert params["same_output_counts"] is True, params["records_out"]
    assert params["quarantined"] == {"plaintext": 0, "SASL_SSL, signed": 0}
    assert params["records_out"]["plaintext"][0] > 0
    assert {f["name"] for f in result["figures"]} >= {
        "hub exactly-once, plaintext",
        "hub exactly-once, SASL_SSL, signed",
    }
