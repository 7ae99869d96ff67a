"""Dashboard and alert queries use only metric names the code really exports (guards drift)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "frontline.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
SOURCES = ("gateway", "connectors")

_METRIC = re.compile(r"\bfrontline_[a-z0-9_]+")
_DEFINED = re.compile(r"""["'](frontline_[a-z0-9_]+)["']""")
# What prometheus_client appends to the name a Counter or Histogram is declared with.
_SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created")


def defined_metrics(roots: list[Path]) -> set[str]:
    """Metric names declared as string literals in the Python sources under ``roots``."""
    names: set[str] = set()
    for root in roots:
        for path in root.rglob("*.py"):
            names.update(_DEFINED.findall(path.read_text(encoding="utf-8")))
    return names


def missing_metrics(exprs: list[str], defined: set[str]) -> set[str]:
    """Metric names used in ``exprs`` that no source declares, exposition suffixes allowed."""
    missing = set()
    for expr in exprs:
        for name in _METRIC.findall(expr):
            bases = {name} | {name.removesuffix(s) for s in _SUFFIXES if name.endswith(s)}
            if not bases & defined:
                missing.add(name)
    return missing


def dashboard_exprs() -> list[str]:
    """Every PromQL expression of the dashboard: panel targets and templating queries."""
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    panels: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        panels.extend(panel.get("panels", []) if panel.get("type") == "row" else [panel])
    exprs = [t["expr"] for p in panels for t in p.get("targets", [])]
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        exprs.append(query["query"] if isinstance(query, dict) else str(query or ""))
    return exprs


def alert_exprs() -> list[str]:
    """Every PromQL expression of alerts.yml."""
    doc = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [str(rule["expr"]) for group in doc["groups"] for rule in group["rules"]]


@pytest.fixture(scope="module")
def defined() -> set[str]:
    """Metric names the gateway and connectors declare."""
    return defined_metrics([ROOT / name for name in SOURCES])


def test_checker_accepts_suffixed_names_and_flags_unknown_ones(tmp_path: Path) -> None:
    """A counter declared without `_total` matches its `_total` series; unknown names fail."""
    (tmp_path / "m.py").write_text(
        'Counter("frontline_x_records", "doc")\nHistogram("frontline_x_seconds", "doc")\n'
    )
    defined = defined_metrics([tmp_path])
    exprs = [
        "sum(rate(frontline_x_records_total[5m]))",
        "histogram_quantile(0.99, rate(frontline_x_seconds_bucket[5m]))",
        "sum(frontline_x_gone_total)",
    ]
    assert missing_metrics(exprs, defined) == {"frontline_x_gone_total"}


def test_dashboard_queries_use_only_exported_metrics(defined: set[str]) -> None:
    """Every metric a dashboard panel or variable queries is declared in the code."""
    exprs = dashboard_exprs()
    assert exprs
    assert missing_metrics(exprs, defined) == set()


def test_alert_rules_use_only_exported_metrics(defined: set[str]) -> None:
    """Every metric an alert rule evaluates is declared in the code."""
    assert missing_metrics(alert_exprs(), defined) == set()
