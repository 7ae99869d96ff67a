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

from connectors.registry import get_connector, load_connectors
from connectors.runtime.metrics import ConnectorMetrics
from connectors.runtime.publisher import Publisher, RunReport, RunStats
from connectors.runtime.watch import (
    DirectoryWatcher,
    Ledger,
    NotOwnFileError,
    ledger_path,
    list_folder,
    read_own_file,
)
from connectors.synthetic import Generate, get_generator
from gateway.cli._common import (
    FiniteFloat,
    JsonOption,
    MetricsPort,
    PortNumber,
    console,
    emit_json,
    err_console,
    fail,
    serve_metrics,
    settings_of,
)
from gateway.cli._options import check_listen_port
from gateway.contract import Org
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


def _nothing_published(stats: RunStats) -> FrontlineError | None:
    """Why a run that published no record failed, or None when something was published."""
    total = stats.total
    if total.published:
        return None
    if not total.records_in:
        return ConfigError(
            "nothing to publish: the source held no record",
            hint="check the source: an empty file, an empty folder or no file with the "
            "organization's extensions (see `frontline connector formats`)",
        )
    return ConfigError(
        f"nothing published: all {total.quarantined} record(s) were quarantined",
        hint="check the format and encoding of the source (see `frontline connector formats` "
        "and the reasons on the quarantine topic)",
    )


async def _run_sources(publisher: Publisher, sources: list[tuple[str, bytes | Path]]) -> RunStats:
    stats = RunStats()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=True, disable=len(sources) < 2) as bar:
        task = bar.add_task("publishing", total=len(sources))
        async with publisher:
            for name, item in sources:
                data = _read_source(item) if isinstance(item, Path) else item
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

    def refused(path: Path, why: str) -> None:
        err_console.print(f"[yellow]skipped {path.name}: {why.replace('_', ' ')}[/]")

    watcher = DirectoryWatcher(
        publisher, folder, ledger, interval=interval, on_file=report, on_refused=refused
    )
    console.print(f"watching {folder} every {interval:g}s (Ctrl-C to stop)")
    async with publisher:
        return await watcher.run(stop)


def _read_source(path: Path) -> bytes:
    """A file taken from a folder: its own regular file, never followed through a link."""
    try:
        return read_own_file(path)
    except NotOwnFileError as error:
        raise ConfigError(
            f"{path.name} changed into a {error.reason} while the folder was read",
            hint="write files into the folder as NAME.part and rename them when complete",
        ) from None
    except OSError as error:
        raise ConfigError(
            f"cannot read {path.name}: {error.strerror or error}",
            hint="check the file's permissions",
        ) from None


def _sources(source: str, extensions: tuple[str, ...]) -> list[tuple[str, bytes | Path]]:
    if source == "-":
        return [("stdin", sys.stdin.buffer.read())]
    path = Path(source)
    if path.is_dir():
        listing = list_folder(path, extensions)
        for refused, why in listing.refused.items():
            err_console.print(f"[yellow]skipped {refused.name}: {why.replace('_', ' ')}[/]")
        return [(p.name, p) for p in listing.files]
    if path.exists():  # a file, or a device or pipe named on purpose (/dev/stdin, /dev/null)
        try:
            return [(path.name, path.read_bytes())]
        except OSError as error:
            raise ConfigError(
                f"cannot read {source}: {error.strerror or error}",
                hint="check the path and its permissions",
            ) from None
    raise ConfigError(f"no such file or folder: {source}", hint="pass a file, a folder or -")


SigningKey = Annotated[
    Path | None,
    typer.Option(
        "--signing-key",
        help="The organization's Ed25519 private key (PEM, 0600): sign every published alert"
        " (default FRONTLINE_SIGNING_KEY; unset, alerts go unsigned).",
    ),
]


def _with_key(settings: Settings, signing_key: Path | None) -> Settings:
    """``settings`` with ``--signing-key`` when given (it wins over FRONTLINE_SIGNING_KEY)."""
    if signing_key is None:
        return settings
    return settings.model_copy(update={"signing_key": signing_key})


@app.command()
def run(  # noqa: PLR0917  # typer maps each parameter to an argument or option
    ctx: typer.Context,
    org: OrgArg,
    source: Annotated[str, typer.Option("--source", help="A file, a folder, or - for stdin.")],
    watch: Annotated[
        bool, typer.Option("--watch", help="Keep watching the folder; each new file once.")
    ] = False,
    metrics_port: MetricsPort = None,
    interval: Annotated[
        float, FiniteFloat(0.05, 3600.0, "Seconds between folder polls (0.05 to 3600).")
    ] = 1.0,
    workers: Annotated[
        int,
        typer.Option(min=1, max=64, help="Processes that map, validate and encode large payloads."),
    ] = 1,
    signing_key: SigningKey = None,
) -> None:
    """Publish a file, a folder or stdin; print records in = published + quarantined per kind.

    Exit 0 when at least one record was published (quarantined ones are counted), 1 when
    nothing was (an empty source, or every record quarantined), 2 on a setup error.
    """
    try:
        settings = _with_key(settings_of(ctx), signing_key)
        connector = get_connector(org)
        metrics = ConnectorMetrics()
        if metrics_port is not None:
            serve_metrics(metrics.registry, metrics_port, settings)
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
    failed = None if watch else _nothing_published(stats)
    if failed is not None:
        raise fail(failed, code=1)


@app.command()
def serve(  # noqa: PLR0917  # typer maps each parameter to an argument or option
    ctx: typer.Context,
    org: OrgArg,
    port: Annotated[int, PortNumber("TCP port to listen on (1-65535).")] = 8470,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    tokens_file: Annotated[
        Path | None, typer.Option(help="TOML file with one token per organization.")
    ] = None,
    signing_key: SigningKey = None,
) -> None:
    """Accept native records by HTTP POST /records (bearer token) and answer per record."""
    import uvicorn  # noqa: PLC0415  # only this command needs the server

    from connectors.runtime.serve import create_app, load_token  # noqa: PLC0415  # pulls in FastAPI

    try:
        settings: Settings = _with_key(settings_of(ctx), signing_key)
        connector = get_connector(org)
        token = load_token(connector.org, environ=os.environ, tokens_file=tokens_file)
        check_listen_port(host, port)
        application = create_app(Publisher(settings, connector), token)
    except FrontlineError as error:
        raise fail(error) from None
    console.print(f"{connector.org} intake on http://{host}:{port}/records")
    uvicorn.run(application, host=host, port=port, log_level="warning")


@app.command()
def formats(as_json: JsonOption = False) -> None:
    """List organizations, their native formats and sample files."""
    available, unavailable = load_connectors()
    if as_json:
        emit_json(
            {
                "formats": [
                    {
                        "org": c.org,
                        "format": c.format_name,
                        "description": c.description,
                        "extensions": list(c.extensions),
                        "sample": c.sample_file,
                    }
                    for c in available
                ],
                "unavailable": unavailable,
            }
        )
        return
    table = Table(title="Connector formats", show_lines=True)
    table.add_column("org", no_wrap=True)
    table.add_column("format and its difficulty", ratio=1)
    table.add_column("files", no_wrap=True)
    table.add_column("sample (connectors/samples/)", no_wrap=True)
    for connector in available:
        table.add_row(
            connector.org,
            f"[bold]{connector.format_name}[/]\n[dim]{connector.description}[/]",
            " ".join(connector.extensions),
            connector.sample_file,
        )
    console.print(table)
    for org, why in unavailable.items():
        console.print(f"[dim]{org}: not available ({why})[/]")


def _documents_generator(org: str) -> Generate:
    """An organization's travel-document generator, or ConfigError naming those that have one."""
    generate = get_generator(org).generate_documents
    if generate is not None:
        return generate
    exporters = [o.value for o in Org if get_generator(o.value).generate_documents is not None]
    raise ConfigError(
        f"{org.strip().upper()} exports no travel documents",
        hint=f"--documents works for {' and '.join(exporters)}; leave it out for {org}'s "
        "own records",
    )


@app.command()
def generate(
    org: OrgArg,
    count: Annotated[
        int | None, typer.Option(min=1, help="Records in the payload (default 10).")
    ] = None,
    documents: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Instead: N stolen or lost travel documents (INTERPOL: SLTD export, "
            "ASEANAPOL: e-ADS CSV).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same ids.")] = 1,
) -> None:
    """Write one realistic native payload to stdout (for trials and load tests)."""
    try:
        if count is not None and documents is not None:
            raise ConfigError("--count and --documents are two payloads", hint="give one of them")
        if documents is not None:
            write, records = _documents_generator(org), documents
        else:
            write, records = get_generator(org).generate, count or 10
        payload = write(
            random.Random(seed),  # noqa: S311  # sample data, not cryptography
            records,
            datetime.now(UTC),
        )
    except FrontlineError as error:
        raise fail(error) from None
    sys.stdout.buffer.write(payload)
    sys.stdout.buffer.flush()
