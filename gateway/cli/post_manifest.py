"""Placeholder for `frontline post screen-manifest` (issue 15, being built)."""

from __future__ import annotations

import typer

__all__ = ["screen_manifest"]


def screen_manifest() -> None:
    """Screen every traveller and document of a UN/EDIFACT PAXLST manifest."""
    raise typer.Exit(2)
