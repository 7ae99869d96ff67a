"""``frontline hub``: run the hub that routes every ingress alert to the national nodes."""

from __future__ import annotations

import typer

from gateway.cli._common import MetricsPort, fail, kafka_errors, serve_metrics, settings_of
from gateway.cli._options import ModeOption, VerifyTrustFile, with_trust_file
from gateway.errors import FrontlineError
from gateway.heap import tune_allocator
from gateway.hub.metrics import HubMetrics
from gateway.hub.service import run_hub
from gateway.kafka.eos import Mode

__all__ = ["app"]

app = typer.Typer(help="The hub: policy, exactly-once delivery, review hold, audit.")


@app.callback()
def _hub() -> None:
    """The hub: policy, exactly-once delivery, review hold, audit."""


@app.command()
def run(
    ctx: typer.Context,
    metrics_port: MetricsPort = None,
    trust_file: VerifyTrustFile = None,
    mode: ModeOption = Mode.EXACTLY_ONCE,
) -> None:
    """Route every ingress topic to the national node topics until SIGTERM or Ctrl-C."""
    import asyncio  # noqa: PLC0415  # why: keep `frontline --help` fast

    tune_allocator()
    settings = with_trust_file(settings_of(ctx), trust_file)
    metrics = HubMetrics()
    try:
        if metrics_port is not None:
            serve_metrics(metrics.registry, metrics_port, settings)
        with kafka_errors(settings, "run the hub"):
            asyncio.run(run_hub(settings, mode=mode, metrics=metrics))
    except FrontlineError as error:
        raise fail(error) from None
