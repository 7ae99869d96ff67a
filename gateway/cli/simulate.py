"""``frontline simulate``: the main job, a realistic multi-organization exercise with a report."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from gateway.cli._common import FiniteFloat, fail, settings_of
from gateway.errors import ConfigError, FrontlineError

__all__ = ["app", "parse_duration"]


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
MAX_DURATION_S = 7 * 24 * 3600.0


def parse_duration(text: str) -> float:
    """Seconds in '90', '60s', '2m', '1h' or '500ms'; more than 0, at most a week."""
    match = _DURATION.match(text)
    if match is None:
        raise ConfigError(f"cannot read the duration {text!r}", hint="write it as 60s, 2m or 90")
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if not 0 < seconds <= MAX_DURATION_S:
        raise ConfigError(
            f"the duration {text!r} is out of range", hint="give more than 0 and at most 168h"
        )
    return seconds


def simulate(
    ctx: typer.Context,
    *,
    duration: Annotated[str, typer.Option(help="How long traffic flows: 60s, 2m ...")] = "60s",
    rate: Annotated[
        float,
        FiniteFloat(1, 100_000, "Native records issued per second."),
    ] = 200,
    countries: Annotated[
        int, typer.Option(min=1, max=250, help="Countries with a national node.")
    ] = 12,
    posts_per_country: Annotated[
        int, typer.Option(min=1, max=50, help="Border posts per country.")
    ] = 2,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same exercise.")] = 7,
    report: Annotated[
        Path, typer.Option(help="Folder for report.json, report.html and component logs.")
    ] = Path("reports/latest"),
    metrics_base_port: Annotated[
        int,
        typer.Option(
            min=1024,
            max=65532,
            help="Metrics ports: connectors at P, hub P+1, nodes P+2, posts P+3.",
        ),
    ] = 9401,
    planted_share: Annotated[
        float,
        FiniteFloat(0, 1, "Share of travellers who are planted matches."),
    ] = 0.2,
    partitions: Annotated[
        int,
        typer.Option(
            min=1,
            max=1000,
            help="Partitions per topic; one keeps each exactly-once hop near "
            "one commit interval on one machine (docs/benchmarks.md, section 4).",
        ),
    ] = 1,
    secure: Annotated[
        bool,
        typer.Option(
            "--secure",
            help="Run on a secured broker (SASL_SSL, SCRAM, ACLs) in DATA_DIR/broker-secure, "
            "each process as its own principal, every alert signed and verified.",
        ),
    ] = False,
    sign: Annotated[
        bool,
        typer.Option(
            "--sign", help="Sign and verify every alert in plaintext too (--secure implies it)."
        ),
    ] = False,
    split: Annotated[
        bool,
        typer.Option(
            "--split",
            help="One process per national node and per border post, as --secure runs them "
            "(to compare plaintext with --secure at the same layout).",
        ),
    ] = False,
    hit_share: Annotated[
        float,
        FiniteFloat(0, 1, "Share of found planted travellers reported as hits (POST /hits)."),
    ] = 0.3,
    ack_delay: Annotated[
        float,
        FiniteFloat(0, 3600, "Seconds an originator takes to acknowledge a hit it received."),
    ] = 3.0,
    flags: Annotated[
        int, typer.Option(min=0, max=50, help="Alerts flagged at nodes when traffic stops.")
    ] = 3,
    brokers: Annotated[
        int,
        typer.Option(
            min=1,
            max=3,
            help="3: run on its own three-broker local cluster "
            "(DATA_DIR/broker-cluster), every topic replicated three times.",
        ),
    ] = 1,
    hubs: Annotated[
        int, typer.Option(min=1, max=4, help="Hub instances sharing the work (one group).")
    ] = 1,
    chaos: Annotated[
        bool,
        typer.Option(
            "--chaos",
            help="Inject faults at seeded random times (broker, hub, node and post kills, a "
            "stopped hub); the accounting must pass as without them (docs/simulate.md).",
        ),
    ] = False,
    faults: Annotated[
        str,
        typer.Option(
            help="With --chaos: 'all' or some of broker-kill, hub-kill, "
            "node-kill, post-kill, hub-stop (comma-separated)."
        ),
    ] = "all",
    soak: Annotated[
        bool,
        typer.Option(
            "--soak",
            help="Sample every process's memory and open files and the consumer lag; fail "
            "unless they stay flat after warm-up (soak.csv, soak.png in the report folder).",
        ),
    ] = False,
    sample_every: Annotated[
        str, typer.Option(help="With --chaos or --soak: how often processes are measured.")
    ] = "10s",
    steady_after: Annotated[
        str | None,
        typer.Option(
            help="From this far into the traffic on, issue only amendments of the live alerts "
            "(updates adding no detail; no new alerts or documents, no withdrawals): a steady "
            "population, same rate. "
            "Default: the soak's warm-up with --soak, else never; 'off': never.",
        ),
    ] = None,
) -> None:
    """Generate every organization's alerts in its native format, run the whole pipeline, report."""
    from gateway.simulate.chaos import parse_faults  # noqa: PLC0415  # why: heavy imports, only when it runs
    from gateway.simulate.exercise import Exercise, ExerciseConfig  # noqa: PLC0415  # why: heavy imports, only when it runs
    from gateway.simulate.soak import warmup_s  # noqa: PLC0415  # why: heavy imports, only when it runs

    try:
        duration_s = parse_duration(duration)
        sample_s = parse_duration(sample_every)
        if steady_after is None:
            steady_s = warmup_s(duration_s) if soak else None
        else:
            steady_s = None if steady_after.strip() == "off" else parse_duration(steady_after)
        kinds = parse_faults(faults) if chaos else ()
        if brokers not in (1, 3):
            raise ConfigError(f"--brokers {brokers} is not supported", hint="use 1 or 3")
        if "broker-kill" in kinds and brokers != 3:
            raise ConfigError(
                "--chaos kills a broker, which needs a cluster that survives it",
                hint="add --brokers 3, or leave broker-kill out of --faults",
            )
        if brokers == 3 and secure:
            raise ConfigError(
                "--brokers 3 runs on a plaintext cluster", hint="leave out --secure or --brokers"
            )
    except FrontlineError as error:
        raise fail(error) from None
    config = ExerciseConfig(
        duration_s=duration_s,
        rate=rate,
        countries=countries,
        posts_per_country=posts_per_country,
        seed=seed,
        report_dir=report,
        metrics_base_port=metrics_base_port,
        planted_share=planted_share,
        partitions=partitions,
        secure=secure,
        sign=sign,
        split=split,
        hit_share=hit_share,
        ack_delay_s=ack_delay,
        flags=flags,
        brokers=brokers,
        hubs=hubs,
        faults=kinds,
        soak=soak,
        sample_s=sample_s,
        steady_after_s=steady_s,
    )
    ok = Exercise(settings_of(ctx), config).run()
    raise typer.Exit(0 if ok else 1)


# A single command, not a group: the CLI root registers a function module as `frontline simulate`.
app = simulate
