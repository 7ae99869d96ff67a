"""``frontline access``: principals, SCRAM credentials and ACLs of a secured broker."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gateway.broker.secure import ADMIN, CredentialStore
from gateway.cli._common import JsonOption, console, emit_json, fail, settings_of
from gateway.cli._options import CreateDryRun
from gateway.errors import FrontlineError
from gateway.kafka.access import plan_access
from gateway.kafka.access_admin import AccessResult, apply_access
from gateway.kafka.credentials import as_env, as_properties, principal_settings
from gateway.settings import Settings
from gateway.topology import load_topology

__all__ = ["app"]

app = typer.Typer(
    help="Principals, SCRAM credentials and ACLs on a secured broker (`broker up --secure`).",
    no_args_is_help=True,
)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="The secured cluster's folder (credentials/, security/); default DATA_DIR/broker.",
    ),
]
TopologyOption = Annotated[
    Path | None,
    typer.Option("--topology", help="Topology TOML; default FRONTLINE_TOPOLOGY_FILE or shipped."),
]


class Format(StrEnum):
    PROPERTIES = "properties"
    ENV = "env"


def _folder(settings: Settings, data_dir: Path | None) -> Path:
    return data_dir or settings.data_dir / "broker"


def _admin(settings: Settings, folder: Path) -> Settings:
    """The caller's own principal when FRONTLINE_SASL_USERNAME is set, else the local admin."""
    if settings.sasl_username:
        return settings
    return principal_settings(settings, folder, ADMIN)


def _status(result: AccessResult, *, dry_run: bool) -> str:
    if result.error:
        return f"[bold red]failed[/] {result.error}"
    parts = [f"user {result.user}"]
    if result.created:
        parts.append(f"{len(result.created)} ACL(s) {'to create' if dry_run else 'created'}")
    if result.extra:
        parts.append(f"[red]drift: {len(result.extra)} ACL(s) not in the plan[/]")
    return ", ".join(parts)


@app.command()
def apply(
    ctx: typer.Context,
    dry_run: CreateDryRun = False,
    topology: TopologyOption = None,
    data_dir: DataDir = None,
    as_json: JsonOption = False,
) -> None:
    """Create each principal's SCRAM credential and ACLs; a second run changes nothing.

    Runs as the admin super-user of the local secured cluster (or as the FRONTLINE_SASL_*
    principal when set). Credentials are stored one file per principal (0600) under
    DATA_DIR/broker/credentials/ and never printed here.
    """
    settings = settings_of(ctx)
    folder = _folder(settings, data_dir)
    try:
        admin = _admin(settings, folder)
        principals = plan_access(
            load_topology(topology or settings.topology_file), admin.topic_prefix
        )
        results = apply_access(
            principals, admin, CredentialStore(folder / "credentials"), dry_run=dry_run
        )
    except FrontlineError as error:
        raise fail(error) from None
    failed = sum(r.user == "failed" for r in results)
    counts = {
        "principals": len(results),
        "users_created": sum(r.user in ("created", "rekeyed") for r in results),
        "users_to_create": sum(r.user in ("would-create", "would-rekey") for r in results),
        "acls_created": 0 if dry_run else sum(len(r.created) for r in results),
        "acls_to_create": sum(len(r.created) for r in results) if dry_run else 0,
        "drift": sum(r.drift for r in results),
        "failed": failed,
    }
    if as_json:
        emit_json(
            {
                "bootstrap_servers": admin.bootstrap_servers,
                "dry_run": dry_run,
                "principals": [
                    {
                        "principal": r.principal.name,
                        "role": r.principal.role,
                        "user": r.user,
                        "acls": [str(a) for a in r.principal.acls],
                        "acls_created" if not dry_run else "acls_to_create": [
                            str(a) for a in r.created
                        ],
                        "drift": list(r.extra),
                        "error": r.error,
                    }
                    for r in results
                ],
                "counts": counts,
            }
        )
    else:
        table = Table(title="Frontline principals")
        for column in ("principal", "role", "ACLs", "status"):
            table.add_column(column)
        for r in results:
            table.add_row(r.principal.name, r.principal.role, str(len(r.principal.acls)),
                          _status(r, dry_run=dry_run))  # fmt: skip
        console.print(table)
        console.print(
            f"{counts['principals']} principals: {counts['users_created']} users created, "
            f"{counts['users_to_create']} to create, {counts['acls_created']} ACLs created, "
            f"{counts['acls_to_create']} to create, {counts['drift']} with drift, "
            f"{failed} failed on {admin.bootstrap_servers}"
        )
    if failed:
        raise typer.Exit(1)


@app.command()
def credentials(
    ctx: typer.Context,
    principal: Annotated[str, typer.Argument(help="e.g. hub, operator, node-FRA, post-FRA.CDG.")],
    output: Annotated[
        Format, typer.Option("--format", help="properties (any Kafka client) or env (FRONTLINE_*).")
    ] = Format.PROPERTIES,
    data_dir: DataDir = None,
) -> None:
    """Print what a client needs to connect as PRINCIPAL (contains its password)."""
    settings = settings_of(ctx)
    try:
        connected = principal_settings(settings, _folder(settings, data_dir), principal)
    except FrontlineError as error:
        raise fail(error) from None
    typer.echo(as_env(connected) if output is Format.ENV else as_properties(connected), nl=False)
