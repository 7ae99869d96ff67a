"""``frontline topics``: create the topic layout from the topology."""

from __future__ import annotations

import typer

__all__ = ["app"]

app = typer.Typer(help="Create Frontline's topics from the topology.", no_args_is_help=True)
