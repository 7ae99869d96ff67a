"""The soak's verdict (``frontline simulate --soak``): memory flat, lag bounded, no file
descriptor growth, from what :mod:`gateway.simulate.monitor` sampled.

After a warm-up (:func:`warmup_s`: a quarter of the traffic, at most five minutes: heaps,
caches and the posts' watchlists fill first), per process:

- resident memory: the median of the last three samples is at most 10 % above the median
  of the first three after the warm-up;
- open file descriptors: the median of the last three samples is at most the larger of
  10 % and 10 descriptors above the first three's (connections come and go);

Memory is judged for Frontline's own processes (the hub instances, the nodes, the posts, the
local brokers); the exercise's process is measured and reported but not judged: it keeps
every version it published, for its accounting, so it grows with the traffic by design.
From the warm-up on, the exercise's traffic is steady by default (``TrafficPlan``'s steady
phase: only updates of the alerts alive), so a growing Frontline process is a leak.

The consumer lag after the warm-up never exceeds ten seconds: in each topic family (the
hub's ingress or inbox, the nodes' national or up topics), the oldest record not yet
committed is at most ten seconds old (:mod:`gateway.simulate.timelag`: the committed offset
placed on the history of the family's end offsets). A family fed several times faster than
the ingress (the national topics carry an alert once per country) is as many times more
records behind for the same delay, so a bound in records would judge the families
differently; where the end offsets are unknown, the records behind in all are read against
``rate`` (ten seconds are ``rate * 10`` records). The check names the family and the records
behind at the peak; the report keeps each family's own peak, in records and in seconds.
Writes ``soak.csv`` (one row per sample: seconds, lag, the lag of each topic family in records
and in seconds, then each process's RSS in MB and open descriptors) and ``soak.png``.
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from gateway.simulate.monitor import Monitor, ProcessRow
from gateway.simulate.report import AccountingCheck
from gateway.simulate.timelag import family_seconds

__all__ = ["HARNESS", "RSS_GROWTH_MAX", "Soak", "warmup_s"]

RSS_GROWTH_MAX = 0.10
FD_SLACK = 10
LAG_SECONDS = 10.0
WARMUP_SHARE = 0.25
WARMUP_MAX_S = 300.0
HARNESS = "exercise"  # the exercise's own process (simulate/watch.py names it so)


def warmup_s(traffic_s: float) -> float:
    """The soak's warm-up for ``traffic_s`` seconds of traffic: a quarter, at most 5 min."""
    return min(WARMUP_MAX_S, WARMUP_SHARE * traffic_s)


def _families(parts: dict[str, int]) -> str:
    """``hub.inbox 2,400, ingress 300``: the largest first, zeros left out."""
    ranked = sorted(((b, f) for f, b in parts.items() if b), reverse=True)
    return ", ".join(f"{f} {b:,}" for b, f in ranked) or "nothing behind"


def _median_mb(rows: list[ProcessRow], attr: str) -> float:
    return float(statistics.median(float(getattr(r, attr)) for r in rows))


class Soak:
    """The soak's analysis of one run's samples."""

    def __init__(
        self, monitor: Monitor, *, traffic_from_s: float, traffic_s: float, rate: float
    ) -> None:
        self.monitor = monitor
        self.warmup_s = round(traffic_from_s + warmup_s(traffic_s), 1)
        self.rate = rate
        self.per_process: dict[str, dict[str, Any]] = {}
        self.lag_max = 0
        self.lag_at_peak: dict[str, int] = {}  # the peak sample's lag by topic family
        self.lag_peaks: dict[str, int] = {}  # each family's own peak after the warm-up
        self.seconds: list[tuple[float, dict[str, float]]] = []  # each sample's, by family
        self.lag_s_max = 0.0  # the oldest record not committed after the warm-up, seconds
        self.lag_s_family = ""  # whose it was
        self.lag_s_peaks: dict[str, float] = {}  # each family's own peak, seconds

    def analyse(self) -> None:
        """Growth per process and peak lag after the warm-up."""
        by_name: dict[str, list[ProcessRow]] = defaultdict(list)
        pids: dict[str, set[int]] = defaultdict(set)
        for row in self.monitor.rows:
            pids[row.name].add(row.pid)
            if row.t_s >= self.warmup_s:
                by_name[row.name].append(row)
        for name, rows in sorted(by_name.items()):
            if len(rows) < 4:
                continue
            first, last = rows[:3], rows[-3:]
            rss0, rss1 = _median_mb(first, "rss_mb"), _median_mb(last, "rss_mb")
            fd0, fd1 = _median_mb(first, "fds"), _median_mb(last, "fds")
            self.per_process[name] = {
                "rss_mb_start": round(rss0, 1), "rss_mb_end": round(rss1, 1),
                "rss_growth": round((rss1 - rss0) / rss0, 4) if rss0 else 0.0,
                "rss_mb_max": max(r.rss_mb for r in rows),
                "fds_start": fd0, "fds_end": fd1, "fds_max": max(r.fds for r in rows),
                "samples": len(rows), "restarted": len(pids[name]) > 1,
            }  # fmt: skip
        self.lag_max = max(
            (v for t, v in self.monitor.lag if v is not None and t >= self.warmup_s), default=0
        )
        after = [(t, parts) for t, parts in self.monitor.lag_by if t >= self.warmup_s]
        if after:
            self.lag_at_peak = max(after, key=lambda p: sum(p[1].values()))[1]
        for _, parts in after:
            for family, behind in parts.items():
                self.lag_peaks[family] = max(self.lag_peaks.get(family, 0), behind)
        self._analyse_seconds()

    def _analyse_seconds(self) -> None:
        """The lag in seconds after the warm-up: its peak, whose it was, each family's peak."""
        self.seconds = family_seconds(self.monitor.lag_by, self.monitor.ends_by)
        timed = {t for t, _ in self.seconds}
        for t, parts in self.seconds:
            if t < self.warmup_s:
                continue
            for family, behind_s in parts.items():
                self.lag_s_peaks[family] = max(self.lag_s_peaks.get(family, 0.0), behind_s)
                if behind_s > self.lag_s_max:
                    self.lag_s_max, self.lag_s_family = behind_s, family
        # Samples without end offsets: the records behind in all, read against the rate.
        for t, total in self.monitor.lag:
            if t < self.warmup_s or t in timed or total is None or self.rate <= 0:
                continue
            if total / self.rate > self.lag_s_max:
                self.lag_s_max, self.lag_s_family = round(total / self.rate, 2), "all"

    def checks(self) -> list[AccountingCheck]:
        """Memory of Frontline's processes flat, lag bounded, no descriptor growth."""
        judged = {n: p for n, p in self.per_process.items()
                  if not p["restarted"] and n != HARNESS}  # fmt: skip
        grew = [f"{n} +{p['rss_growth']:.1%}" for n, p in judged.items()
                if p["rss_growth"] > RSS_GROWTH_MAX]  # fmt: skip
        fds = [
            f"{n} {p['fds_start']:g}->{p['fds_end']:g}"
            for n, p in self.per_process.items()
            if p["fds_end"] > p["fds_start"] + max(FD_SLACK, 0.1 * p["fds_start"])
            and not p["restarted"]
        ]
        bound = int(self.rate * LAG_SECONDS)
        worst = max((p["rss_growth"] for p in judged.values()), default=0.0)
        restarted = sorted(n for n, p in self.per_process.items() if p["restarted"])
        harness = self.per_process.get(HARNESS)
        return [
            AccountingCheck(
                name="soak: resident memory of every Frontline process flat after warm-up",
                ok=any(n != HARNESS for n in self.per_process) and not grew,
                detail=f"{len(judged)} Frontline processes, after {self.warmup_s:.0f}s, "
                f"largest growth {worst:+.1%}"
                + (f"; grew: {', '.join(grew)}" if grew else "")
                + (f"; restarted, not judged: {', '.join(restarted)}" if restarted else "")
                + (
                    f"; not judged: the exercise's own process {harness['rss_growth']:+.1%} "
                    "(it keeps every version it published, for its accounting)"
                    if harness is not None
                    else ""
                ),
            ),
            AccountingCheck(
                name="soak: consumer lag bounded",
                ok=self.lag_s_max <= LAG_SECONDS,
                detail=f"oldest record not committed after warm-up {self.lag_s_max:.1f} s"
                + (f" behind in {self.lag_s_family}" if self.lag_s_family else "")
                + f" (bound {LAG_SECONDS:g} s); peak {self.lag_max} records "
                f"({bound} are ten seconds of ingress)"
                + (f"; at the peak: {_families(self.lag_at_peak)}" if self.lag_at_peak else ""),
            ),
            AccountingCheck(
                name="soak: no file descriptor growth",
                ok=not fds,
                detail="open descriptors steady" if not fds else f"grew: {', '.join(fds)}",
            ),
        ]

    def section(self) -> dict[str, Any]:
        """The report's ``soak`` section."""
        return {
            "warmup_s": self.warmup_s, "lag_max": self.lag_max, "not_judged": [HARNESS],
            "lag_bound": int(self.rate * LAG_SECONDS), "processes": self.per_process,
            "lag_at_peak": self.lag_at_peak, "lag_peaks": self.lag_peaks,
            "lag_s_max": self.lag_s_max, "lag_s_family": self.lag_s_family,
            "lag_s_bound": LAG_SECONDS, "lag_s_peaks": self.lag_s_peaks,
        }  # fmt: skip

    def write(self, directory: Path) -> tuple[Path, Path]:
        """``soak.csv`` and ``soak.png`` in ``directory``."""
        rows = self.monitor.rows
        names = sorted({r.name for r in rows})
        times = sorted({r.t_s for r in rows})
        cell = {(r.t_s, r.name): r for r in rows}
        lag = self.monitor.lag
        by_time = dict(self.monitor.lag_by)
        seconds_at = dict(self.seconds)
        families = sorted({f for _, parts in self.monitor.lag_by for f in parts})
        csv_path = directory / "soak.csv"
        with csv_path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(
                [
                    "t_s",
                    "lag",
                    *(f"lag_{f}" for f in families),
                    *(f"lag_s_{f}" for f in families),
                    *(f"{n}_rss_mb" for n in names),
                    *(f"{n}_fds" for n in names),
                ]
            )
            for t in times:
                at, near = min(lag, key=lambda p: abs(p[0] - t), default=(t, None))
                parts = by_time.get(at, {}) if near is not None else None
                secs = seconds_at.get(at) if near is not None else None
                writer.writerow([
                    t, "" if near is None else near,
                    *("" if parts is None else parts.get(f, 0) for f in families),
                    *("" if secs is None else secs.get(f, 0.0) for f in families),
                    *(cell[(t, n)].rss_mb if (t, n) in cell else "" for n in names),
                    *(cell[(t, n)].fds if (t, n) in cell else "" for n in names),
                ])  # fmt: skip
        fig = Figure(figsize=(9, 8))
        rss_ax, fd_ax, lag_ax = fig.subplots(3, 1, sharex=True)
        for name in names:
            own = [r for r in rows if r.name == name]
            rss_ax.plot([r.t_s for r in own], [r.rss_mb for r in own], label=name)
            fd_ax.plot([r.t_s for r in own], [r.fds for r in own], label=name)
        known = [(t, v) for t, v in lag if v is not None]
        if known:
            lag_ax.plot([t for t, _ in known], [v for _, v in known], color="#c05621", label="all")
        for family in families:
            lag_ax.plot(
                [t for t, _ in self.monitor.lag_by],
                [parts.get(family, 0) for _, parts in self.monitor.lag_by],
                linewidth=0.7, label=family,
            )  # fmt: skip
        if families:
            lag_ax.legend(fontsize=7, ncol=3, loc="upper left")
        for ax, title in ((rss_ax, "resident memory (MB)"), (fd_ax, "open file descriptors"),
                          (lag_ax, "consumer lag (records)")):  # fmt: skip
            ax.set_ylabel(title)
            ax.axvline(self.warmup_s, color="#a0aec0", linestyle="--", linewidth=1)
        rss_ax.set_yscale("log")
        rss_ax.legend(fontsize=7, ncol=3, loc="upper left")
        lag_ax.set_xlabel("seconds since the exercise started (dashed: end of warm-up)")
        fig.tight_layout()
        png_path = directory / "soak.png"
        fig.savefig(png_path, dpi=90)
        return csv_path, png_path
