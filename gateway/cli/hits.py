"""``frontline hits``: the trail of hits reported back to issuing organizations, and their
acknowledgement (docs/twoway.md)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.markup import escape
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
from gateway.contract.messages import HitAck, encode_message
from gateway.errors import ConfigError, FrontlineError
from gateway.hub.audit import checked_alert_id, read_hit_trails
from gateway.hub.hits import ack_key
from gateway.hub.review import claimed_reviewer
from gateway.kafka.clients import make_producer
from gateway.kafka.clock import now_ms
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings

__all__ = ["app", "publish_ack", "summary"]

app = typer.Typer(help="Hits reported at border posts: their trail and acknowledgement.")

_FIELDS = ("country", "post_id", "outcome", "tlp", "outbound", "acked_by", "waited_ms")


def _when(ms: int | None) -> str:
    if not ms:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


def summary(hit_id: str, trail: list[dict[str, Any]]) -> dict[str, Any]:
    """One line per hit: who reported it, on which alert, when it was forwarded and acknowledged."""
    at: dict[str, int] = {}
    for record in trail:
        at.setdefault(str(record.get("action")), int(record.get("ts", 0)))
    first = trail[0]
    return {
        "hit_id": hit_id,
        "alert_id": first.get("alert_id"),
        "version": first.get("version"),
        "org": first.get("org"),
        "country": first.get("country"),
        "post_id": first.get("post_id"),
        "outcome": first.get("outcome"),
        "reported_ms": at.get("HIT_REPORTED"),
        "forwarded_ms": at.get("HIT_FORWARDED"),
        "acknowledged_ms": at.get("HIT_ACKNOWLEDGED"),
    }


def _trails(settings: Settings, hit_id: str | None) -> dict[str, list[dict[str, Any]]]:
    topic = TopicNames(settings.topic_prefix).audit
    with kafka_errors(settings, "read the audit topic"):
        return run_async(read_hit_trails)(settings, topic, hit_id)


@app.command()
def show(
    ctx: typer.Context,
    hit_id: Annotated[str, typer.Argument(help="The hit id the post returned.")],
    as_json: JsonOption = False,
) -> None:
    """Print a hit's trail (reported, confirmed, forwarded, acknowledged) with times."""
    settings = settings_of(ctx)
    try:
        hit_id = checked_alert_id(hit_id)
        trail = _trails(settings, hit_id).get(hit_id, [])
    except FrontlineError as error:
        raise fail(error) from None
    if as_json:
        emit_json(trail)
        return
    if not trail:
        console.print(f"No audit record for hit {hit_id}.", highlight=False, markup=False)
        raise typer.Exit(1)
    first = trail[0]
    console.print(
        f"hit {hit_id} on {first.get('alert_id')} v{first.get('version')} ({first.get('org')})",
        highlight=False, markup=False,
    )  # fmt: skip
    table = Table("time", "action", "recipients", "details")
    for r in trail:
        more = " ".join(f"{k}={r[k]}" for k in _FIELDS if r.get(k) is not None)
        table.add_row(
            _when(int(r.get("ts", 0))), str(r.get("action", "")),
            " ".join(r.get("recipients", [])), escape(more),
        )  # fmt: skip
    console.print(table)


@app.command("list")
def list_(
    ctx: typer.Context,
    awaiting: Annotated[
        bool, typer.Option("--awaiting", help="Only hits not acknowledged yet.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """List the hits forwarded to issuing organizations, oldest first."""
    settings = settings_of(ctx)
    try:
        trails = _trails(settings, None)
    except FrontlineError as error:
        raise fail(error) from None
    rows = [summary(h, t) for h, t in trails.items()]
    rows = [r for r in rows if r["forwarded_ms"] is not None]
    if awaiting:
        rows = [r for r in rows if r["acknowledged_ms"] is None]
    rows.sort(key=lambda r: r["reported_ms"] or 0)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        console.print("No hit awaits acknowledgement." if awaiting else "No hit forwarded.")
        return
    table = Table("hit id", "alert id", "org", "country", "post", "outcome", "reported", "acked")
    for r in rows:
        table.add_row(
            str(r["hit_id"]), str(r["alert_id"]), str(r["org"]), str(r["country"]),
            str(r["post_id"]), str(r["outcome"]), _when(r["reported_ms"]),
            _when(r["acknowledged_ms"]),
        )  # fmt: skip
    console.print(table)


async def publish_ack(settings: Settings, ack: HitAck) -> None:
    """Write an acknowledgement to the organization's own ingress topic (key ``ack:<hit>``).

    On a secured broker only ``connector-<org>`` may write there: run with its credentials.
    """
    value, headers = encode_message(ack)
    producer = make_producer(settings)
    await producer.start()
    try:
        topic = TopicNames(settings.topic_prefix).ingress(ack.org)
        await producer.send_and_wait(
            topic, value, key=ack_key(ack.hit_id).encode(), headers=headers
        )
    finally:
        await producer.stop()


@app.command()
def ack(
    ctx: typer.Context,
    hit_id: Annotated[str, typer.Argument(help="The hit to acknowledge.")],
    instructions: Annotated[str, typer.Option(help="Follow-up instructions for the post.")],
    org: Annotated[
        str | None, typer.Option(help="The issuing organization (default: the hit's).")
    ] = None,
) -> None:
    """Acknowledge a hit with follow-up instructions, as its issuing organization."""
    settings = settings_of(ctx)
    try:
        hit_id = checked_alert_id(hit_id)
        trail = _trails(settings, hit_id).get(hit_id, [])
        forwarded = [r for r in trail if r.get("action") == "HIT_FORWARDED"]
        if not forwarded:
            raise ConfigError(
                f"hit {hit_id} was not forwarded to an issuing organization",
                hint="`frontline hits list` shows the forwarded hits; check the hit id.",
            )
        message = _ack_message(hit_id, forwarded[0], instructions, org)
        with kafka_errors(settings, "publish the acknowledgement"):
            run_async(publish_ack)(settings, message)
    except FrontlineError as error:
        raise fail(error) from None
    console.print(
        f"{hit_id} acknowledged by {message.org} ({message.acked_by}); the hub forwards it to"
        f" {forwarded[0].get('country')}.",
        highlight=False, markup=False,
    )  # fmt: skip


def _ack_message(
    hit_id: str, forwarded: dict[str, Any], instructions: str, org: str | None
) -> HitAck:
    """The acknowledgement, validated; ConfigError naming what is wrong."""
    try:
        return HitAck(
            hit_id=hit_id, alert_id=str(forwarded.get("alert_id")),
            org=(org or str(forwarded.get("org"))).upper(), instructions=instructions,
            acked_at=datetime.fromtimestamp(now_ms() / 1000, UTC),
            acked_by=claimed_reviewer(os.environ),
        )  # fmt: skip
    except ValidationError as error:
        where = ".".join(map(str, error.errors()[0]["loc"]))
        raise ConfigError(
            f"not a valid acknowledgement: {where}",
            hint="Instructions are 1 to 2,000 characters; --org is an organization code.",
        ) from None
