"""``frontline broker``: a local Apache Kafka cluster for development, tests and the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gateway.broker import LocalCluster
from gateway.cli._common import JsonOption, console, emit_json, settings_of
from gateway.errors import SetupError

__all__ = ["app"]

app = typer.Typer(
    help="Run a local Apache Kafka (KRaft) broker from the Maven Central jars.",
    no_args_is_help=True,
)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Folder for the broker's state; default DATA_DIR/broker."),
]


def _cluster(ctx: typer.Context, data_dir: Path | None) -> LocalCluster:
    return LocalCluster(data_dir or settings_of(ctx).data_dir / "broker")


@app.command()
def up(
    ctx: typer.Context,
    data_dir: DataDir = None,
    port: Annotated[
        int | None,
        typer.Option(
            help="Bootstrap port of a new cluster (default 9092); 0 picks free ports. "
            "A cluster already in --data-dir keeps its ports."
        ),
    ] = None,
    brokers: Annotated[
        int | None,
        typer.Option(
            help="Nodes of a new cluster: 1 (default) or 3. "
            "A cluster already in --data-dir keeps its size."
        ),
    ] = None,
    secure: Annotated[
        bool,
        typer.Option(
            "--secure",
            help="Format a new cluster with SASL_SSL (SCRAM-SHA-512), a local CA and ACLs, "
            "no anonymous access (docs/security.md). A recorded cluster keeps its mode.",
        ),
    ] = False,
) -> None:
    """Start the broker in the background and print its bootstrap address.

    In a folder that already holds a cluster, start only its nodes that are down (the
    way to restart one node of a three-node cluster); its data is never reformatted.
    """
    cluster = _cluster(ctx, data_dir)
    before = cluster.status()
    with console.status("starting Apache Kafka (first run resolves the jars with Maven)..."):
        spec = cluster.up(port=port, brokers=brokers, secure=True if secure else None)
    if before.running:
        console.print(f"already running at [bold]{spec.bootstrap}[/] (Kafka {spec.kafka_version})")
    elif before.state == "partial":
        started = ", ".join(str(n.node) for n in before.nodes if not n.alive)
        console.print(
            f"Kafka {spec.kafka_version}: started node(s) {started} of {spec.brokers}; "
            "the others were running"
        )
    else:
        console.print(
            f"Kafka {spec.kafka_version} up, {spec.brokers} node(s), data in {cluster.data_dir}"
        )
    if spec.secure:
        console.print(
            f"secured: SASL_SSL + SCRAM-SHA-512, CA {cluster.security.ca_file}; admin "
            "credential in credentials/admin.json; next: `frontline access apply`"
        )
    typer.echo(spec.bootstrap)


@app.command()
def status(ctx: typer.Context, data_dir: DataDir = None, as_json: JsonOption = False) -> None:
    """Print running, partial or stopped, the bootstrap address and the Kafka version."""
    cluster = _cluster(ctx, data_dir)
    state = cluster.status()
    if as_json:
        emit_json({"data_dir": str(cluster.data_dir), **state.as_dict()})
        return
    line = f"{state.state}\tbootstrap={state.bootstrap or '-'}\tkafka={state.kafka_version or '-'}"
    if state.secure:
        line += "\tsecure=SASL_SSL"
    if state.state == "partial":
        down = ",".join(str(n.node) for n in state.nodes if not n.alive)
        line += f"\tdown={down}"
    typer.echo(line)


@app.command()
def down(ctx: typer.Context, data_dir: DataDir = None) -> None:
    """Stop the broker gracefully and wait until it has exited."""
    stopped = _cluster(ctx, data_dir).down()
    typer.echo("stopped" if stopped else "not running")


@app.command()
def logs(
    ctx: typer.Context,
    data_dir: DataDir = None,
    lines: Annotated[int, typer.Option("-n", "--lines", min=1, help="How many lines.")] = 40,
    node: Annotated[int, typer.Option(min=1, help="Which node (1-based).")] = 1,
) -> None:
    """Show the tail of a node's log."""
    cluster = _cluster(ctx, data_dir)
    spec = cluster.spec()
    if spec is not None and node > spec.brokers:
        raise SetupError(
            f"There is no node {node}: the cluster in {cluster.data_dir} has {spec.brokers}.",
            hint=f"Pick --node from 1 to {spec.brokers}.",
        )
    typer.echo(cluster.tail(node - 1, lines))
