"""Topologies for tests that create topics or run posts from a TOML file."""

from __future__ import annotations

__all__ = ["SMALL"]

SMALL = """\
version = 1

[[organizations]]
code = "INTERPOL"
name = "International Criminal Police Organization"
kind = "global"

[[organizations]]
code = "FRONTEX"
name = "European Border and Coast Guard Agency"
kind = "regional"

[[countries]]
code = "FRA"
name = "France"
  [[countries.posts]]
  id = "CDG"
  name = "Paris Charles de Gaulle Airport"
  type = "AIRPORT"
  [[countries.posts]]
  id = "FRLEH"
  name = "Port of Le Havre"
  type = "SEAPORT"
"""
"""Two organizations (INTERPOL, FRONTEX) and France with two posts (CDG, FRLEH)."""
