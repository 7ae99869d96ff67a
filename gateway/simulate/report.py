"""The exercise report: a typed JSON document and an HTML page with plots."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from pydantic import BaseModel, Field

from gateway.simulate.stats import Quantiles

__all__ = ["AccountingCheck", "OrgCounts", "Report", "Series", "write_report"]


class OrgCounts(BaseModel):
    """What one organization's connector did."""

    issued: int = 0
    published: int = 0
    quarantined: int = 0
    by_kind: dict[str, dict[str, int]] = Field(default_factory=dict)


class AccountingCheck(BaseModel):
    """One 'nothing was lost' check with its evidence."""

    name: str
    ok: bool
    detail: str


class Series(BaseModel):
    """Raw points for the plots: (seconds since start, value)."""

    e2e_latency: list[tuple[float, float]] = Field(default_factory=list)
    issued_per_second: list[tuple[float, int]] = Field(default_factory=list)
    hop_samples_ms: dict[str, list[float]] = Field(default_factory=dict)
    ack_latency: list[tuple[float, float]] = Field(default_factory=list)  # (report s, ms)
    receipt_coverage: list[tuple[float, float]] = Field(default_factory=list)  # (s, share)


class Report(BaseModel):
    """Everything the exercise measured, and whether the accounting holds."""

    run: dict[str, str | int | float]
    organizations: dict[str, OrgCounts]
    hub: dict[str, dict[str, int]]
    latency: dict[str, Quantiles]
    screening: dict[str, float | int | dict[str, float | int | None] | None]
    accounting: list[AccountingCheck]
    wayback: dict[str, Any] = Field(default_factory=dict)  # hits, acknowledgements, receipts
    series: Series = Field(default_factory=Series)
    chaos: dict[str, Any] = Field(default_factory=dict)  # --chaos: the faults (simulate/chaos.py)
    soak: dict[str, Any] = Field(default_factory=dict)  # --soak: memory, files, lag (soak.py)

    @property
    def ok(self) -> bool:
        """True when every accounting check passed."""
        return all(check.ok for check in self.accounting)


def _axes() -> tuple[Figure, Axes]:
    # The object API renders without pyplot's global state or a display.
    fig = Figure(figsize=(8, 3.2))
    return fig, fig.add_subplot()


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=90)
    return base64.b64encode(buffer.getvalue()).decode()


def _bar(title: str, labels: Sequence[str], values: Sequence[float], ylabel: str) -> str:
    fig, ax = _axes()
    ax.bar(list(labels), list(values), color="#2b6cb0")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", rotation=60, labelsize=8)
    return _png(fig)


def _plots(report: Report) -> dict[str, str]:
    plots: dict[str, str] = {}
    series = report.series
    if series.e2e_latency:
        fig, ax = _axes()
        xs, ys = zip(*series.e2e_latency, strict=True)
        ax.scatter(xs, ys, s=4, alpha=0.5, color="#c05621")
        ax.set_title("End-to-end latency (issue to border post) over the run")
        ax.set_xlabel("seconds since start")
        ax.set_ylabel("ms")
        ax.set_yscale("log")
        plots["latency_over_time"] = _png(fig)
    if series.hop_samples_ms:
        fig, ax = _axes()
        names = list(series.hop_samples_ms)
        ax.boxplot([series.hop_samples_ms[n] or [0.0] for n in names], showfliers=False)
        ax.set_xticks(range(1, len(names) + 1), names)
        ax.set_title("Latency per hop (ms)")
        ax.set_yscale("log")
        plots["hops"] = _png(fig)
    if series.issued_per_second:
        fig, ax = _axes()
        xs2, ys2 = zip(*series.issued_per_second, strict=True)
        ax.plot(xs2, ys2, color="#2f855a")
        ax.set_title("Records issued per second")
        ax.set_xlabel("seconds since start")
        plots["throughput"] = _png(fig)
    plots |= _wayback_plots(series)
    if report.chaos.get("lag"):
        plots["lag"] = _lag_plot(report.chaos)
    by_org = report.hub.get("deliveries_by_org", {})
    if by_org:
        plots["by_org"] = _bar("Deliveries by organization", list(by_org), list(by_org.values()),
                               "deliveries")  # fmt: skip
    by_country = report.hub.get("deliveries_by_country", {})
    if by_country:
        plots["by_country"] = _bar("Deliveries by country", list(by_country),
                                   list(by_country.values()), "deliveries")  # fmt: skip
    return plots


def _wayback_plots(series: Series) -> dict[str, str]:
    plots: dict[str, str] = {}
    if series.ack_latency:
        fig, ax = _axes()
        xs, ys = zip(*series.ack_latency, strict=True)
        ax.scatter(xs, [y / 1000 for y in ys], s=10, color="#6b46c1")
        ax.set_title("Hit report to acknowledgement at the post (incl. the originator's delay)")
        ax.set_xlabel("seconds since start (when reported)")
        ax.set_ylabel("s")
        plots["ack_latency"] = _png(fig)
    if series.receipt_coverage:
        fig, ax = _axes()
        xs2, ys2 = zip(*series.receipt_coverage, strict=True)
        ax.step(xs2, [y * 100 for y in ys2], where="post", color="#2b6cb0")
        ax.set_title("Delivered versions with a receipt from every intended post")
        ax.set_xlabel("seconds since delivery (hub)")
        ax.set_ylabel("% of versions")
        ax.set_ylim(0, 101)
        plots["receipt_coverage"] = _png(fig)
    return plots


def _lag_plot(chaos: dict[str, Any]) -> str:
    fig, ax = _axes()
    known = [(t, v) for t, v in chaos["lag"] if v is not None]
    if known:
        ax.plot([t for t, _ in known], [v for _, v in known], color="#c05621", linewidth=1)
    for fault in chaos.get("faults", []):
        if fault.get("injected_s") is not None:
            end = fault.get("restored_s") or fault["injected_s"]
            ax.axvspan(fault["injected_s"], end, color="#fed7d7", alpha=0.7)
            ax.annotate(fault["fault"], (fault["injected_s"], 0), rotation=90, fontsize=7,
                        xytext=(2, 4), textcoords="offset points", va="bottom")  # fmt: skip
    ax.set_title("Consumer lag of the hub and nodes; shaded: a process or broker down")
    ax.set_xlabel("seconds since start")
    ax.set_ylabel("records")
    return _png(fig)


_TEMPLATE = jinja2.Environment(
    loader=jinja2.PackageLoader("gateway.simulate", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
)


def write_report(report: Report, directory: Path) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.html`` into ``directory``; return both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / "report.json"
    json_path.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    html_path = directory / "report.html"
    html = _TEMPLATE.get_template("report.html.j2").render(report=report, plots=_plots(report))
    html_path.write_text(html, encoding="utf-8")
    return json_path, html_path
