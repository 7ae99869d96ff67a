"""Placeholder for `frontline post screen-mrz` (issue 15, being built)."""

from __future__ import annotations

import typer

__all__ = ["screen_mrz"]


def screen_mrz() -> None:
    """Screen a traveller and the document from a machine-readable zone (MRZ)."""
    raise typer.Exit(2)
