"""``frontline policy``: validate the sharing policy, list memberships, explain a decision."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, cast, get_args

import typer
from rich.table import Table

from gateway.cli._common import JsonOption, console, emit_json, fail, settings_of
from gateway.errors import ConfigError, FrontlineError
from gateway.hub.policy.decide import (
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
MAX_EXPIRY_DAYS = 36_500  # a century either way; beyond it a datetime overflows soon
_ALPHA3 = re.compile(r"^[A-Z]{3}$")


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
    as_json: JsonOption = False,
) -> None:
    """List member countries per organization."""
    loaded = _load(ctx, policy)
    orgs = [o.value for o in OrgCode]
    if org is not None:
        if org.upper() not in orgs:
            error = ConfigError(f"unknown organization {org!r}", hint=f"one of {', '.join(orgs)}")
            raise fail(error)
        orgs = [org.upper()]
    if as_json:
        emit_json(
            {
                "policy_version": loaded.version,
                "organizations": [
                    {
                        "org": code,
                        "observer": code in loaded.observers,
                        "members": sorted(loaded.members(code)),
                    }
                    for code in orgs
                ],
            }
        )
        return
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
    try:
        labels = {
            "--org": _one_of("--org", org, (o.value for o in OrgCode)),
            "--tlp": _one_of("--tlp", tlp, get_args(Tlp)),
            "--kind": _one_of("--kind", kind, get_args(Kind)),
            "--status": _one_of("--status", status, get_args(Status)),
            "--msg-type": _one_of("--msg-type", msg_type, get_args(MsgType)),
            "--country": _alpha3("--country", [country])[0],
        }
        days = _expiry_days(expires_in_days)
        for option, values in (
            ("--release-country", release_country),
            ("--deny-country", deny_country),
        ):
            _alpha3(option, values or [])
        for option, values in (("--release-org", release_org), ("--deny-org", deny_org)):
            for value in values or ():
                _one_of(option, value, (o.value for o in OrgCode))
    except ConfigError as error:
        raise fail(error) from None
    facts = RoutingFacts(
        alert_id="EXPLAIN",
        version=1,
        source_org=labels["--org"],
        originating_country=labels["--country"],
        msg_type=cast(MsgType, labels["--msg-type"]),
        status=cast(Status, labels["--status"]),
        tlp=cast(Tlp, labels["--tlp"]),
        kind=cast(Kind, labels["--kind"]),
        expires_at=None if days is None else now + timedelta(days=days),
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


def _one_of(option: str, value: str, allowed: Iterable[str]) -> str:
    """``value`` upper-cased; ConfigError naming the allowed values when it is not one."""
    choices = tuple(allowed)
    upper = value.strip().upper()
    if upper not in choices:
        raise ConfigError(
            f"{option}: unknown value {value!r}", hint=f"Use one of {', '.join(choices)}."
        )
    return upper


def _alpha3(option: str, values: list[str]) -> list[str]:
    """Country codes upper-cased; ConfigError for one that is not three letters."""
    out = [v.strip().upper() for v in values]
    for raw, code in zip(values, out, strict=True):
        if not _ALPHA3.match(code):
            raise ConfigError(
                f"{option}: {raw!r} is not an ISO 3166 alpha-3 country code",
                hint="Use three letters, e.g. FRA, ESP, COL.",
            )
    return out


def _expiry_days(days: float | None) -> float | None:
    """``--expires-in-days`` checked: a finite number within a century either way."""
    if days is None:
        return None
    if not math.isfinite(days) or abs(days) > MAX_EXPIRY_DAYS:
        raise ConfigError(
            f"--expires-in-days: {days} is not a number of days within ±{MAX_EXPIRY_DAYS}",
            hint="Give a finite number of days, e.g. 30 or -1 for an expired alert.",
        )
    return days


def _codes(values: list[str] | None) -> frozenset[str]:
    """Repeated option values as an upper-case set."""
    return frozenset(v.upper() for v in values or ())
