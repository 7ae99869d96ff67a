"""The fuzz harness itself (bench/fuzz): its mutations, and that it reports what it must."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bench.fuzz import native
from bench.fuzz.mutate import KINDS, mutate
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
