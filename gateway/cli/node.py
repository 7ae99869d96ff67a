"""``frontline node``: run national nodes that fan alerts out to their border posts."""

from __future__ import annotations

from typing import Annotated

import typer

from gateway.cli._common import (
    MetricsPort,
    console,
    fail,
    kafka_errors,
    serve_metrics,
    settings_of,
)
from gateway.cli._options import ModeOption, VerifyTrustFile, with_trust_file
from gateway.errors import ConfigError, FrontlineError
from gateway.kafka.eos import Mode

__all__ = ["app"]

app = typer.Typer(help="National nodes: each country's alerts to its border posts' feeds.")


@app.callback()
def _node() -> None:
    """National nodes: each country's alerts to its border posts' feeds."""


@app.command()
def run(  # noqa: PLR0917  # why: typer maps each parameter to an argument or option
    ctx: typer.Context,
    country: Annotated[
        str | None, typer.Argument(help="ISO 3166-1 alpha-3 code of the country, e.g. FRA.")
    ] = None,
    all_countries: Annotated[
        bool, typer.Option("--all", help="Every country of the topology, in this one process.")
    ] = False,
    metrics_port: MetricsPort = None,
    trust_file: VerifyTrustFile = None,
    mode: ModeOption = Mode.EXACTLY_ONCE,
) -> None:
    """Route a country's node topic (or every country's) to its posts until Ctrl-C."""
    import asyncio  # noqa: PLC0415  # why: keep `frontline --help` fast

    from gateway.node.metrics import NodeMetrics  # noqa: PLC0415  # why: same
    from gateway.node.service import run_node  # noqa: PLC0415  # why: same
    from gateway.topology import load_topology  # noqa: PLC0415  # why: same

    settings = with_trust_file(settings_of(ctx), trust_file)
    try:
        topology = load_topology(settings.topology_file)
        if all_countries == (country is not None):
            raise ConfigError(
                "name one country or pass --all",
                hint="e.g. `frontline node run FRA`, or `frontline node run --all`",
            )
        codes = [c.code for c in topology.countries] if all_countries else [str(country).upper()]
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
            asyncio.run(run_node(settings, topology, codes, metrics=metrics, mode=mode))
    except FrontlineError as error:
        raise fail(error) from None


if __name__ == "__main__":  # `python -m gateway.cli.node run FRA`
    app()
