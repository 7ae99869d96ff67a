"""``frontline audit``: the routing history of one alert, from the audit topic."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
import typer
from rich.markup import escape
from rich.table import Table

from gateway.cli._common import console, fail, kafka_errors, run_async, settings_of
from gateway.errors import FrontlineError
from gateway.hub.audit import checked_alert_id, read_history
from gateway.hub.receipts import coverage
from gateway.kafka.topic_names import TopicNames

__all__ = ["app"]

app = typer.Typer(help="The audit trail of the hub's decisions.")


@app.callback()
def _audit() -> None:
    """The audit trail of the hub's decisions."""


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


def _countries(values: dict[str, Any]) -> str:
    grouped: dict[str, list[str]] = {}
    for country, reason in values.items():
        grouped.setdefault(str(reason), []).append(country)
    return "; ".join(f"{r}: {' '.join(sorted(c))}" for r, c in sorted(grouped.items()))


_MORE = (
    "rule", "reviewer", "reviewer_authenticated", "note", "reason", "linked", "held_version",
    "review_wait_ms", "hit_id", "country", "post_id", "outcome", "flag_action", "intended",
    "received",
)  # fmt: skip


@app.command()
def show(
    ctx: typer.Context,
    alert_id: Annotated[str, typer.Argument(help="e.g. INTERPOL:2025-118422")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON record per line.")] = False,
) -> None:
    """Print every routing decision about one alert, oldest first."""
    settings = settings_of(ctx)
    topic = TopicNames(settings.topic_prefix).audit
    try:
        alert_id = checked_alert_id(alert_id)
        with kafka_errors(settings, "read the audit topic"):
            history = run_async(read_history)(settings, topic, alert_id)
    except FrontlineError as error:
        raise fail(error) from None
    if as_json:
        for record in history:
            typer.echo(orjson.dumps(record).decode())
        return
    if not history:
        console.print(f"No audit record for {alert_id}.", highlight=False, markup=False)
        raise typer.Exit(1)
    table = Table("time", "version", "action", "delivered", "denied", "revoked", "policy", "more")
    for r in history:
        more = {k: v for k, v in r.items() if k in _MORE}
        table.add_row(
            _when(int(r.get("ts", 0))), str(r.get("version", "")), str(r.get("action", "")),
            " ".join(r.get("recipients", [])), _countries(r.get("denied", {})),
            _countries(r.get("revoked", {})), str(r.get("policy_version", "")),
            escape(" ".join(f"{k}={v}" for k, v in more.items())),
        )  # fmt: skip
    console.print(table)
    _print_coverage(history)


def _print_coverage(history: list[dict[str, Any]]) -> None:
    """Per delivered version: how many intended posts hold it and when the last did (the sum
    of the intended countries' latest receipt summaries)."""
    rows = coverage(history)
    if not rows:
        return
    table = Table("version", "posts holding it", "countries reporting", "last receipt")
    for c in rows:
        table.add_row(
            str(c.version), f"{c.received} of {c.intended}",
            f"{c.reporting} of {len(c.countries)}",
            _when(c.last_at_ms) if c.last_at_ms is not None else "-",
        )  # fmt: skip
    console.print("Receipts (delivered versions)")
    console.print(table)
