"""The fuzz run's JSON report and its summary tables (rich)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.fuzz.ingress import IngressResult
from bench.fuzz.native import KafkaTally, NativeResult, Tally

__all__ = ["render", "report"]


def _sum(tallies: list[Tally]) -> Tally:
    out = Tally()
    for t in tallies:
        out.cases += t.cases
        out.outcomes += t.outcomes
        out.accepted += t.accepted
        out.refused += t.refused
        out.internal += t.internal
        out.total_s += t.total_s
        out.max_s = max(out.max_s, t.max_s)
    return out


def _native(native: NativeResult) -> dict[str, Any]:
    cells = native.tallies
    names = sorted({name for name, _ in cells})
    orgs = sorted({native.orgs[name] for name in names})
    kinds = list(dict.fromkeys(k for _, k in cells))
    total = _sum(list(cells.values()))
    return {
        **total.as_json(),
        "now": native.now.isoformat(),
        "seconds": round(native.seconds, 1),
        "exports_per_s": round(native.cases / native.seconds, 1) if native.seconds else None,
        "findings_count": len(native.findings),
        "findings": native.findings[:50],
        "by_input": {
            n: _sum([t for (name, _), t in cells.items() if name == n]).as_json() for n in names
        },
        "by_org": {
            o: _sum([t for (name, _), t in cells.items() if native.orgs[name] == o]).as_json()
            for o in orgs
        },
        "by_kind": {
            k: _sum([t for (_, kind), t in cells.items() if kind == k]).as_json() for k in kinds
        },
        "cells": {f"{o}/{k}": t.as_json() for (o, k), t in sorted(cells.items())},
        "refusal_codes": dict(sorted(native.refusal_codes.items(), key=lambda kv: -kv[1])[:30]),
    }


def report(
    args: argparse.Namespace,
    native: NativeResult,
    kafka: KafkaTally | None,
    ingress: IngressResult | None,
    seconds: float,
) -> dict[str, Any]:
    """Everything the run saw, JSON-ready, with ``ok`` the verdict."""
    ok = not native.findings
    ok = ok and (kafka is None or kafka.balanced)
    ok = ok and (ingress is None or ingress.ok)
    return {
        "command": "python -m bench.fuzz " + " ".join(sys.argv[1:]),
        "seed": args.seed,
        "sizes": {
            key: getattr(args, key)
            for key in ("records", "kafka_sample", "ingress", "good", "bound_s")
        },
        "seconds": round(seconds, 1),
        "load_average": round(os.getloadavg()[0], 1),
        "native": _native(native),
        "kafka": kafka.as_json() if kafka is not None else None,
        "ingress": ingress.as_json() if ingress is not None else None,
        "ok": ok,
    }


_COLUMNS = ("cases", "outcomes", "accepted", "refused", "internal_errors", "max_ms")


def _tally_table(title: str, first: str, rows: dict[str, dict[str, Any]]) -> Table:
    table = Table(title=title)
    table.add_column(first)
    for column in _COLUMNS:
        table.add_column(column.replace("_", " "), justify="right")
    for name, row in rows.items():
        table.add_row(name, *(f"{row[c]:,}" for c in _COLUMNS))
    return table


def render(console: Console, data: dict[str, Any]) -> None:
    """Print the summary tables of a report."""
    native = data["native"]
    console.print(_tally_table("Native exports by input", "input", native["by_input"]))
    console.print(_tally_table("Native exports by mutation", "mutation", native["by_kind"]))
    for finding in native["findings"][:20]:
        console.print(f"[red]finding[/red] {finding}")
    kafka = data["kafka"]
    if kafka is not None:
        table = Table(title="Native exports through the connector runtime, on Kafka")
        for column in ("exports", "records", "published", "quarantined", "of which too large",
                       "on ingress", "on quarantine", "balanced"):  # fmt: skip
            table.add_column(column, justify="right")
        table.add_row(
            f"{kafka['payloads']:,}", f"{kafka['records_expected']:,}", f"{kafka['published']:,}",
            f"{kafka['quarantined']:,}", f"{kafka['too_large_at_publish']:,}",
            f"{kafka['on_ingress_topics']:,}",
            f"{kafka['on_quarantine_topic']:,}", "yes" if kafka["balanced"] else "[red]NO[/red]",
        )  # fmt: skip
        console.print(table)
    ingress = data["ingress"]
    if ingress is not None:
        table = Table(title="Ingress: bad records while the hub and a node run")
        for column in ("kind", "sent", "quarantined", "reasons"):
            table.add_column(column, justify="left" if column in {"kind", "reasons"} else "right")
        for kind, row in ingress["by_kind"].items():
            reasons = ", ".join(f"{code} {n:,}" for code, n in row["reasons"].items())
            table.add_row(kind, f"{row['sent']:,}", f"{row['quarantined']:,}", reasons)
        console.print(table)
        console.print(
            f"good alerts: {ingress['good_sent']:,} sent, {ingress['good_deliverable']:,} "
            f"deliverable, {ingress['good_delivered']:,} on national topics, "
            f"{ingress['good_quarantined']} quarantined; hub {ingress['hub_records_per_s']:,.0f} "
            f"records/s meanwhile; problems: {ingress['problems'] or 'none'}"
        )
    verdict = "[green]OK[/green]" if data["ok"] else "[red]FAILED[/red]"
    console.print(f"{verdict}: everything accounted for in {data['seconds']:.0f} s" if data["ok"]
                  else f"{verdict}: see the findings above and {data['command']}")  # fmt: skip
