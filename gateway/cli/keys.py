"""``frontline keys``: organizations' Ed25519 signing keys and the trust file that lists them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from gateway.cli._common import JsonOption, console, emit_json, fail
from gateway.contract.trust import (
    TrustedKey,
    add_key,
    generate_demo_keys,
    generate_key,
    read_trust_file,
    render_entry,
    revoke_key,
)
from gateway.errors import ConfigError, FrontlineError

__all__ = ["app", "parse_time"]

app = typer.Typer(
    help="Signing keys: generate an organization's key pair, list and revoke trusted keys.",
    no_args_is_help=True,
)

DEFAULT_TRUST_FILE = Path("deploy/trust.toml")

TrustFileOption = Annotated[
    Path,
    typer.Option(
        "--trust-file",
        envvar="FRONTLINE_TRUST_FILE",
        help="Trust file TOML; default FRONTLINE_TRUST_FILE, else deploy/trust.toml.",
    ),
]


def parse_time(text: str, what: str) -> datetime:
    """``now``, a date (midnight UTC) or an ISO 8601 date-time with an offset, as UTC."""
    if text.strip().lower() == "now":
        return datetime.now(UTC).replace(microsecond=0)
    try:
        if len(text.strip()) == 10:
            day = date.fromisoformat(text.strip())
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ConfigError(
            f"{what} {text!r} is not a date or a date-time with an offset",
            hint="write e.g. 2026-03-01, 2026-03-01T12:00:00Z or now",
        )
    return moment.astimezone(UTC)


def _row(key: TrustedKey, now: datetime) -> dict[str, Any]:
    return {
        "org": key.org.value,
        "id": key.id,
        "public_key": key.public_key,
        "valid_from": key.valid_from.isoformat(),
        "valid_until": key.valid_until.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
        "status": key.status(now),
    }


@app.command()
def generate(  # noqa: PLR0917  # why: typer maps each parameter to an argument or option
    org: Annotated[str, typer.Argument(help="Organization code, e.g. INTERPOL.")],
    out: Annotated[
        Path, typer.Option("--out", help="Directory for the key files (created 0700).")
    ] = Path("keys"),
    valid_from: Annotated[
        str | None, typer.Option(help="First signing time accepted; default now.")
    ] = None,
    valid_until: Annotated[
        str | None, typer.Option(help="First signing time refused; default a year on.")
    ] = None,
    trust_file: Annotated[
        Path | None,
        typer.Option("--trust-file", help="Append the public entry to this trust file."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Make a key pair: ORG-<id>.key (0600, for the connector) and .pub; print the trust entry."""
    try:
        start = parse_time(valid_from, "--valid-from") if valid_from else None
        end = parse_time(valid_until, "--valid-until") if valid_until else None
        made = generate_key(org, out, valid_from=start, valid_until=end)
        if trust_file is not None:
            add_key(trust_file, made.entry)
    except FrontlineError as error:
        raise fail(error) from None
    entry = render_entry(made.entry)
    if as_json:
        emit_json(
            {
                **_row(made.entry, datetime.now(UTC)),
                "private_key_file": str(made.private_path),
                "public_key_file": str(made.public_path),
                "trust_file": str(trust_file) if trust_file else None,
                "entry": entry,
            }
        )
        return
    console.print(f"key id: {made.entry.id} ({made.entry.org.value})", highlight=False)
    console.print(
        f"private key: {escape(str(made.private_path))} (mode 0600: keep it with the"
        " connector, never copy it elsewhere)",
        highlight=False,
    )
    console.print(f"public key: {escape(str(made.public_path))}", highlight=False)
    if trust_file is not None:
        console.print(f"[green]added[/] to {escape(str(trust_file))}", highlight=False)
    else:
        console.print("add this entry to the trust file (or rerun with --trust-file):")
        typer.echo(entry, nl=False)


@app.command("list")
def list_keys(
    trust_file: TrustFileOption = DEFAULT_TRUST_FILE, as_json: JsonOption = False
) -> None:
    """Every trusted key with its validity and its status now."""
    try:
        keys = read_trust_file(trust_file).keys
    except FrontlineError as error:
        raise fail(error) from None
    now = datetime.now(UTC)
    rows = [_row(k, now) for k in keys]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        console.print(
            f"no keys in {escape(str(trust_file))}: add one with"
            " `frontline keys generate ORG --trust-file PATH`",
            highlight=False,
        )
        return
    table = Table(title=f"Trusted keys ({trust_file})")
    for column in ("org", "key id", "valid from", "valid until", "revoked at", "now"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["org"],
            row["id"],
            row["valid_from"],
            row["valid_until"],
            row["revoked_at"] or "",
            row["status"],
        )
    console.print(table)


@app.command()
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (`frontline keys list`).")],
    at: Annotated[
        str,
        typer.Option(
            "--at",
            help="Refuse signatures from this time on: when the key may first have leaked"
            " (a date, an ISO date-time with offset, or now).",
        ),
    ],
    trust_file: TrustFileOption = DEFAULT_TRUST_FILE,
    as_json: JsonOption = False,
) -> None:
    """Revoke a key in the trust file: its signatures from --at on are refused."""
    try:
        key = revoke_key(trust_file, key_id, parse_time(at, "--at"))
    except FrontlineError as error:
        raise fail(error) from None
    if as_json:
        emit_json(_row(key, datetime.now(UTC)))
        return
    console.print(
        f"[yellow]revoked[/] {key.id} ({key.org.value}) from {key.revoked_at} in"
        f" {escape(str(trust_file))}; reload the hub and the posts",
        highlight=False,
    )


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Directory for the throw-away key set.")],
    orgs: Annotated[
        list[str] | None, typer.Option("--org", help="Only these organizations (repeatable).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """A throw-away key set for an exercise: <ORG>.key per organization and a trust.toml."""
    try:
        trust = generate_demo_keys(out, orgs or None)
        keys = read_trust_file(trust).keys
    except FrontlineError as error:
        raise fail(error) from None
    if as_json:
        emit_json({"trust_file": str(trust), "keys": [_row(k, datetime.now(UTC)) for k in keys]})
        return
    console.print(
        f"{len(keys)} keys in {escape(str(out))}; trust file {escape(str(trust))}"
        " (valid 30 days: for exercises only)",
        highlight=False,
    )
