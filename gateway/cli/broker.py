"""``frontline broker``: a local Apache Kafka cluster for development, tests and the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gateway.broker import LocalCluster
from gateway.cli._common import console, settings_of

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
    port: Annotated[int, typer.Option(help="Bootstrap port; 0 picks free ports.")] = 9092,
    brokers: Annotated[int, typer.Option(help="Nodes in the cluster: 1 or 3.")] = 1,
) -> None:
    """Start the broker in the background and print its bootstrap address."""
    cluster = _cluster(ctx, data_dir)
    before = cluster.status()
    if before.running:
        console.print(
            f"already running at [bold]{before.bootstrap}[/] (Kafka {before.kafka_version})"
        )
        typer.echo(before.bootstrap)
        return
    with console.status("starting Apache Kafka (first run resolves the jars with Maven)..."):
        spec = cluster.up(port=port, brokers=brokers)
    console.print(
        f"Kafka {spec.kafka_version} up, {spec.brokers} node(s), data in {cluster.data_dir}"
    )
    typer.echo(spec.bootstrap)


@app.command()
def status(ctx: typer.Context, data_dir: DataDir = None) -> None:
    """Print running or stopped, the bootstrap address and the Kafka version."""
    state = _cluster(ctx, data_dir).status()
    word = "running" if state.running else "stopped"
    typer.echo(f"{word}\tbootstrap={state.bootstrap or '-'}\tkafka={state.kafka_version or '-'}")


@app.command()
def down(ctx: typer.Context, data_dir: DataDir = None) -> None:
    """Stop the broker gracefully and wait until it has exited."""
    stopped = _cluster(ctx, data_dir).down()
    typer.echo("stopped" if stopped else "not running")


@app.command()
def logs(
    ctx: typer.Context,
    data_dir: DataDir = None,
    lines: Annotated[int, typer.Option("-n", "--lines", help="How many lines.")] = 40,
    node: Annotated[int, typer.Option(help="Which node (1-based).")] = 1,
) -> None:
    """Show the tail of a node's log."""
    typer.echo(_cluster(ctx, data_dir).tail(node - 1, lines))
