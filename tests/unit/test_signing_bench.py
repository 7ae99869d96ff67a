"""The signing benchmark still runs and prints every path it reports in docs/benchmarks.md."""

from __future__ import annotations

import sys

import pytest

from bench import bench_signing


def test_signing_bench_prints_every_path(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One tiny round prints the sign and verify rows next to the codec's."""
    monkeypatch.setattr(sys, "argv", ["bench_signing", "--rounds", "1", "--batch", "1"])
    bench_signing.main()
    out = capsys.readouterr().out
    for row in ("| sign (Signer.sign, headers) |", "| verify (TrustStore.verify_headers) |"):
        assert row in out
    assert "| codec decode_dict |" in out
