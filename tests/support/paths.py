"""Folders of the repository that tests read: the root, the Avro schemas and their examples."""

from __future__ import annotations

from pathlib import Path

__all__ = ["EXAMPLES", "FIXTURES", "ROOT", "SCHEMAS"]

ROOT = Path(__file__).resolve().parents[2]
"""The repository root (the folder holding pyproject.toml)."""

SCHEMAS = ROOT / "schemas"
"""The Avro schemas (``*.avsc``) of the alert contract."""

EXAMPLES = SCHEMAS / "examples"
"""One valid example alert per record type, as JSON."""

FIXTURES = ROOT / "tests" / "fixtures"
"""Test inputs kept as files (connector samples under ``connectors/<org>``)."""
