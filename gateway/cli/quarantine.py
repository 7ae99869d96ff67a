"""``frontline quarantine``: read the refused records on ``fl.quarantine`` and replay them.

A quarantine record keeps the original bytes (which may hold personal data) with the
organization, stage, component, source and reasons in headers (``gateway/kafka/quarantine.py``).
``list`` and ``show`` print only that metadata, a size and a SHA-256; the bytes leave the
broker only through ``show --bytes FILE`` (a new file, mode 0600). ``replay`` sends chosen
originals through the pipeline again: a connector's refusal through that organization's
connector (fixed since), onto its ingress topic; a hub's refusal straight back onto the
ingress topic it came from. Records cut to a prefix (``too_large``) cannot be replayed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from aiokafka import AIOKafkaConsumer, TopicPartition
from rich.markup import escape
from rich.table import Table

from gateway.cli._common import (
    JsonOption,
    console,
    emit_json,
    err_console,
    fail,
    kafka_errors,
    printable,
    run_async,
    settings_of,
)
from gateway.errors import ConfigError, FrontlineError
from gateway.kafka.clients import make_admin, make_consumer, make_producer, resolve_bootstrap
from gateway.kafka.headers import headers_to_dict
from gateway.kafka.quarantine import Q_SHA256, Q_SIZE, QuarantineRecord
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings

__all__ = ["Entry", "app", "parse_id"]

app = typer.Typer(help="Read and replay quarantined records.", no_args_is_help=True)

SIZE_HEADER = Q_SIZE  # set on a too_large record: the original's full size
SHA_HEADER = Q_SHA256  # set on a too_large record: the original's SHA-256
_READ_TIMEOUT_S = 60.0

StageOption = Annotated[str | None, typer.Option(help="Only this stage (parse, map, decode...).")]
ReasonOption = Annotated[str | None, typer.Option(help="Only records with this reason code.")]
OrgOption = Annotated[str | None, typer.Option(help="Only this organization (INTERPOL...).")]


@dataclass(frozen=True)
class Entry:
    """One quarantine record and where it sits on the topic."""

    partition: int
    offset: int
    record: QuarantineRecord
    headers: dict[str, str]

    @property
    def id(self) -> str:
        """``PARTITION:OFFSET``, what ``show`` and ``replay`` take."""
        return f"{self.partition}:{self.offset}"

    @property
    def too_large(self) -> bool:
        """Only a prefix of the original was kept: it cannot be replayed."""
        return SIZE_HEADER in self.headers or any(
            r.code == "too_large" for r in self.record.reasons
        )

    @property
    def size(self) -> int:
        """Bytes of the whole original (not of the kept prefix)."""
        given = self.headers.get(SIZE_HEADER, "")
        return int(given) if given.isdigit() else len(self.record.original)

    @property
    def sha256(self) -> str:
        """SHA-256 of the whole original, hex."""
        return self.headers.get(SHA_HEADER) or hashlib.sha256(self.record.original).hexdigest()

    def why_not_replayable(self) -> str | None:
        """Why ``replay`` refuses this record, or None when it can replay it."""
        if self.too_large:
            return (
                f"only the first {len(self.record.original)} of {self.size} bytes were kept"
                f" (too_large, sha256 {self.sha256}); ask {self.record.org or 'the sender'}"
                " to send the record again"
            )
        if self.record.component not in {"connector", "hub"}:
            return (
                f"a {self.record.component or 'unknown'} record has no ingress topic to go back to"
            )
        if not self.record.org:
            return "the record names no organization"
        return None

    def summary(self) -> dict[str, Any]:
        """Metadata only: never the original bytes."""
        r = self.record
        return {
            "id": self.id,
            "time": datetime.fromtimestamp(r.ts_ms / 1000, UTC).isoformat() if r.ts_ms else None,
            "org": r.org,
            "component": r.component,
            "stage": r.stage,
            "source": r.source,
            "reasons": [{"path": x.path, "code": x.code, "message": x.message} for x in r.reasons],
            "size": self.size,
            "kept": len(r.original),
            "sha256": self.sha256,
            "replayable": self.why_not_replayable() is None,
        }


def parse_id(text: str, partitions: int) -> tuple[int, int]:
    """``P:O`` or ``O`` (only when the topic has one partition) as (partition, offset)."""
    part, sep, off = text.strip().rpartition(":")
    if not sep:
        part = "0"
    if not (part.isascii() and part.isdigit() and off.isascii() and off.isdigit()):
        raise ConfigError(
            f"{printable(text)!r} is not a quarantine id",
            hint="give PARTITION:OFFSET as `frontline quarantine list` prints it, e.g. 0:42",
        )
    if not sep and partitions > 1:
        raise ConfigError(
            f"the quarantine topic has {partitions} partitions: {text!r} is ambiguous",
            hint=f"give PARTITION:OFFSET, e.g. 0:{off}",
        )
    if int(part) >= partitions:
        raise ConfigError(
            f"partition {part} does not exist (the quarantine topic has {partitions})",
            hint="copy the id from `frontline quarantine list`",
        )
    return int(part), int(off)


def _entry(message: Any) -> Entry:
    record = QuarantineRecord.from_kafka(message.value, message.headers)
    return Entry(message.partition, message.offset, record, headers_to_dict(message.headers))


def _connected(ctx: typer.Context) -> tuple[Settings, str]:
    settings = settings_of(ctx)
    connected = settings.model_copy(update={"bootstrap_servers": resolve_bootstrap(settings)})
    return connected, TopicNames(settings.topic_prefix).quarantine


async def _partitions(settings: Settings, topic: str) -> list[int]:
    """The topic's partitions, or a ``ConfigError`` when the topic does not exist."""
    admin = make_admin(settings, request_timeout_ms=15_000)
    try:
        await admin.start()
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = [
        p["partition"] for t in described if t["error_code"] == 0 for p in t["partitions"]
    ]
    if not partitions:
        raise ConfigError(
            f"there is no topic {topic!r} on {settings.bootstrap_servers}",
            hint="create it with `frontline topics apply`, or check FRONTLINE_TOPIC_PREFIX",
        )
    return sorted(partitions)


async def _open(settings: Settings, topic: str) -> tuple[AIOKafkaConsumer, list[TopicPartition]]:
    """A group-less read_committed consumer assigned every partition of ``topic``."""
    tps = [TopicPartition(topic, p) for p in await _partitions(settings, topic)]
    consumer = make_consumer(settings, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(tps)
    except BaseException:
        await consumer.stop()
        raise
    return consumer, tps


async def _scan(settings: Settings, topic: str) -> AsyncIterator[Entry]:
    """Every record on the topic, from the start to the end offsets as they were at start."""
    consumer, tps = await _open(settings, topic)
    try:
        end = await consumer.end_offsets(tps)
        await consumer.seek_to_beginning(*tps)
        remaining = {tp for tp in tps if await consumer.position(tp) < end[tp]}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000, max_records=500)
            for tp, messages in batch.items():
                for message in messages:
                    if message.offset < end[tp]:
                        yield _entry(message)
            for tp in list(remaining):
                if await consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()


async def _fetch(settings: Settings, topic: str, ids: list[str]) -> list[Entry]:
    """The records with these ids; a ``ConfigError`` naming the first one that is missing."""
    consumer, tps = await _open(settings, topic)
    found: list[Entry] = []
    try:
        for text in ids:
            partition, offset = parse_id(text, len(tps))
            tp = TopicPartition(topic, partition)
            consumer.seek(tp, offset)
            batch = await consumer.getmany(tp, timeout_ms=5000, max_records=1)
            messages = [m for m in batch.get(tp, []) if m.offset == offset]
            if not messages:
                raise ConfigError(
                    f"no quarantine record at {partition}:{offset}",
                    hint="copy the id from `frontline quarantine list`; old records expire",
                )
            found.append(_entry(messages[0]))
    finally:
        await consumer.stop()
    return found


def _matcher(stage: str | None, reason: str | None, org: str | None) -> Callable[[Entry], bool]:
    def wanted(entry: Entry) -> bool:
        r = entry.record
        return (
            (stage is None or r.stage == stage)
            and (reason is None or any(x.code == reason for x in r.reasons))
            and (org is None or r.org.upper() == org.upper())
        )

    return wanted


@run_async
async def _select(
    settings: Settings, topic: str, wanted: Callable[[Entry], bool], limit: int
) -> tuple[list[Entry], int]:
    """The last ``limit`` matching entries, oldest first, and how many matched in all."""
    kept: deque[Entry] = deque(maxlen=limit)
    matched = 0
    async for entry in _scan(settings, topic):
        if wanted(entry):
            matched += 1
            kept.append(entry)
    return sorted(kept, key=lambda e: (e.record.ts_ms, e.partition, e.offset)), matched


@app.command("list")
def list_records(
    ctx: typer.Context,
    *,
    stage: StageOption = None,
    reason: ReasonOption = None,
    org: OrgOption = None,
    limit: Annotated[
        int, typer.Option(min=1, max=100_000, help="Show the last N matching records.")
    ] = 50,
    as_json: JsonOption = False,
) -> None:
    """List quarantined records (metadata only, never their content), newest last."""
    try:
        settings, topic = _connected(ctx)
        with kafka_errors(settings, "read the quarantine"):
            entries, matched = _select(settings, topic, _matcher(stage, reason, org), limit)
    except FrontlineError as error:
        raise fail(error) from None
    if as_json:
        emit_json([e.summary() for e in entries])
        return
    table = Table(title=f"{topic}: {matched} matching, last {len(entries)} shown")
    for column in ("id", "time", "org", "component", "stage", "reasons", "size", "source"):
        table.add_column(column, justify="right" if column == "size" else "left")
    for e in entries:
        s = e.summary()
        codes = ", ".join(dict.fromkeys(x["code"] for x in s["reasons"]))
        table.add_row(
            e.id, (s["time"] or "-")[:19], e.record.org, e.record.component, e.record.stage,
            escape(codes), str(e.size), escape(printable(e.record.source)),
        )  # fmt: skip
    console.print(table)


def _write_bytes(path: Path, data: bytes) -> None:
    """Write to a new file readable by its owner only; never overwrite."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(
            f"{printable(str(path))} exists", hint="name a new file: --bytes never overwrites"
        ) from None
    except OSError as error:
        raise ConfigError(
            f"cannot create {printable(str(path))}: {error.strerror}", hint="check the folder"
        ) from None
    with os.fdopen(fd, "wb") as out:
        out.write(data)


@app.command()
def show(
    ctx: typer.Context,
    record_id: Annotated[str, typer.Argument(metavar="ID", help="PARTITION:OFFSET from `list`.")],
    bytes_to: Annotated[
        Path | None,
        typer.Option(
            "--bytes",
            help="Also write the original bytes (may hold personal data) to this new file.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Show one record's reasons, stage, size and digest; its bytes only with --bytes FILE."""
    try:
        settings, topic = _connected(ctx)
        with kafka_errors(settings, "read the quarantine"):
            [entry] = run_async(_fetch)(settings, topic, [record_id])
        if bytes_to is not None:
            _write_bytes(bytes_to, entry.record.original)
    except FrontlineError as error:
        raise fail(error) from None
    summary = entry.summary()
    if as_json:
        emit_json(summary)
    else:
        for key in ("id", "time", "org", "component", "stage", "source", "size", "sha256"):
            console.print(f"{key:>10}: {escape(printable(str(summary[key])))}", highlight=False)
        for x in entry.record.reasons:
            where = f"{x.path}: " if x.path else ""
            console.print(f"    reason: {escape(printable(f'{where}{x.message} ({x.code})'))}")
        blocked = entry.why_not_replayable()
        console.print(f"replayable: {'yes' if blocked is None else 'no, ' + escape(blocked)}")
    if bytes_to is not None:
        part = "" if not entry.too_large else f" (a prefix of {entry.size})"
        err_console.print(f"wrote {len(entry.record.original)} bytes{part} to {bytes_to}")


async def _replay_to_ingress(settings: Settings, entry: Entry) -> dict[str, Any]:
    """A hub refusal: the original bytes back onto the ingress topic they came from."""
    from gateway.contract.codec import decode  # noqa: PLC0415  # why: keep `frontline --help` fast
    from gateway.errors import DecodeError  # noqa: PLC0415  # why: same

    topic = TopicNames(settings.topic_prefix).ingress(entry.record.org)
    key: bytes | None = None
    with contextlib.suppress(DecodeError):  # still undecodable: the hub decides again
        key = decode(entry.record.original).envelope.alert_id.encode()
    producer = make_producer(settings)
    await producer.start()
    try:
        sent = await producer.send_and_wait(topic, entry.record.original, key=key)
    finally:
        await producer.stop()
    return {"id": entry.id, "to": topic, "offset": sent.offset, "published": 1, "quarantined": 0}


async def _replay_connector(settings: Settings, entry: Entry) -> dict[str, Any]:
    """A connector refusal: through the organization's (fixed) connector once more."""
    from connectors.registry import get_connector  # noqa: PLC0415  # why: heavy imports
    from connectors.runtime.publisher import Publisher  # noqa: PLC0415  # why: same

    source = f"replay:{entry.id}:{entry.record.source}"
    async with Publisher(settings, get_connector(entry.record.org)) as publisher:
        report = await publisher.publish(entry.record.original, source)
    total = report.stats.total
    return {
        "id": entry.id,
        "to": publisher.ingress_topic,
        "published": total.published,
        "quarantined": total.quarantined,
    }


@run_async
async def _replay(settings: Settings, entries: list[Entry]) -> list[dict[str, Any]]:
    done: list[dict[str, Any]] = []
    for entry in entries:
        if entry.record.component == "connector":
            done.append(await _replay_connector(settings, entry))
        else:
            done.append(await _replay_to_ingress(settings, entry))
    return done


@app.command()
def replay(
    ctx: typer.Context,
    *,
    ids: Annotated[
        list[str] | None, typer.Argument(metavar="[ID]...", help="PARTITION:OFFSET ids.")
    ] = None,
    stage: StageOption = None,
    reason: ReasonOption = None,
    org: OrgOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be replayed; send nothing.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Re-publish chosen records to their ingress topic, e.g. after a connector fix.

    Name records by id, or select them with --stage/--reason/--org. Exit 1 when a record
    is refused again (it is back in quarantine with its new reasons) or cannot be replayed.
    """
    if not ids and stage is None and reason is None and org is None:
        raise fail(
            ConfigError(
                "name the records to replay",
                hint="give ids from `frontline quarantine list`, or --stage/--reason/--org",
            )
        )
    try:
        settings, topic = _connected(ctx)
        with kafka_errors(settings, "read the quarantine"):
            if ids:
                chosen = [
                    e
                    for e in run_async(_fetch)(settings, topic, ids)
                    if _matcher(stage, reason, org)(e)
                ]
            else:
                chosen, _ = _select(settings, topic, _matcher(stage, reason, org), 1_000_000)
        blocked = {e.id: why for e in chosen if (why := e.why_not_replayable()) is not None}
        if ids and blocked:  # named explicitly: refuse before sending anything
            first, why = next(iter(blocked.items()))
            raise ConfigError(f"cannot replay {first}: {why}", hint="leave it out of the ids")
        ready = [e for e in chosen if e.id not in blocked]
        results: list[dict[str, Any]] = []
        if not dry_run and ready:
            with kafka_errors(settings, "replay quarantined records"):
                results = _replay(settings, ready)
    except FrontlineError as error:
        raise fail(error) from None
    skipped = [{"id": i, "reason": why} for i, why in blocked.items()]
    if as_json:
        would = [e.id for e in ready] if dry_run else []
        emit_json({"dry_run": dry_run, "selected": len(chosen), "replayed": results,
                   "skipped": skipped, "would_replay": would})  # fmt: skip
    else:
        for s in skipped:
            err_console.print(f"[yellow]skipped[/] {s['id']}: {escape(s['reason'])}")
        if dry_run:
            console.print(f"would replay {len(ready)}: {' '.join(e.id for e in ready) or '-'}")
        for r in results:
            console.print(
                f"{r['id']} -> {r['to']}: {r['published']} published, "
                f"{r['quarantined']} quarantined again"
            )
        console.print(f"{len(chosen)} selected, {len(results)} replayed, {len(skipped)} skipped")
    if skipped or any(r["quarantined"] for r in results):
        raise typer.Exit(1)
