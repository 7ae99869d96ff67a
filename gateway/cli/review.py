"""``frontline review``: list alerts held for neutrality review, approve or reject them."""

from __future__ import annotations

import os
from datetime import UTC, datetime
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
from gateway.errors import FrontlineError
from gateway.hub.audit import checked_alert_id
from gateway.hub.review import (
    HeldAlert,
    ReviewDecision,
    checked_note,
    claimed_reviewer,
    list_held,
    publish_decision,
)
from gateway.kafka.clock import now_ms

__all__ = ["app"]

app = typer.Typer(help="Neutrality review (INTERPOL Constitution, Article 3) of held alerts.")


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%SZ") if ms else "-"


def _as_json(h: HeldAlert) -> dict[str, object]:
    return {
        "alert_id": h.alert_id,
        "version": h.version,
        "org": h.org,
        "kind": h.kind,
        "tlp": h.tlp,
        "rule": h.rule,
        "recipients": list(h.recipients),
        "held_at_ms": h.held_at_ms,
    }


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show the alerts waiting for review: id, version, organization, rule, recipients."""
    settings = settings_of(ctx)
    try:
        with kafka_errors(settings, "read the review topic"):
            held = run_async(list_held)(settings)
    except FrontlineError as error:
        raise fail(error) from None
    if as_json:
        emit_json([_as_json(h) for h in held])
        return
    if not held:
        console.print("No alert waits for review.")
        return
    table = Table("alert id", "version", "org", "kind", "tlp", "rule", "recipients", "held at")
    for h in held:
        table.add_row(
            h.alert_id, str(h.version), h.org, h.kind, h.tlp, h.rule,
            str(len(h.recipients)), _when(h.held_at_ms),
        )  # fmt: skip
    console.print(table)


def _decide(ctx: typer.Context, alert_id: str, version: int, approve: bool, note: str) -> None:
    settings = settings_of(ctx)
    try:
        decision = ReviewDecision(
            alert_id=checked_alert_id(alert_id), version=version, approve=approve,
            reviewer=claimed_reviewer(os.environ), note=checked_note(note, approve=approve),
            ts_ms=now_ms(),
        )  # fmt: skip
        with kafka_errors(settings, "publish the review decision"):
            run_async(publish_decision)(settings, decision)
    except FrontlineError as error:
        raise fail(error) from None
    verb = "approved" if approve else "rejected"
    console.print(
        f"{alert_id} {verb} by {decision.reviewer} (name from LOGNAME/USER, recorded as "
        "unauthenticated); the hub applies it within a second.",
        highlight=False,
        markup=False,
    )


Version = Annotated[int, typer.Option(min=0, help="The held version; 0 = whichever waits.")]


@app.command()
def approve(
    ctx: typer.Context,
    alert_id: Annotated[str, typer.Argument(help="The held alert, e.g. INTERPOL:2025-118422.")],
    version: Version = 0,
    note: Annotated[str, typer.Option(help="Why, for the audit trail.")] = "",
) -> None:
    """Release a held alert to the countries the policy allowed when it was held."""
    _decide(ctx, alert_id, version, True, note)


@app.command()
def reject(
    ctx: typer.Context,
    alert_id: Annotated[str, typer.Argument(help="The held alert, e.g. INTERPOL:2025-118422.")],
    reason: Annotated[str, typer.Option(help="Why it may not circulate (required, audited).")],
    version: Version = 0,
) -> None:
    """Refuse a held alert: it is not delivered and earlier versions are revoked."""
    _decide(ctx, alert_id, version, False, reason)
