"""The soak's lag check says which topic families made up its peak, and soak.csv keeps each
family's lag, so a burst can be put on the hub's inbox or the nodes' topics without a probe."""

from __future__ import annotations

import csv
from pathlib import Path

from gateway.settings import Settings
from gateway.simulate.monitor import Monitor, ProcessRow, topic_family
from gateway.simulate.report import Report, write_report
from gateway.simulate.soak import Soak


def test_topic_family_drops_the_prefix_and_the_organization_or_country() -> None:
    """Ingress and national topics group by kind; the hub's inbox and review topics keep
    their two-part names."""
    prefix = "sim1."
    assert topic_family("sim1.ingress.interpol", prefix) == "ingress"
    assert topic_family("sim1.ncb.DEU", prefix) == "ncb"
    assert topic_family("sim1.up.FRA", prefix) == "up"
    assert topic_family("sim1.hub.inbox", prefix) == "hub.inbox"
    assert topic_family("sim1.review.decisions", prefix) == "review.decisions"


def _soak() -> Soak:
    monitor = Monitor(Settings(), dict, started=1_000.0)
    parts = [
        (40.0, {"ingress": 100}),
        (50.0, {"ingress": 200, "hub.inbox": 2_300}),
        (60.0, {"ncb": 700, "ingress": 50}),
    ]
    monitor.lag_by = parts
    monitor.lag = [(t, sum(p.values())) for t, p in parts]
    monitor.rows = [ProcessRow(t, "hub", 1, 80.0, 20) for t, _ in parts]
    return Soak(monitor, traffic_from_s=0, traffic_s=120, rate=100)


def test_lag_check_names_the_families_at_its_peak() -> None:
    """A peak of 2,500 made of 2,300 in the hub's inbox and 200 in ingress fails the bound of
    1,000 and says so, largest first; the report keeps each family's own peak."""
    soak = _soak()
    soak.analyse()
    lag = soak.checks()[1]
    assert not lag.ok
    assert lag.detail.endswith("at the peak: hub.inbox 2,300, ingress 200"), lag.detail
    assert soak.section()["lag_peaks"] == {"ingress": 200, "hub.inbox": 2_300, "ncb": 700}


def test_soak_csv_has_a_lag_column_per_family(tmp_path: Path) -> None:
    """soak.csv carries lag_<family> beside the total, zero where a family was not behind."""
    soak = _soak()
    soak.analyse()
    csv_path, png_path = soak.write(tmp_path)
    rows = list(csv.DictReader(csv_path.read_text(encoding="utf-8").splitlines()))
    assert [r["lag"] for r in rows] == ["100", "2500", "750"]
    assert [r["lag_hub.inbox"] for r in rows] == ["0", "2300", "0"]
    assert [r["lag_ncb"] for r in rows] == ["0", "0", "700"]
    assert png_path.stat().st_size > 0


def test_report_page_names_the_families_at_the_lag_peak(tmp_path: Path) -> None:
    """report.html's soak section says what the peak lag was made of, largest first."""
    soak = _soak()
    soak.analyse()
    run = {"started": "now", "duration_s": 120, "rate": 100, "countries": 1, "posts": 1,
           "seed": 1, "kafka_version": "4.4.0"}  # fmt: skip
    report = Report(
        run=run, organizations={}, hub={}, latency={}, screening={}, accounting=[],
        soak=soak.section(),
    )  # fmt: skip
    _, html_path = write_report(report, tmp_path)
    assert "at the peak: hub.inbox 2,300, ingress 200." in html_path.read_text()
