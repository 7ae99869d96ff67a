"""``frontline node``: run national nodes that fan alerts out to their border posts."""

from __future__ import annotations

from typing import Annotated

import typer

from gateway.cli._common import (
    JsonOption,
    MetricsPort,
    console,
    emit_json,
    fail,
    kafka_errors,
    printable,
    run_async,
    serve_metrics,
    settings_of,
)
from gateway.cli._options import ModeOption, VerifyTrustFile, with_trust_file
from gateway.contract.messages import FlagAction
from gateway.errors import ConfigError, FrontlineError
from gateway.heap import tune_allocator
from gateway.kafka.eos import Mode
from gateway.settings import Settings

__all__ = ["app"]

app = typer.Typer(help="National nodes: each country's alerts to its border posts' feeds.")


@app.callback()
def _node() -> None:
    """National nodes: each country's alerts to its border posts' feeds."""


@app.command()
def run(  # noqa: PLR0917  # why: typer maps each parameter to an argument or option
    ctx: typer.Context,
    countries: Annotated[
        list[str] | None,
        typer.Argument(
            help="ISO 3166-1 alpha-3 codes of the countries, e.g. FRA DEU.", show_default=False
        ),
    ] = None,
    all_countries: Annotated[
        bool, typer.Option("--all", help="Every country of the topology, in this one process.")
    ] = False,
    metrics_port: MetricsPort = None,
    trust_file: VerifyTrustFile = None,
    mode: ModeOption = Mode.EXACTLY_ONCE,
    auto_confirm: Annotated[
        bool,
        typer.Option(
            "--auto-confirm",
            help="Confirm every hit of the posts at once (not FALSE_MATCH), for the exercise.",
        ),
    ] = False,
) -> None:
    """Route some countries' node topics (or every country's) to their posts until Ctrl-C.

    Instances share the work in one consumer group, country by country: start several
    with --all (or the same countries) and each takes whole countries; an instance naming
    fewer countries keeps them, and the others take them over if it stops.
    """
    import asyncio  # noqa: PLC0415  # why: keep `frontline --help` fast

    from gateway.node.metrics import NodeMetrics  # noqa: PLC0415  # why: same
    from gateway.node.service import run_node  # noqa: PLC0415  # why: same
    from gateway.topology import load_topology  # noqa: PLC0415  # why: same

    tune_allocator()
    settings = with_trust_file(settings_of(ctx), trust_file)
    try:
        topology = load_topology(settings.topology_file)
        if all_countries == bool(countries):
            raise ConfigError(
                "name one or more countries, or pass --all",
                hint="e.g. `frontline node run FRA`, `frontline node run FRA DEU`, "
                "or `frontline node run --all`",
            )
        named = dict.fromkeys(c.upper() for c in countries or [])
        codes = [c.code for c in topology.countries] if all_countries else list(named)
        for code in codes:
            try:
                topology.country(code)
            except KeyError:
                raise ConfigError(
                    f"country {code!r} is not in the topology",
                    hint="list them with `frontline topology show`",
                ) from None
        metrics = NodeMetrics()
        if metrics_port is not None:
            serve_metrics(metrics.registry, metrics_port, settings)
        console.print(f"national node for {len(codes)} countr{'y' if len(codes) == 1 else 'ies'}")
        with kafka_errors(settings, "run the national node"):
            asyncio.run(
                run_node(
                    settings,
                    topology,
                    codes,
                    metrics=metrics,
                    mode=mode,
                    auto_confirm=auto_confirm,
                )
            )
    except FrontlineError as error:
        raise fail(error) from None


def _country(settings: Settings, code: str) -> str:
    """``code`` upper-cased, or a ConfigError when the topology has no such country."""
    from gateway.topology import load_topology  # noqa: PLC0415  # why: keep --help fast

    code = code.upper()
    try:
        load_topology(settings.topology_file).country(code)
    except KeyError:
        raise ConfigError(
            f"country {code!r} is not in the topology",
            hint="list them with `frontline topology show`",
        ) from None
    return code


def _by() -> str:
    """Who decides, as the environment claims it (LOGNAME/USER; recorded, unauthenticated)."""
    import os  # noqa: PLC0415  # why: keep --help fast

    from gateway.hub.review import claimed_reviewer  # noqa: PLC0415  # why: same

    return claimed_reviewer(os.environ)


hits_app = typer.Typer(help="Hits of a country's posts: list, confirm, dismiss.")
app.add_typer(hits_app, name="hits")

CountryArg = Annotated[str, typer.Argument(help="ISO 3166-1 alpha-3 code of the country.")]


@hits_app.callback()
def _hits(ctx: typer.Context, country: CountryArg) -> None:
    """Hits of a country's posts: `frontline node hits FRA list|confirm HIT_ID|dismiss HIT_ID`."""
    ctx.obj = country


def _hits_country(ctx: typer.Context) -> tuple[Settings, str]:
    settings = settings_of(ctx)
    parent = ctx.parent
    return settings, _country(settings, str(parent.obj if parent is not None else ""))


@hits_app.command("list")
def hits_list(
    ctx: typer.Context,
    incoming: Annotated[
        bool,
        typer.Option("--incoming", help="Hits other countries reported on this country's alerts."),
    ] = False,
    every: Annotated[
        bool, typer.Option("--all", help="Every hit, not only those awaiting a decision.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Hits awaiting the bureau's decision (or all, or incoming), oldest first."""
    from rich.table import Table  # noqa: PLC0415  # why: keep --help fast

    from gateway.node.bureau import incoming_hits, list_hits  # noqa: PLC0415  # why: same
    from gateway.node.hits import HitEntry, HitStatus  # noqa: PLC0415  # why: same

    try:
        settings, code = _hits_country(ctx)
        with kafka_errors(settings, "read the hits"):
            if incoming:
                reports = run_async(incoming_hits)(settings, code)
                rows = [HitEntry(r, HitStatus.CONFIRMED) for r in reports]
            else:
                book = run_async(list_hits)(settings, code)
                rows = (
                    sorted(book.entries.values(), key=lambda e: e.report.reported_at)
                    if every
                    else book.pending()
                )
    except FrontlineError as error:
        raise fail(error) from None
    if as_json:
        emit_json([e.to_json() for e in rows])
        return
    table = Table("hit", "alert", "v", "post", "outcome", "reported", "status")
    for e in rows:
        r = e.report
        table.add_row(
            printable(r.hit_id), printable(r.alert_id), str(r.alert_version),
            f"{r.country}.{r.post_id}", r.outcome.value,
            r.reported_at.isoformat(timespec="seconds"), e.status.value,
        )  # fmt: skip
    console.print(table)
    what = "incoming hits" if incoming else ("hits" if every else "hits awaiting a decision")
    console.print(f"{len(rows)} {what} ({code})", highlight=False, markup=False)


HitId = Annotated[str, typer.Argument(help="The hit id (see `node hits COUNTRY list`).")]


def _decide(ctx: typer.Context, hit_id: str, *, confirm: bool, reason: str | None) -> None:
    from gateway.node.bureau import decide_hit  # noqa: PLC0415  # why: keep --help fast

    try:
        settings, code = _hits_country(ctx)
        by = _by()
        with kafka_errors(settings, "send the decision"):
            entry = run_async(decide_hit)(
                settings, code, hit_id, confirm=confirm, reason=reason, by=by
            )
    except FrontlineError as error:
        raise fail(error) from None
    console.print(
        f"hit {hit_id} {entry.status.value.lower()} by {by} (name from LOGNAME/USER); "
        "the node applies it within a second.",
        highlight=False,
        markup=False,
    )


@hits_app.command()
def confirm(ctx: typer.Context, hit_id: HitId) -> None:
    """Confirm a hit: the node forwards it to the hub, which tells the issuing side."""
    _decide(ctx, hit_id, confirm=True, reason=None)


@hits_app.command()
def dismiss(
    ctx: typer.Context,
    hit_id: HitId,
    reason: Annotated[str, typer.Option("--reason", help="Why (required, recorded).")] = "",
) -> None:
    """Dismiss a hit with a reason: it goes no further."""
    _decide(ctx, hit_id, confirm=False, reason=reason)


AlertIdArg = Annotated[str, typer.Argument(help="The alert id, e.g. INTERPOL:R-2024-001.")]


def _flag(
    ctx: typer.Context, country: str, alert_id: str, *, flagged: bool, reason: str,
    action: FlagAction,
) -> None:  # fmt: skip
    from gateway.node.bureau import publish_flag  # noqa: PLC0415  # why: keep --help fast

    try:
        settings = settings_of(ctx)
        code = _country(settings, country)
        by = _by()
        with kafka_errors(settings, "send the flag"):
            run_async(publish_flag)(
                settings, code, alert_id, flagged=flagged, reason=reason, action=action, by=by
            )
    except FrontlineError as error:
        raise fail(error) from None
    what = f"flagged ({action.value})" if flagged else "unflagged"
    console.print(
        f"{alert_id} {what} for {code} by {by}; the node re-delivers it to its posts and "
        "tells the hub within a second.",
        highlight=False,
        markup=False,
    )


@app.command()
def flag(
    ctx: typer.Context,
    country: CountryArg,
    alert_id: AlertIdArg,
    reason: Annotated[str, typer.Option("--reason", help="Why (required, recorded).")] = "",
    action: Annotated[
        FlagAction, typer.Option("--action", help="What officers do here instead.")
    ] = FlagAction.INFORM,
) -> None:
    """Flag an alert this country will not execute as issued: its posts see the action instead."""
    _flag(ctx, country, alert_id, flagged=True, reason=reason, action=action)


@app.command()
def unflag(ctx: typer.Context, country: CountryArg, alert_id: AlertIdArg) -> None:
    """Lift a flag: the posts get the alert again without it."""
    _flag(ctx, country, alert_id, flagged=False, reason="", action=FlagAction.INFORM)


if __name__ == "__main__":  # `python -m gateway.cli.node run FRA`
    app()
