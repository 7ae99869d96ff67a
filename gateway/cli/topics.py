"""``frontline topics``: create the topic layout from the topology, and list it on the broker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gateway.cli._common import (
    JsonOption,
    console,
    emit_json,
    fail,
    kafka_errors,
    run_async,
    settings_of,
)
from gateway.cli._options import CreateDryRun
from gateway.errors import FrontlineError
from gateway.kafka.clients import make_admin, resolve_bootstrap
from gateway.kafka.layout import TopicResult, apply_topics_report, plan_topics
from gateway.settings import Settings
from gateway.topology import load_topology

__all__ = ["app"]

app = typer.Typer(help="Create Frontline's topics from the topology.", no_args_is_help=True)

TopologyOption = Annotated[
    Path | None,
    typer.Option("--topology", help="Topology TOML; default FRONTLINE_TOPOLOGY_FILE or shipped."),
]

ReassignmentOption = Annotated[
    Path | None,
    typer.Option(
        "--reassignment",
        help="Write the kafka-reassign-partitions plan for topics with too few replicas here.",
        dir_okay=False,
    ),
]

_STYLE = {"created": "green", "exists": "dim", "would-create": "yellow", "failed": "bold red"}


def _connected(settings: Settings) -> Settings:
    """Settings with a bootstrap address: the configured one, else the running local broker."""
    return settings.model_copy(update={"bootstrap_servers": resolve_bootstrap(settings)})


def _table(results: list[TopicResult], *, dry_run: bool = False) -> Table:
    table = Table(title="Frontline topics")
    for column in ("topic", "partitions", "replicas", "policy", "status"):
        table.add_column(
            column, justify="right" if column in ("partitions", "replicas") else "left"
        )
    for result in results:
        status = f"[{_STYLE[result.status]}]{result.status}[/]"
        if result.fixed:
            changes = ", ".join(f"{k} {have}->{want}" for k, (want, have) in result.fixed.items())
            label = "would fix" if dry_run else "fixed"
            status += f" [green]({label}: {changes})[/]"
        if result.drift:
            changes = ", ".join(f"{k} {want}->{have}" for k, (want, have) in result.drift.items())
            status += f" [red](drift: {changes})[/]"
        if result.error:
            status += f" {result.error}"
        spec = result.spec
        replicas = str(spec.replication) if spec.replication is not None else "-"
        table.add_row(spec.name, str(spec.partitions), replicas, spec.policy, status)
    return table


def _fixes(results: list[TopicResult]) -> list[str]:
    """One line per kind of drift left: what to run to fix it (the first topic as example)."""
    seen: dict[str, tuple[str, int]] = {}
    for result in results:
        for key, hint in result.hints.items():
            first, count = seen.get(key, (hint, 0))
            seen[key] = (first, count + 1)
    return [f"{key} on {count} topic(s): {hint}" for key, (hint, count) in seen.items()]


@app.command()
def apply(
    ctx: typer.Context,
    dry_run: CreateDryRun = False,
    topology: TopologyOption = None,
    reassignment: ReassignmentOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create every missing topic with its configs (replication: min(3, brokers) unless
    FRONTLINE_REPLICATION_FACTOR is set); on existing topics set the durability configs
    (min.insync.replicas, unclean leader election off) and report any other drift."""
    settings = settings_of(ctx)
    try:
        layout = load_topology(topology or settings.topology_file)
        connected = _connected(settings)
        specs = plan_topics(layout, connected)
        with kafka_errors(connected, "create topics"):
            applied = run_async(apply_topics_report)(specs, connected, dry_run=dry_run)
    except FrontlineError as error:
        raise fail(error) from None
    results = applied.results
    moves = applied.reassignment["partitions"]
    if reassignment is not None and moves:
        reassignment.write_text(json.dumps(applied.reassignment, indent=2) + "\n", "utf-8")
    counts = {s: sum(r.status == s for r in results) for s in _STYLE}
    drifted = sum(bool(r.drift) for r in results)
    fixed = sum(bool(r.fixed) for r in results)
    if as_json:
        emit_json(
            {
                "bootstrap_servers": connected.bootstrap_servers,
                "brokers": len(applied.brokers),
                "topics": [
                    {
                        "topic": r.spec.name,
                        "partitions": r.spec.partitions,
                        "replication": r.spec.replication,
                        "policy": r.spec.policy,
                        "role": r.spec.role,
                        "status": r.status,
                        "drift": {
                            k: {"planned": w, "broker": h, "fix": r.hints.get(k)}
                            for k, (w, h) in r.drift.items()
                        },
                        "fixed": {k: {"planned": w, "broker": h} for k, (w, h) in r.fixed.items()},
                        "error": r.error,
                    }
                    for r in results
                ],
                "counts": {**counts, "drift": drifted, "fixed": fixed},
                "reassignment": applied.reassignment,
            }
        )
        if counts["failed"]:
            raise typer.Exit(1)
        return
    console.print(_table(results, dry_run=dry_run))
    verb = "to fix" if dry_run else "fixed"
    console.print(
        f"{len(results)} topics: {counts['created']} created, {counts['exists']} existing, "
        f"{counts['would-create']} to create, {counts['failed']} failed, {fixed} {verb}, "
        f"{drifted} with drift on {connected.bootstrap_servers} "
        f"({len(applied.brokers)} broker{'' if len(applied.brokers) == 1 else 's'})"
    )
    for line in _fixes(results):
        console.print(f"  fix {line}", highlight=False, markup=False)
    if moves and reassignment is not None:
        console.print(f"  reassignment plan for {len(moves)} partitions in {reassignment}")
    if counts["failed"]:
        raise typer.Exit(1)


@run_async
async def _broker_topics(settings: Settings) -> dict[str, int]:
    """Topic name -> partition count, for the topics under the configured prefix."""
    admin = make_admin(settings, request_timeout_ms=15_000)
    try:
        with kafka_errors(settings, "list topics"):
            await admin.start()
            names = [n for n in await admin.list_topics() if n.startswith(settings.topic_prefix)]
            described = await admin.describe_topics(names) if names else []
    finally:
        await admin.close()
    return {t["topic"]: len(t["partitions"]) for t in described}


@app.command("list")
def list_topics(
    ctx: typer.Context, topology: TopologyOption = None, as_json: JsonOption = False
) -> None:
    """Show the Frontline topics on the broker and whether the topology plans each one."""
    settings = settings_of(ctx)
    try:
        connected = _connected(settings)
        layout = load_topology(topology or settings.topology_file)
        planned = {s.name: s for s in plan_topics(layout, connected)}
        on_broker = _broker_topics(connected)
    except FrontlineError as error:
        raise fail(error) from None
    missing = len(planned.keys() - on_broker.keys())
    if as_json:
        emit_json(
            {
                "bootstrap_servers": connected.bootstrap_servers,
                "prefix": settings.topic_prefix,
                "topics": [
                    {
                        "topic": name,
                        "partitions": on_broker.get(name),
                        "on_broker": name in on_broker,
                        "planned": name in planned,
                    }
                    for name in sorted(on_broker.keys() | planned.keys())
                ],
                "missing": missing,
            }
        )
        return
    table = Table(title=f"Topics under {settings.topic_prefix!r} on {connected.bootstrap_servers}")
    for column in ("topic", "partitions", "planned"):
        table.add_column(column)
    for name in sorted(on_broker.keys() | planned.keys()):
        spec = planned.get(name)
        where = "yes" if spec else "[yellow]not in topology[/]"
        if name not in on_broker:
            where = "[red]missing on broker[/]"
        table.add_row(name, str(on_broker.get(name, "-")), where)
    console.print(table)
    console.print(f"{len(on_broker)} on the broker, {missing} planned but missing")
