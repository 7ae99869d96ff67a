"""``frontline policy``: validate the sharing policy, list memberships, explain a decision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.table import Table

from gateway.cli._common import console, fail, settings_of
from gateway.errors import ConfigError, FrontlineError
from gateway.policy import (
    Kind,
    MsgType,
    OrgCode,
    Policy,
    RoutingFacts,
    Status,
    Tlp,
    load_policy,
)

__all__ = ["app"]

app = typer.Typer(help="Validate and query the sharing policy file.", no_args_is_help=True)

PolicyOption = Annotated[
    Path | None,
    typer.Option("--policy", help="Policy TOML; default FRONTLINE_POLICY_FILE or shipped."),
]
Codes = Annotated[list[str] | None, typer.Option(help="Repeat for several values.")]


def _load(ctx: typer.Context, path: Path | None) -> Policy:
    try:
        return load_policy(path or settings_of(ctx).policy_file)
    except FrontlineError as error:
        raise fail(error) from None


@app.command()
def check(ctx: typer.Context, policy: PolicyOption = None) -> None:
    """Validate the file; every problem is printed as file:line: field: message."""
    loaded = _load(ctx, policy)
    console.print(
        f"[green]ok[/]: policy {loaded.version}, {len(OrgCode)} organizations, "
        f"{len(loaded.review.keywords)} review keywords, "
        f"{len(loaded.review.originators)} originators under review"
    )


@app.command()
def members(
    ctx: typer.Context,
    org: Annotated[
        str | None, typer.Argument(help="One organization code; all when omitted.")
    ] = None,
    policy: PolicyOption = None,
) -> None:
    """List member countries per organization."""
    loaded = _load(ctx, policy)
    orgs = [o.value for o in OrgCode]
    if org is not None:
        if org.upper() not in orgs:
            error = ConfigError(f"unknown organization {org!r}", hint=f"one of {', '.join(orgs)}")
            raise fail(error)
        orgs = [org.upper()]
    table = Table(title=f"Memberships, policy {loaded.version}")
    table.add_column("org")
    table.add_column("count", justify="right")
    table.add_column("members")
    for code in orgs:
        listed = sorted(loaded.members(code))
        role = " (observer)" if code in loaded.observers else ""
        table.add_row(code + role, str(len(listed)), " ".join(listed))
    console.print(table)


@app.command()
def explain(
    ctx: typer.Context,
    *,
    org: Annotated[str, typer.Option(help="Source organization code.")],
    tlp: Annotated[str, typer.Option(help="CLEAR, GREEN, AMBER, AMBER_STRICT or RED.")] = "GREEN",
    country: Annotated[str, typer.Option(help="Originating country, ISO alpha-3.")] = "FRA",
    kind: Annotated[str, typer.Option(help="Alert kind.")] = "WANTED_PERSON",
    status: Annotated[str, typer.Option(help="ACTUAL, EXERCISE or TEST.")] = "ACTUAL",
    msg_type: Annotated[str, typer.Option(help="ALERT, UPDATE or CANCEL.")] = "ALERT",
    expires_in_days: Annotated[
        float | None, typer.Option(help="Expiry from now in days; negative means expired.")
    ] = None,
    release_country: Codes = None,
    release_org: Codes = None,
    deny_country: Codes = None,
    deny_org: Codes = None,
    offence: Codes = None,
    policy: PolicyOption = None,
) -> None:
    """Show who would receive an alert with these labels, and why every other country would not.

    Candidates are every country any organization in the policy lists.
    """
    loaded = _load(ctx, policy)
    now = datetime.now(UTC)
    # Labels are passed on as typed; the policy answers INVALID_FACTS for unknown ones.
    facts = RoutingFacts(
        alert_id="EXPLAIN",
        version=1,
        source_org=org.upper(),
        originating_country=country.upper(),
        msg_type=cast(MsgType, msg_type.upper()),
        status=cast(Status, status.upper()),
        tlp=cast(Tlp, tlp.upper()),
        kind=cast(Kind, kind.upper()),
        expires_at=None if expires_in_days is None else now + timedelta(days=expires_in_days),
        release_to_countries=_codes(release_country),
        release_to_orgs=_codes(release_org),
        deny_countries=_codes(deny_country),
        deny_orgs=_codes(deny_org),
        offences=tuple(offence or ()),
    )
    candidates = frozenset().union(*(loaded.members(o.value) for o in OrgCode))
    decision = loaded.decide(facts, candidates, now)
    console.print(f"policy {decision.policy_version}, feed {decision.feed.value}")
    names = " ".join(sorted(decision.recipients)) or "-"
    console.print(f"[green]recipients ({len(decision.recipients)})[/]: {names}")
    for reason, codes in sorted(decision.reasons.items()):
        console.print(f"[yellow]{reason.value} ({len(codes)})[/]: {' '.join(sorted(codes))}")
    if decision.hold_for_review:
        console.print(f"[bold red]held for review[/]: {decision.hold_for_review}")


def _codes(values: list[str] | None) -> frozenset[str]:
    """Repeated option values as an upper-case set."""
    return frozenset(v.upper() for v in values or ())
