"""``frontline connector``: publish an organization's native exports, by file, folder or HTTP."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from connectors.metrics import ConnectorMetrics, serve_metrics
from connectors.registry import all_connectors, get_connector, unavailable_connectors
from connectors.runner import Publisher, RunReport, RunStats
from connectors.watch import DirectoryWatcher, Ledger, ledger_path, wanted_files
from gateway.cli._common import console, fail, settings_of
from gateway.errors import ConfigError, FrontlineError
from gateway.settings import Settings

__all__ = ["app", "stats_table"]

app = typer.Typer(
    help="Organization connectors: native formats in, validated alerts to Kafka.",
    no_args_is_help=True,
)

OrgArg = Annotated[str, typer.Argument(help="Organization, e.g. INTERPOL, EUROPOL, FRONTEX.")]


def stats_table(stats: RunStats, title: str) -> Table:
    """Per-kind counts with a total row: in, published, quarantined."""
    table = Table(title=title)
    for column in ("kind", "in", "published", "quarantined"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind, s in sorted(stats.by_kind.items()):
        q = f"[yellow]{s.quarantined}[/]" if s.quarantined else "0"
        table.add_row(kind, str(s.records_in), str(s.published), q)
    total = stats.total
    q = f"[yellow]{total.quarantined}[/]" if total.quarantined else "0"
    table.add_row("[bold]total[/]", str(total.records_in), str(total.published), q)
    return table


def _print_summary(stats: RunStats, org: str) -> None:
    console.print(stats_table(stats, f"{org}: {stats.payloads} payload(s)"))
    total = stats.total
    if total.balanced:
        console.print(
            f"[green]in {total.records_in} = published {total.published} "
            f"+ quarantined {total.quarantined}[/]"
        )
    else:  # pragma: no cover - the publisher counts only acknowledged writes
        console.print("[red]counts do not balance: records in != published + quarantined[/]")
        raise typer.Exit(1)
    if total.quarantined:
        console.print(
            f"[yellow]{total.quarantined} record(s) quarantined: see the quarantine topic "
            "for the original bytes and the reasons[/]"
        )


async def _run_sources(publisher: Publisher, sources: list[tuple[str, bytes | Path]]) -> RunStats:
    stats = RunStats()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=True, disable=len(sources) < 2) as bar:
        task = bar.add_task("publishing", total=len(sources))
        async with publisher:
            for name, item in sources:
                data = item.read_bytes() if isinstance(item, Path) else item
                bar.update(task, description=name)
                report = await publisher.publish(data, name)
                stats.merge(report.stats)
                bar.advance(task)
    return stats


async def _watch(publisher: Publisher, folder: Path, ledger: Ledger, interval: float) -> RunStats:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    def report(path: Path, result: RunReport) -> None:
        total = result.stats.total
        colour = "yellow" if total.quarantined else "green"
        console.print(
            f"[{colour}]{path.name}[/]: in {total.records_in}, published {total.published}, "
            f"quarantined {total.quarantined}"
        )

    watcher = DirectoryWatcher(publisher, folder, ledger, interval=interval, on_file=report)
    console.print(f"watching {folder} every {interval:g}s (Ctrl-C to stop)")
    async with publisher:
        return await watcher.run(stop)


def _sources(source: str, extensions: tuple[str, ...]) -> list[tuple[str, bytes | Path]]:
    if source == "-":
        return [("stdin", sys.stdin.buffer.read())]
    path = Path(source)
    if path.is_dir():
        return [(p.name, p) for p in wanted_files(path, extensions)]
    if path.is_file():
        return [(path.name, path)]
    raise ConfigError(f"no such file or folder: {source}", hint="pass a file, a folder or -")


@app.command()
def run(  # noqa: PLR0917  # typer maps each parameter to an argument or option
    ctx: typer.Context,
    org: OrgArg,
    source: Annotated[str, typer.Option("--source", help="A file, a folder, or - for stdin.")],
    watch: Annotated[
        bool, typer.Option("--watch", help="Keep watching the folder; each new file once.")
    ] = False,
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve Prometheus /metrics on this port.")
    ] = None,
    interval: Annotated[float, typer.Option(help="Seconds between folder polls.")] = 1.0,
    workers: Annotated[
        int, typer.Option(min=1, help="Processes that map, validate and encode large payloads.")
    ] = 1,
) -> None:
    """Publish a file, a folder or stdin; print records in = published + quarantined per kind."""
    try:
        settings = settings_of(ctx)
        connector = get_connector(org)
        metrics = ConnectorMetrics()
        if metrics_port is not None:
            serve_metrics(metrics, metrics_port, host=settings.metrics_host)
        publisher = Publisher(settings, connector, metrics=metrics, workers=workers)
        if watch:
            folder = Path(source)
            if not folder.is_dir():
                raise ConfigError(f"--watch needs a folder, not {source}", hint="pass a folder")
            ledger = Ledger(ledger_path(settings, connector.org))
            try:
                stats = asyncio.run(_watch(publisher, folder, ledger, interval))
            finally:
                ledger.close()
        else:
            stats = asyncio.run(_run_sources(publisher, _sources(source, connector.extensions)))
    except FrontlineError as error:
        raise fail(error) from None
    _print_summary(stats, connector.org)


@app.command()
def serve(
    ctx: typer.Context,
    org: OrgArg,
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8470,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    tokens_file: Annotated[
        Path | None, typer.Option(help="TOML file with one token per organization.")
    ] = None,
) -> None:
    """Accept native records by HTTP POST /records (bearer token) and answer per record."""
    import uvicorn  # noqa: PLC0415  # only this command needs the server

    from connectors.serve import create_app, load_token  # noqa: PLC0415  # pulls in FastAPI

    try:
        settings: Settings = settings_of(ctx)
        connector = get_connector(org)
        token = load_token(connector.org, environ=os.environ, tokens_file=tokens_file)
        application = create_app(Publisher(settings, connector), token)
    except FrontlineError as error:
        raise fail(error) from None
    console.print(f"{connector.org} intake on http://{host}:{port}/records")
    uvicorn.run(application, host=host, port=port, log_level="warning")


@app.command()
def formats() -> None:
    """List organizations, their native formats and sample files."""
    table = Table(title="Connector formats", show_lines=True)
    table.add_column("org", no_wrap=True)
    table.add_column("format and its difficulty", ratio=1)
    table.add_column("files", no_wrap=True)
    table.add_column("sample (connectors/samples/)", no_wrap=True)
    for connector in all_connectors():
        table.add_row(
            connector.org,
            f"[bold]{connector.format_name}[/]\n[dim]{connector.description}[/]",
            " ".join(connector.extensions),
            connector.sample_file,
        )
    console.print(table)
    for org, why in unavailable_connectors().items():
        console.print(f"[dim]{org}: not available ({why})[/]")


@app.command()
def generate(
    org: OrgArg,
    count: Annotated[int, typer.Option(min=1, help="Records in the payload.")] = 10,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same ids.")] = 1,
) -> None:
    """Write one realistic native payload to stdout (for trials and load tests)."""
    try:
        connector = get_connector(org)
        payload = connector.generate(
            random.Random(seed),  # noqa: S311  # sample data, not cryptography
            count,
            datetime.now(UTC),
        )
    except FrontlineError as error:
        raise fail(error) from None
    except NotImplementedError:
        raise fail(ConfigError(f"{org.upper()} has no generator yet")) from None
    sys.stdout.buffer.write(payload)
    sys.stdout.buffer.flush()
