"""docker-compose.yml and the Grafana provisioning: parse, name real files, run real commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from gateway.cli import app
from gateway.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "frontline.json"
DATASOURCE_UID = "frontline-prometheus"


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    """The services of docker-compose.yml."""
    doc = _yaml(COMPOSE)
    assert isinstance(doc, dict)
    result: dict[str, dict[str, Any]] = doc["services"]
    return result


def _bind_mounts(service: dict[str, Any]) -> list[tuple[Path, str, bool]]:
    """(host path, container path, read-only) of each bind mount of a service."""
    mounts = []
    for volume in service.get("volumes", []):
        source, target, *mode = str(volume).split(":")
        if source.startswith((".", "/")):
            mounts.append(((ROOT / source).resolve(), target, mode == ["ro"]))
    return mounts


def unknown_invocation(argv: list[str]) -> str | None:
    """Why ``frontline ARGV`` would be rejected by the CLI, or None when it parses."""
    root = typer.main.get_command(app)
    ctx = root.context_class(root, info_name="frontline")
    command: Any = root
    words = list(argv)
    path = ["frontline"]
    while hasattr(command, "get_command") and words and not words[0].startswith("-"):
        sub = command.get_command(ctx, words[0])
        if sub is None:
            return f"`{' '.join(path)}` has no sub-command {words[0]!r}"
        path.append(words.pop(0))
        ctx = sub.context_class(sub, info_name=path[-1], parent=ctx)
        command = sub
    if hasattr(command, "get_command") and not command.invoke_without_command:
        return f"`{' '.join(path)}` needs a sub-command"
    try:
        command.make_context(path[-1], words, parent=ctx.parent)
    except Exception as error:  # the CLI's own usage errors, whatever class typer gives them
        return f"`{' '.join(argv)}`: {error}"
    return None


def test_compose_has_the_exercise_services(services: dict[str, dict[str, Any]]) -> None:
    """Compose runs Kafka, the topics step, the simulation, Prometheus and Grafana."""
    assert {"kafka", "topics", "simulate", "prometheus", "grafana"} <= set(services)


def test_kafka_runs_kraft_with_a_healthcheck(services: dict[str, dict[str, Any]]) -> None:
    """The broker is Apache Kafka in KRaft mode (combined roles) and reports health."""
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:4.")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "kafka-broker-api-versions.sh" in " ".join(kafka["healthcheck"]["test"])


def test_gateway_services_wait_for_their_dependencies(services: dict[str, dict[str, Any]]) -> None:
    """Topics wait for a healthy broker and the simulation for the topics to be created."""
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    topics_dep = services["simulate"]["depends_on"]["topics"]["condition"]
    assert topics_dep == "service_completed_successfully"


def test_every_build_context_has_a_dockerfile(services: dict[str, dict[str, Any]]) -> None:
    """Each service built locally points at a folder that holds a Dockerfile."""
    built = [s for s in services.values() if "build" in s]
    assert built
    for service in built:
        build = service["build"]
        context = build if isinstance(build, str) else build.get("context", ".")
        dockerfile = (
            "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        )
        assert (ROOT / context / dockerfile).is_file()


def test_every_mounted_file_exists(services: dict[str, dict[str, Any]]) -> None:
    """Read-only mounts name files in the repository; writable ones live in an existing folder."""
    for name, service in services.items():
        for source, _target, read_only in _bind_mounts(service):
            if read_only:
                assert source.exists(), f"{name} mounts missing {source}"
            else:
                assert source.parent.is_dir(), f"{name} writes under missing {source.parent}"


@pytest.mark.parametrize(
    ("argv", "accepted"),
    [
        (["topics", "apply"], True),
        (["topics", "apply", "--no-such-option"], False),
        (["no-such-command"], False),
        (["topics"], False),
        (["simulate", "--duration", "20s"], True),
        (["simulate", "--no-such-option", "1"], False),
    ],
)
def test_command_resolver_tells_real_commands_from_typos(argv: list[str], accepted: bool) -> None:
    """The resolver below accepts a real invocation and rejects typos in commands or options."""
    assert (unknown_invocation(argv) is None) is accepted


def test_every_gateway_command_is_a_real_frontline_invocation(
    services: dict[str, dict[str, Any]],
) -> None:
    """Each `command:` of a service built from this repository parses as `frontline ...`."""
    for name, service in services.items():
        if "build" not in service:
            continue
        command = service.get("command")
        assert isinstance(command, list), f"{name}: command must be an exec-form list"
        problem = unknown_invocation([str(word) for word in command])
        assert problem is None, f"{name}: {problem}"


def test_gateway_environment_names_real_settings(services: dict[str, dict[str, Any]]) -> None:
    """Every FRONTLINE_* variable given to a gateway service is a field of Settings."""
    fields = {f"FRONTLINE_{name.upper()}" for name in Settings.model_fields}
    for name, service in services.items():
        env = service.get("environment", {})
        unknown = {key for key in env if key.startswith("FRONTLINE_")} - fields
        assert not unknown, f"{name}: {sorted(unknown)} are no Settings fields"


def test_prometheus_mounts_the_compose_config_and_alerts(
    services: dict[str, dict[str, Any]],
) -> None:
    """Prometheus reads deploy/prometheus/compose.yml as its config, with alerts.yml beside it."""
    mounts = {target: source for source, target, _ in _bind_mounts(services["prometheus"])}
    assert mounts["/etc/prometheus/prometheus.yml"] == ROOT / "deploy/prometheus/compose.yml"
    assert mounts["/etc/prometheus/alerts.yml"] == ROOT / "deploy/prometheus/alerts.yml"
    assert "--config.file=/etc/prometheus/prometheus.yml" in services["prometheus"]["command"]


def test_grafana_is_provisioned_for_anonymous_viewers(services: dict[str, dict[str, Any]]) -> None:
    """Grafana mounts the provisioning and dashboards and lets anyone view them."""
    grafana = services["grafana"]
    env = grafana["environment"]
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "true"
    assert env["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"
    mounts = {target: source for source, target, _ in _bind_mounts(grafana)}
    assert mounts["/etc/grafana/provisioning"] == GRAFANA / "provisioning"
    provider = _yaml(GRAFANA / "provisioning" / "dashboards" / "frontline.yml")
    dashboards_path = provider["providers"][0]["options"]["path"]
    assert mounts[dashboards_path] == GRAFANA / "dashboards"


def test_datasource_is_the_compose_prometheus_with_the_dashboard_uid() -> None:
    """The provisioned datasource carries the dashboard's uid and points at compose's Prometheus."""
    doc = _yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yml")
    (source,) = doc["datasources"]
    assert source["uid"] == DATASOURCE_UID
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, rows' nested panels included, rows themselves excluded."""
    found = []
    for panel in dashboard["panels"]:
        if panel.get("type") == "row":
            found.extend(panel.get("panels", []))
        else:
            found.append(panel)
    return found


def test_dashboard_panels_query_the_provisioned_datasource() -> None:
    """Every dashboard panel names the fixed datasource and has at least one PromQL target."""
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    panels = _panels(dashboard)
    assert len(panels) >= 10
    for panel in panels:
        title = panel["title"]
        assert panel["datasource"]["uid"] == DATASOURCE_UID, title
        assert panel["targets"], title
        for target in panel["targets"]:
            assert target["expr"].strip(), title
            assert target.get("datasource", panel["datasource"])["uid"] == DATASOURCE_UID, title


def test_dashboard_has_the_promised_sections() -> None:
    """The dashboard's rows cover overview, organizations, countries, latency, screening, hub."""
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    rows = [p["title"] for p in dashboard["panels"] if p.get("type") == "row"]
    expected = ["Overview", "Per organization", "Per country", "Frontline latency", "Screening"]
    assert rows[: len(expected)] == expected
    assert "Hub health" in rows
    rows_and_panels = [p for p in dashboard["panels"] if p.get("type") == "row"]
    ids = [p["id"] for p in rows_and_panels + _panels(dashboard)]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
