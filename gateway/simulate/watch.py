"""What runs beside the exercise's own work: the monitor, the faults (``--chaos``) and the
soak's verdict (``--soak``). Without either, nothing runs and nothing is added."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from gateway.broker import LocalCluster
from gateway.settings import Settings
from gateway.simulate.chaos import Chaos, plan_faults
from gateway.simulate.doubles import doubles_check
from gateway.simulate.frontier import PostsClient
from gateway.simulate.monitor import Monitor
from gateway.simulate.processes import Component, ComponentSet
from gateway.simulate.report import AccountingCheck
from gateway.simulate.soak import Soak
from gateway.topology import Topology

__all__ = ["Watch", "WatchConfig", "extra_hubs", "print_faults"]


def extra_hubs(parts: list[Component], hubs: int, *, split: bool) -> list[Component]:
    """Hub instances 2..``hubs``, beside the first (``parts[0]``): same group, same
    environment, metrics ports after every other component's (``hub-N.log``)."""
    first = parts[0]
    port = int(first.args[-1]) + 3 + (len(parts) - 1 if split else 0)
    extra = []
    for number in range(2, hubs + 1):
        port += 1
        extra.append(Component(
            f"hub-{number}", ["hub", "run", "--metrics-port", str(port)],
            f"http://127.0.0.1:{port}/metrics", first.log_path.with_name(f"hub-{number}.log"),
            first.env,
        ))  # fmt: skip
    return extra


@dataclass(frozen=True)
class WatchConfig:
    """The parts of the exercise's configuration the watch needs."""

    faults: tuple[str, ...]
    soak: bool
    sample_s: float
    duration_s: float
    rate: float
    seed: int
    hubs: int = 1


class Watch:
    """The monitor, the chaos and the soak of one exercise run (each only when asked for)."""

    def __init__(
        self,
        config: WatchConfig,
        admin: Settings,
        components: ComponentSet,
        *,
        cluster_dir: Path | None,
        orgs: list[str],
        started: float,
    ) -> None:
        self.config = config
        self.admin = admin
        self.components = components
        self.cluster = None if cluster_dir is None else LocalCluster(cluster_dir)
        self.monitor: Monitor | None = None
        self.chaos: Chaos | None = None
        self.soak: Soak | None = None
        if not (config.faults or config.soak):
            return
        self.monitor = Monitor(
            admin, self._processes, lag_every_s=1.0 if config.faults else config.sample_s,
            proc_every_s=config.sample_s, started=started,
        )  # fmt: skip
        if config.faults:
            self.chaos = Chaos([], components, self.monitor, admin, orgs, self.cluster,
                               config.seed)  # fmt: skip

    def _processes(self) -> dict[str, int]:
        found = {"exercise": os.getpid()}
        for part in self.components.components:
            if part.proc is not None and part.alive():
                found[part.name] = part.proc.pid
        spec = None if self.cluster is None else self.cluster.spec()
        if self.cluster is not None and spec is not None:
            for node in range(1, spec.brokers + 1):
                pid = self.cluster.node_pid(node)
                if pid is not None:
                    found[f"broker-{node}"] = pid
        return found

    @property
    def down(self) -> set[str]:
        """Components the chaos has killed and not yet restarted."""
        return set() if self.chaos is None else self.chaos.down

    def start(self, posts: PostsClient) -> None:
        """Start sampling, and the faults' schedule from now on (traffic starts now)."""
        if self.monitor is None:
            return
        self.monitor.posts = posts
        self.monitor.start()
        now = self.monitor.now()
        if self.chaos is not None:
            self.chaos.faults = plan_faults(
                self.config.faults, start_s=now, duration_s=self.config.duration_s,
                seed=self.config.seed,
            )  # fmt: skip
            self.chaos.start()
        if self.config.soak:
            self.soak = Soak(self.monitor, traffic_from_s=now, traffic_s=self.config.duration_s,
                             rate=self.config.rate)  # fmt: skip

    async def finish_faults(self) -> None:
        """Wait until every fault is injected and what it broke is back."""
        if self.chaos is not None:
            await self.chaos.finish()

    async def stop(self, posts: PostsClient) -> list[dict[str, Any]]:
        """Stop sampling; every latency sample of the run (those of a killed posts host too)."""
        final = await posts.latency()
        if self.monitor is None:
            return final
        await self.monitor.stop()
        for sample in final:
            key = (sample["post"], sample["at_ms"], sample.get("e2e_ms"), str(sample["hops"]))
            self.monitor.samples[key] = sample
        return self.monitor.latency_samples()

    def save_samples(self, report_dir: Path) -> None:
        """Write the soak's samples (soak.csv, soak.png) as they are: called however the run
        ended, so a run whose accounting fails still leaves its curves."""
        if self.soak is not None and self.monitor is not None and self.monitor.rows:
            self.soak.write(report_dir)

    async def conclude(
        self, samples: list[dict[str, Any]], report_dir: Path, topology: Topology
    ) -> tuple[dict[str, Any], list[AccountingCheck]]:
        """The report's sections (``chaos``, ``soak``) and their checks; under faults or with
        several hub instances, also that nothing was delivered twice."""
        sections: dict[str, Any] = {}
        checks: list[AccountingCheck] = []
        if self.config.faults or self.config.hubs > 1:
            checks.append(await doubles_check(self.admin, topology))
        if self.chaos is not None:
            self.chaos.settle(samples)
            sections["chaos"] = self.chaos.section()
            checks += self.chaos.checks()
        if self.soak is not None:
            self.soak.analyse()
            csv_path, png_path = self.soak.write(report_dir)
            sections["soak"] = self.soak.section() | {"csv": str(csv_path), "png": str(png_path)}
            checks += self.soak.checks()
        return sections, checks


def print_faults(console: Console, chaos: dict[str, Any]) -> None:
    """The faults as a table: what, when, how long until the lag was back, latency around."""
    table = Table(title="Faults")
    for column in ("fault", "target", "injected s", "back up s", "lag back after s",
                   "lag 0 at s", "peak lag", "p99 ms before / during / after"):  # fmt: skip
        table.add_column(column)
    for fault in chaos.get("faults", []):
        lat = fault.get("latency", {})
        windows = ("before", "during", "after")
        p99 = " / ".join(str((lat.get(w) or {}).get("p99_ms")) for w in windows)
        table.add_row(
            fault["fault"], fault["target"], str(fault["injected_s"]), str(fault["restored_s"]),
            str(fault["lag_back_after_s"]), str(fault["lag_zero_s"]), str(fault["lag_max"]), p99,
        )  # fmt: skip
    console.print(table)
