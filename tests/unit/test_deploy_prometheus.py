"""The Prometheus files in deploy/prometheus: valid configs, valid rules, rules that fire."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROM = ROOT / "deploy" / "prometheus"
OPERATIONS = ROOT / "docs" / "operations.md"

JOBS = {
    "frontline-connectors": 9401,
    "frontline-hub": 9402,
    "frontline-nodes": 9403,
    "frontline-posts": 9404,
}

# Alerts the issue asks for by name; more may exist, none of these may go missing.
REQUIRED_ALERTS = {
    "FrontlineFeedStale",
    "FrontlineEndToEndP99High",
    "FrontlineQuarantineSpike",
    "FrontlineHubLag",
    "FrontlineBorderPostDown",
    "FrontlineHubDown",
    "FrontlineTransactionsAborting",
}


@pytest.fixture(scope="module")
def promtool() -> str:
    """The promtool binary from Debian's prometheus package."""
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool is not installed: `apt-get install prometheus` (make test does)")
    return found


def _run(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool, *args], capture_output=True, text=True, timeout=60, cwd=PROM, check=False
    )


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _rules() -> list[dict[str, Any]]:
    doc = _yaml(PROM / "alerts.yml")
    return [rule for group in doc["groups"] for rule in group["rules"]]


@pytest.mark.parametrize("config", ["prometheus.yml", "compose.yml"])
def test_scrape_config_passes_promtool(promtool: str, config: str) -> None:
    """Both scrape configs (local run and docker compose) pass `promtool check config`."""
    result = _run(promtool, "check", "config", config)
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rules_pass_promtool(promtool: str) -> None:
    """alerts.yml passes `promtool check rules` (syntax, PromQL, templates)."""
    result = _run(promtool, "check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_unit_tests_pass(promtool: str) -> None:
    """Every alert fires on its faulty synthetic series and stays silent on healthy ones."""
    result = _run(promtool, "test", "rules", "alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_local_config_scrapes_the_simulation_ports() -> None:
    """prometheus.yml scrapes the four simulation endpoints on 127.0.0.1:9401-9404 every 5 s."""
    doc = _yaml(PROM / "prometheus.yml")
    assert doc["global"]["scrape_interval"] == "5s"
    assert doc["rule_files"] == ["alerts.yml"]
    targets = {
        job["job_name"]: [t for sc in job["static_configs"] for t in sc["targets"]]
        for job in doc["scrape_configs"]
    }
    assert targets == {job: [f"127.0.0.1:{port}"] for job, port in JOBS.items()}


def test_compose_config_scrapes_the_same_jobs_by_service_name() -> None:
    """compose.yml has the same jobs and rules as prometheus.yml, aimed at the simulate service."""
    local, compose = _yaml(PROM / "prometheus.yml"), _yaml(PROM / "compose.yml")
    assert compose["rule_files"] == local["rule_files"]
    assert compose["global"]["scrape_interval"] == local["global"]["scrape_interval"]
    targets = {
        job["job_name"]: [t for sc in job["static_configs"] for t in sc["targets"]]
        for job in compose["scrape_configs"]
    }
    assert targets == {job: [f"simulate:{port}"] for job, port in JOBS.items()}


def test_every_required_alert_exists() -> None:
    """The alerts operators were promised (feed stale, p99, quarantine, lag, posts, hub) exist."""
    names = {rule["alert"] for rule in _rules()}
    assert names >= REQUIRED_ALERTS, REQUIRED_ALERTS - names


def test_every_alert_has_for_severity_and_annotations() -> None:
    """Each alert waits (`for:`), carries a severity, a summary, a description and a runbook."""
    for rule in _rules():
        name = rule["alert"]
        assert re.fullmatch(r"\d+[smh]", str(rule.get("for", ""))), f"{name}: no `for:`"
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, name
        for key in ("summary", "description", "runbook"):
            assert rule["annotations"].get(key, "").strip(), f"{name}: no {key}"


def _anchors(markdown: str) -> set[str]:
    """GitHub-style anchors of the markdown headings."""
    anchors = set()
    for heading in re.findall(r"^#+\s+(.+?)\s*$", markdown, flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


def test_every_runbook_link_points_at_a_section_of_the_operations_guide() -> None:
    """Each alert's runbook annotation names a heading that exists in docs/operations.md."""
    anchors = _anchors(OPERATIONS.read_text(encoding="utf-8"))
    for rule in _rules():
        path, _, anchor = rule["annotations"]["runbook"].partition("#")
        assert path == "docs/operations.md", rule["alert"]
        assert anchor in anchors, f"{rule['alert']}: no section #{anchor} in docs/operations.md"


def test_every_alert_is_unit_tested_firing_and_silent() -> None:
    """alerts_test.yml checks each alert at least once firing and once silent."""
    doc = _yaml(PROM / "alerts_test.yml")
    firing: set[str] = set()
    silent: set[str] = set()
    for case in doc["tests"]:
        for check in case["alert_rule_test"]:
            (firing if check.get("exp_alerts") else silent).add(check["alertname"])
    names = {rule["alert"] for rule in _rules()}
    assert names - firing == set(), "never shown firing"
    assert names - silent == set(), "never shown silent"


def _dashboard_exprs() -> list[str]:
    """Every panel target of the Grafana dashboard, with Grafana's variables substituted."""
    path = ROOT / "deploy" / "grafana" / "dashboards" / "frontline.json"
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    exprs: list[str] = []
    for panel in dashboard["panels"]:
        for inner in panel.get("panels", []) if panel.get("type") == "row" else [panel]:
            exprs.extend(target["expr"] for target in inner["targets"])
    for variable, value in {"$__rate_interval": "30s", "$org": ".*", "$country": ".*"}.items():
        exprs = [expr.replace(variable, value) for expr in exprs]
    return exprs


def test_dashboard_queries_are_valid_promql(promtool: str, tmp_path: Path) -> None:
    """Every dashboard query parses as PromQL (checked as recording rules by promtool)."""
    exprs = _dashboard_exprs()
    rules = [{"record": f"frontline:panel_{i}", "expr": expr} for i, expr in enumerate(exprs)]
    path = tmp_path / "panels.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    result = _run(promtool, "check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(exprs)} rules found" in result.stdout
