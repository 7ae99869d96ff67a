"""The exercise under faults and the soak, without a broker: the fault schedule, each
fault's recovery and latency windows, and the soak's verdict on sampled processes."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.structs import OffsetAndMetadata

from gateway.errors import ConfigError
from gateway.settings import Settings
from gateway.simulate.chaos import FAULT_KINDS, SESSION_TIMEOUT_S, Chaos, parse_faults, plan_faults
from gateway.simulate.monitor import Monitor, ProcessRow, proc_usage
from gateway.simulate.processes import ComponentSet
from gateway.simulate.soak import Soak
from gateway.simulate.watch import Watch, WatchConfig


def _monitor() -> Monitor:
    return Monitor(Settings(), dict, started=1_000.0)


def test_parse_faults_takes_all_or_known_kinds_and_refuses_others() -> None:
    """'all' names every fault kind; a list keeps its order; an unknown kind is refused."""
    assert parse_faults("all") == FAULT_KINDS
    assert parse_faults("hub-kill, broker-kill") == ("hub-kill", "broker-kill")
    with pytest.raises(ConfigError):
        parse_faults("broker-kill,disk-full")
    with pytest.raises(ConfigError):
        parse_faults(" , ")


def test_plan_is_seeded_spread_over_the_traffic_and_stops_a_hub_past_its_session() -> None:
    """The same seed gives the same plan; faults fall in order between a tenth and three
    quarters of the traffic, and a stopped hub stays stopped longer than its session."""
    first = plan_faults(FAULT_KINDS, start_s=50, duration_s=200, seed=3)
    assert first == plan_faults(FAULT_KINDS, start_s=50, duration_s=200, seed=3)
    assert first != plan_faults(FAULT_KINDS, start_s=50, duration_s=200, seed=4)
    assert sorted(f.kind for f in first) == sorted(FAULT_KINDS)
    times = [f.at_s for f in first]
    assert times == sorted(times)
    assert all(70 <= t <= 200 for t in times)
    stop = next(f for f in first if f.kind == "hub-stop")
    assert stop.hold_s > SESSION_TIMEOUT_S


def test_settle_finds_when_lag_came_back_and_the_latency_around_a_fault() -> None:
    """A fault's recovery is the first lag sample after the restore at or below the lag
    before it; latency samples fall into the before, during and after windows."""
    monitor = _monitor()
    monitor.lag = [(10.0, 5), (20.0, 900), (30.0, 400), (35.0, 4), (40.0, 0)]
    chaos = Chaos(plan_faults(["hub-kill"], start_s=0, duration_s=40, seed=1),
                  ComponentSet({}), monitor, Settings(), [], None, 1)  # fmt: skip
    fault = chaos.faults[0]
    fault.injected_s, fault.restored_s, fault.lag_before = 15.0, 25.0, 5

    def at(second: float, ms: float) -> dict[str, Any]:
        return {"at_ms": int((1_000.0 + second) * 1000), "e2e_ms": ms, "hops": {}}

    chaos.settle([at(5, 100), at(20, 9000), at(36, 200), at(37, 300)])
    summary = fault.summary()
    assert summary["recovered_s"] == 35.0
    assert summary["lag_back_after_s"] == 20.0
    assert summary["lag_zero_s"] == 40.0
    assert summary["lag_max"] == 900
    assert fault.latency["before"]["max_ms"] == 100
    assert fault.latency["during"]["max_ms"] == 9000
    assert fault.latency["after"]["count"] == 2
    assert chaos.checks()[0].ok


def test_a_fault_whose_lag_never_recovered_fails_the_check() -> None:
    """A fault injected but never followed by a lag at its earlier level fails the check."""
    monitor = _monitor()
    monitor.lag = [(10.0, 0), (30.0, 500)]
    chaos = Chaos(plan_faults(["node-kill"], start_s=0, duration_s=40, seed=1),
                  ComponentSet({}), monitor, Settings(), [], None, 1)  # fmt: skip
    chaos.faults[0].injected_s, chaos.faults[0].restored_s = 15.0, 20.0
    chaos.settle([])
    check = chaos.checks()[0]
    assert not check.ok
    assert "lag never recovered" in check.detail


def _rows(name: str, rss: list[float], fds: list[int], pid: int = 1) -> list[ProcessRow]:
    return [
        ProcessRow(10.0 * i, name, pid, r, f) for i, (r, f) in enumerate(zip(rss, fds, strict=True))
    ]


def test_soak_passes_flat_processes_and_fails_growth_of_memory_or_descriptors(
    tmp_path: Path,
) -> None:
    """Flat memory and descriptors pass; 20 % memory growth or a descriptor leak after the
    warm-up fails; the CSV and the PNG are written."""
    monitor = _monitor()
    monitor.rows = _rows("hub", [500.0] * 3 + [100.0] * 10, [50] * 13)  # warm-up ignored
    monitor.rows += _rows("posts", [100.0] * 5 + [120.0] * 8, [40] * 13)
    monitor.rows += _rows("nodes", [80.0] * 13, [30] * 5 + [60] * 8)
    monitor.lag = [(t, 10) for t in range(0, 130, 10)]
    soak = Soak(monitor, traffic_from_s=0, traffic_s=120, rate=100)
    soak.analyse()
    memory, lag, files = soak.checks()
    assert not memory.ok
    assert "posts +20.0%" in memory.detail
    assert "hub" not in memory.detail
    assert lag.ok
    assert not files.ok
    assert "nodes" in files.detail
    csv_path, png_path = soak.write(tmp_path)
    assert csv_path.read_text().splitlines()[0].startswith("t_s,lag,hub_rss_mb")
    assert png_path.stat().st_size > 1000


def test_soak_ignores_a_restarted_process_and_bounds_lag_by_ten_seconds_of_traffic() -> None:
    """A process restarted under a new pid is not judged on growth; lag above ten seconds
    of traffic after warm-up fails."""
    monitor = _monitor()
    monitor.rows = _rows("hub", [100.0] * 6, [10] * 6) + [
        ProcessRow(60.0 + 10 * i, "hub", 2, 300.0, 10) for i in range(4)
    ]
    monitor.lag = [(50.0, 2000)]
    soak = Soak(monitor, traffic_from_s=0, traffic_s=40, rate=100)
    soak.analyse()
    memory, lag, _files = soak.checks()
    assert memory.ok
    assert not lag.ok


def test_proc_usage_reads_this_process_and_none_for_a_gone_one() -> None:
    """/proc gives this process's resident memory and descriptors; a gone pid gives None."""
    usage = proc_usage(os.getpid())
    assert usage is not None
    assert usage[0] > 1
    assert usage[1] > 0
    assert proc_usage(2**22 + 7) is None


def test_monitor_counts_neither_a_commit_marker_nor_an_aborted_tail_as_lag() -> None:
    """One offset behind (the commit marker) is no lag; a few behind count only when they
    hold a committed record, not when they are a killed writer's aborted transaction; every
    family's end offsets are kept for the lag in seconds."""
    marker, pending, aborted = (
        TopicPartition("a", 0),
        TopicPartition("b", 0),
        TopicPartition("c", 0),
    )
    ends = {marker: 11, pending: 9, aborted: 23}

    class Admin:
        async def list_consumer_group_offsets(self, group: str) -> dict[Any, Any]:
            if group.endswith("hub"):
                return {marker: OffsetAndMetadata(10, ""), aborted: OffsetAndMetadata(20, "")}
            return {pending: OffsetAndMetadata(5, "")}

    class Consumer:
        def __init__(self) -> None:
            self.positions: dict[Any, int] = {}

        async def end_offsets(self, tps: list[Any]) -> dict[Any, int]:
            return {tp: ends[tp] for tp in tps}

        def assign(self, tps: list[Any]) -> None:
            self.positions = dict.fromkeys(tps, 0)

        def seek(self, tp: Any, offset: int) -> None:
            self.positions[tp] = offset

        async def getmany(self, timeout_ms: int) -> dict[Any, list[Any]]:
            batch = {tp: ["record"] for tp in self.positions if tp == pending}
            self.positions = {tp: ends[tp] for tp in self.positions}
            return batch

        async def position(self, tp: Any) -> int:
            return self.positions[tp]

    monitor = _monitor()
    assert asyncio.run(monitor._lag(Admin(), Consumer())) == {"b": 4}
    assert monitor._ends == {"a": 11, "b": 9, "c": 23}  # each family's ends, lagging or not


def test_a_run_that_fails_after_traffic_still_leaves_its_soak_curves(tmp_path: Path) -> None:
    """The soak's samples are written however the run ends (an accounting step that raises
    must not lose half an hour of measurements)."""
    watch = Watch(
        WatchConfig((), True, 10.0, 60.0, 100.0, 1), Settings(), ComponentSet({}),
        cluster_dir=None, orgs=[], started=1_000.0,
    )  # fmt: skip
    assert watch.monitor is not None
    watch.monitor.rows = _rows("hub", [100.0] * 5, [10] * 5)
    watch.soak = Soak(watch.monitor, traffic_from_s=0, traffic_s=60, rate=100)
    watch.save_samples(tmp_path)
    assert (tmp_path / "soak.csv").read_text().count("\n") == 6
    assert (tmp_path / "soak.png").exists()
