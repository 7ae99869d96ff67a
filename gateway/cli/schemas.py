"""``frontline schemas``: the Avro contract's schemas, their fingerprints and canonical forms."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from gateway.contract import AlertKind
from gateway.contract.schemas import default_registry, standalone_schema

__all__ = ["app"]

app = typer.Typer(help="Inspect the alert contract's Avro schemas.", no_args_is_help=True)


@app.command("list")
def list_schemas(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per schema.")] = False,
) -> None:
    """Print each schema's full name and CRC-64-AVRO fingerprint, current ones first."""
    entries = list(default_registry().entries())
    if as_json:
        rows = [
            {
                "kind": e.kind.value,
                "name": e.full_name,
                "fingerprint": e.fingerprint_hex,
                "fingerprint_int": e.fingerprint,
                "source": e.source,
                "current": e.current,
            }
            for e in entries
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    # Plain aligned lines: whole names and fingerprints at any width, easy to grep.
    name_width = max(len(e.full_name) for e in entries)
    typer.echo(f"{'kind':<18} {'full name':<{name_width}} {'fingerprint':<16} role     source")
    for e in entries:
        role = "current" if e.current else "older"
        name = f"{e.full_name:<{name_width}}"
        typer.echo(f"{e.kind.value:<18} {name} {e.fingerprint_hex} {role:<8} {e.source}")


@app.command()
def show(
    kind: Annotated[AlertKind, typer.Argument(case_sensitive=False, help="Alert kind.")],
    canonical: Annotated[
        bool, typer.Option("--canonical", help="Print the parsing canonical form instead.")
    ] = False,
) -> None:
    """Print a kind's current schema as one standalone JSON document."""
    if canonical:
        typer.echo(default_registry().current[kind].canonical_form)
    else:
        typer.echo(json.dumps(standalone_schema(kind), indent=2, ensure_ascii=False))
