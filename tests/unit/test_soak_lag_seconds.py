"""The soak judges consumer lag in seconds per topic family: a family fed faster than the
ingress is more records behind for the same delay and passes, a stalled consumer fails."""

from __future__ import annotations

import csv
from pathlib import Path

from gateway.settings import Settings
from gateway.simulate.monitor import Monitor, ProcessRow
from gateway.simulate.soak import Soak
from gateway.simulate.timelag import family_seconds, seconds_behind


def test_seconds_behind_interpolates_the_committed_offset_on_the_end_offsets() -> None:
    """1,500 committed of ends 0, 1,000, 2,000 at 0, 10, 20 s were the end at 15 s: 5 s behind."""
    history = [(0.0, 0), (10.0, 1_000), (20.0, 2_000)]
    assert seconds_behind(history, 20.0, 500) == 5.0
    assert seconds_behind(history, 20.0, 0) == 0.0


def test_seconds_behind_older_than_the_history_is_its_span() -> None:
    """A committed offset below every end seen is at least the history's span behind."""
    assert seconds_behind([(5.0, 1_000), (10.0, 2_000)], 10.0, 1_500) == 5.0


def test_family_seconds_uses_each_familys_own_pace() -> None:
    """Two families 400 records behind, one fed at 100/s and one at 400/s: 4 s and 1 s."""
    ends_by = [(float(t), {"ingress": 100 * t, "ncb": 400 * t}) for t in range(0, 31)]
    lag_by = [(30.0, {"ingress": 400, "ncb": 400})]
    assert family_seconds(lag_by, ends_by) == [(30.0, {"ingress": 4.0, "ncb": 1.0})]


def _soak(ncb_behind: int) -> Soak:
    """Ingress at 100 records/s, the national topics at 400/s (four countries), 60 s."""
    monitor = Monitor(Settings(), dict, started=1_000.0)
    times = [float(t) for t in range(0, 61, 2)]
    monitor.ends_by = [(t, {"ingress": int(100 * t), "ncb": int(400 * t)}) for t in times]
    monitor.lag_by = [(t, {"ingress": 200, "ncb": ncb_behind}) for t in times]
    monitor.lag = [(t, sum(p.values())) for t, p in monitor.lag_by]
    monitor.rows = [ProcessRow(t, "hub", 1, 80.0, 20) for t in times]
    return Soak(monitor, traffic_from_s=0, traffic_s=60, rate=100)


def test_a_fast_family_many_records_behind_for_a_few_seconds_passes() -> None:
    """2,000 national records behind at 400/s are 5 s: the check passes although 2,200 records
    in all are above ten seconds of ingress (1,000), and the detail says both."""
    soak = _soak(2_000)
    soak.analyse()
    lag = soak.checks()[1]
    assert lag.ok, lag.detail
    assert lag.detail.startswith("oldest record not committed after warm-up 5.0 s behind in ncb")
    assert "peak 2200 records (1000 are ten seconds of ingress)" in lag.detail
    assert soak.section()["lag_s_peaks"] == {"ingress": 2.0, "ncb": 5.0}


def test_a_consumer_fifteen_seconds_behind_fails() -> None:
    """6,000 national records behind at 400/s are 15 s, over the bound of 10 s."""
    soak = _soak(6_000)
    soak.analyse()
    lag = soak.checks()[1]
    assert not lag.ok
    assert "15.0 s behind in ncb (bound 10 s)" in lag.detail


def test_soak_csv_has_the_seconds_of_each_family(tmp_path: Path) -> None:
    """soak.csv carries lag_s_<family> beside the records behind."""
    soak = _soak(2_000)
    soak.analyse()
    csv_path, _ = soak.write(tmp_path)
    rows = list(csv.DictReader(csv_path.read_text(encoding="utf-8").splitlines()))
    assert rows[-1]["lag_ncb"] == "2000"
    assert rows[-1]["lag_s_ncb"] == "5.0"
    assert rows[-1]["lag_s_ingress"] == "2.0"
