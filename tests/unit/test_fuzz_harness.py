"""The fuzz harness itself (bench/fuzz): its mutations, and that it reports what it must."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench.fuzz import __main__ as fuzz_main
from bench.fuzz import native
from bench.fuzz.mutate import KINDS, mutate
from connectors.base import Accepted, process
from gateway.contract import AlertKind
from tests.support.paths import ROOT

SAMPLES = sorted((ROOT / "connectors" / "samples").iterdir())


@pytest.mark.parametrize("kind", KINDS)
def test_each_mutation_changes_every_sample_the_same_way_per_seed(kind: str) -> None:
    """Every mutation alters each shipped sample, and the same seed gives the same bytes."""
    for sample in SAMPLES:
        data = sample.read_bytes()
        first = mutate(kind, random.Random(5), data)
        assert first != data, (kind, sample.name)
        assert mutate(kind, random.Random(5), data) == first, (kind, sample.name)


def test_every_connector_meets_every_mutation() -> None:
    """Consecutive cases cover every (organization, mutation) pair once per round."""
    orgs = ["A", "B", "C"]
    pairs = {native.case_of(n, orgs) for n in range(len(orgs) * len(KINDS))}
    assert pairs == {(o, k) for o in orgs for k in KINDS}


def test_a_clean_run_has_no_findings() -> None:
    """A small real run over two connectors accounts for every export without a finding."""
    result = native.run_native(44, 3, orgs=["INTERPOL", "SCO"], sample=4)
    assert result.cases == 44
    assert result.findings == []
    assert len(result.sample) == 4


def _hangs(*_: Any, **__: Any) -> Iterator[Any]:
    time.sleep(5)
    yield from ()


def _drops(*_: Any, **__: Any) -> Iterator[Any]:
    yield from ()


def _crashes(*_: Any, **__: Any) -> Iterator[Any]:
    raise RuntimeError("parser bug")


@pytest.mark.parametrize(
    ("pipeline", "problem"),
    [(_hangs, "hang"), (_drops, "silent drop"), (_crashes, "crash: RuntimeError")],
)
def test_hangs_drops_and_crashes_are_findings(
    monkeypatch: pytest.MonkeyPatch, pipeline: Any, problem: str
) -> None:
    """A pipeline that runs past the bound, yields nothing or raises is reported, not missed."""
    monkeypatch.setattr(native, "process", pipeline)
    started = time.monotonic()
    result = native.run_native(2, 1, orgs=["INTERPOL"], bound_s=0.2)
    assert time.monotonic() - started < 4
    assert len(result.findings) == 2
    assert all(problem in f["problem"] for f in result.findings)


def test_travel_document_exports_are_fuzzed_like_the_alert_exports() -> None:
    """INTERPOL's SLTD export and ASEANAPOL's e-ADS documents CSV are inputs of their own,
    mutated in every way and every record accounted for, with no finding."""
    names = [source.name for source in native.inputs(["INTERPOL", "ASEANAPOL"])]
    assert names == ["INTERPOL", "INTERPOL documents", "ASEANAPOL", "ASEANAPOL documents"]
    result = native.run_native(4 * len(KINDS), 7, orgs=["INTERPOL", "ASEANAPOL"])
    assert result.findings == []
    for name in ("INTERPOL documents", "ASEANAPOL documents"):
        cells = {k: t for (n, k), t in result.tallies.items() if n == name}
        assert set(cells) == set(KINDS), name
        assert all(t.outcomes == t.accepted + t.refused >= t.cases for t in cells.values())
    assert result.orgs["ASEANAPOL documents"] == "ASEANAPOL"


def test_the_documents_pool_holds_valid_travel_document_exports() -> None:
    """The exports the documents inputs mutate are travel-document exports the connector
    accepts whole before mutation (so the mutations, not the pool, cause the refusals)."""
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    for source in native.inputs(["INTERPOL", "ASEANAPOL"]):
        if not source.name.endswith(" documents"):
            continue
        for payload in native._pool(source, 3, now)[:5]:
            outcomes = list(process(source.connector, payload, "pool", now=now))
            assert outcomes, source.name
            for outcome in outcomes:
                assert isinstance(outcome, Accepted), (source.name, outcome)
                assert outcome.kind is AlertKind.TRAVEL_DOCUMENT, source.name


def test_the_kafka_sample_goes_round_every_input() -> None:
    """A sample whose natural step is a multiple of the number of inputs (16 cases, 4 of
    them, 4 inputs) still takes a case of each input, not four of the first."""
    result = native.run_native(16, 2, orgs=["INTERPOL", "ASEANAPOL"], sample=4)
    assert len(result.sample) == 4
    assert {case.input for case in result.sample} == set(result.orgs)


def _finding(monkeypatch: pytest.MonkeyPatch, seen: dict[int, bytes]) -> dict[str, Any]:
    """Run four cases through a crashing pipeline that records the bytes it was given."""

    def crashes(_connector: Any, payload: bytes, source: str, **_: Any) -> Iterator[Any]:
        seen[int(source.removeprefix("fuzz#"))] = payload
        raise RuntimeError("parser bug")

    monkeypatch.setattr(native, "process", crashes)
    result = native.run_native(4, 9, orgs=["INTERPOL"], now=datetime(2025, 1, 2, 3, tzinfo=UTC))
    monkeypatch.undo()
    return result.findings[3]  # case 3: the SLTD export, re-encoded whole as latin-1


def test_a_finding_replays_at_the_clock_its_run_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A finding records the run's clock, and replaying it (from the report) rebuilds the
    exact bytes the run saw, which a replay at another clock would not."""
    seen: dict[int, bytes] = {}
    finding = _finding(monkeypatch, seen)
    assert finding["input"] == "INTERPOL documents"
    assert finding["now"] == "2025-01-02T03:00:00+00:00"
    now = datetime.fromisoformat(finding["now"])
    again = native.replay(finding["seed"], finding["case"], finding["orgs"], now)
    assert again.payload == seen[3]
    elsewhen = native.replay(finding["seed"], finding["case"], finding["orgs"])
    assert elsewhen.payload != seen[3]  # the generators stamp records with the clock
    report = tmp_path / "fuzz.json"
    report.write_text(json.dumps({"native": {"now": None, "findings": [finding]}}))
    monkeypatch.chdir(tmp_path)
    assert fuzz_main.main(["--replay", str(report)]) == 0  # the pipeline no longer crashes
    assert (tmp_path / "fuzz-case-9-3.bin").read_bytes() == seen[3]


def test_a_finding_saved_before_clocks_and_document_inputs_still_replays(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An older saved finding (no clock, no input name) replays at the current time with a
    warning, its case numbered over the alert exports alone as its run numbered it."""
    saved = tmp_path / "old.json"
    saved.write_text(json.dumps({"org": "INTERPOL", "kind": "latin1", "case": 1, "seed": 4}))
    monkeypatch.chdir(tmp_path)
    assert fuzz_main.main(["--replay", str(saved), "--org", "INTERPOL"]) == 0
    out = capsys.readouterr().out
    assert "no clock recorded" in out
    # Over INTERPOL alone, case 1 is INTERPOL's alert export again (old numbering), not
    # the SLTD export the new numbering gives it.
    assert ": INTERPOL, latin1," in out
    assert "rebuilt as" not in out
