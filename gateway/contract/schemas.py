"""Loads the Avro contract, computes parsing canonical forms and CRC-64-AVRO fingerprints.

The registry maps each known writer schema (the current ones and every older version
shipped under ``schemas/history/``) to its alert kind, so a reader can resolve bytes
written with any of them into the current schema.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

from gateway._resources import resource_path
from gateway.contract.enums import AlertKind
from gateway.errors import ConfigError

__all__ = [
    "ENVELOPE_FILE",
    "KIND_FILES",
    "KIND_OF_NAME",
    "SINGLE_OBJECT_MARKER",
    "SchemaEntry",
    "SchemaRegistry",
    "default_registry",
    "load_registry",
    "load_schema_json",
    "standalone_schema",
]

SINGLE_OBJECT_MARKER = b"\xc3\x01"
ENVELOPE_FILE = "envelope.avsc"
KIND_FILES: dict[AlertKind, str] = {
    AlertKind.WANTED_PERSON: "wanted_person.avsc",
    AlertKind.COMMODITY: "commodity.avsc",
    AlertKind.THREAT_ASSESSMENT: "threat_assessment.avsc",
    AlertKind.TRAVEL_DOCUMENT: "travel_document.avsc",
}
KIND_OF_NAME: dict[str, AlertKind] = {
    "org.frontline.alert.WantedPersonAlert": AlertKind.WANTED_PERSON,
    "org.frontline.alert.CommodityAlert": AlertKind.COMMODITY,
    "org.frontline.alert.ThreatAssessmentAlert": AlertKind.THREAT_ASSESSMENT,
    "org.frontline.alert.TravelDocumentAlert": AlertKind.TRAVEL_DOCUMENT,
}


@dataclass(frozen=True, slots=True)
class SchemaEntry:
    """One writer schema: its kind, where it came from, and how it is framed on the wire."""

    kind: AlertKind
    full_name: str
    source: str
    current: bool
    canonical_form: str
    fingerprint: int
    header: bytes
    parsed: dict[str, Any] = field(repr=False)

    @property
    def fingerprint_hex(self) -> str:
        """The 8 fingerprint bytes as they appear on the wire, in hex (little-endian)."""
        return self.header[2:].hex()


@dataclass(slots=True)
class SchemaRegistry:
    """Writer schemas by fingerprint, and the current (reader) schema of each kind."""

    by_header: dict[bytes, SchemaEntry] = field(default_factory=dict)
    current: dict[AlertKind, SchemaEntry] = field(default_factory=dict)

    def register(self, entry: SchemaEntry) -> None:
        """Add a writer schema; a second schema with the same fingerprint must be the same."""
        known = self.by_header.get(entry.header[2:])
        if known is not None and known.canonical_form != entry.canonical_form:
            raise ConfigError(f"fingerprint collision between {known.source} and {entry.source}")
        if known is None or entry.current:
            self.by_header[entry.header[2:]] = entry
        if entry.current:
            self.current[entry.kind] = entry

    def lookup(self, fingerprint_bytes: bytes) -> SchemaEntry | None:
        """The writer schema whose 8 little-endian fingerprint bytes these are, if known."""
        return self.by_header.get(fingerprint_bytes)

    def entries(self) -> Iterator[SchemaEntry]:
        """Every registered writer schema, current ones first, then by source."""
        yield from sorted(self.by_header.values(), key=lambda e: (not e.current, e.source))


def load_schema_json(path: Path) -> dict[str, Any]:
    """Read one ``.avsc`` file, with a clear error naming the file when it is not JSON."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ConfigError(f"cannot read Avro schema {path}: {error}") from error
    if not isinstance(data, dict):
        raise ConfigError(f"Avro schema {path} is not a JSON object")
    return data


def _inline(node: Any, definitions: dict[str, dict[str, Any]]) -> Any:
    """Replace the first reference to each external named type by its definition.

    This is the standalone schema a reader of the ``.avsc`` files reconstructs: a named
    type is defined where first used and referred to by name afterwards, as the parsing
    canonical form requires.
    """
    if isinstance(node, str):
        definition = definitions.pop(node, None)
        return node if definition is None else definition
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    if isinstance(node, dict):
        return {
            key: _inline(value, definitions)
            if key in ("type", "items", "values", "fields")
            else value
            for key, value in node.items()
        }
    return node


def _entry(schema: dict[str, Any], *, source: str, current: bool) -> SchemaEntry:
    """Parse a standalone top-level alert schema; compute its canonical form and fingerprint."""
    parsed = parse_schema(schema)
    if not isinstance(parsed, dict):
        raise ConfigError(
            f"{source}: an alert schema must be a record, not {type(parsed).__name__}"
        )
    canonical = to_parsing_canonical_form(parsed)
    fp_bytes = bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))
    full_name = str(parsed["name"])
    if full_name not in KIND_OF_NAME:
        raise ConfigError(f"{source}: {full_name} is not an alert record of the contract")
    return SchemaEntry(
        kind=KIND_OF_NAME[full_name],
        full_name=full_name,
        source=source,
        current=current,
        canonical_form=canonical,
        fingerprint=int.from_bytes(fp_bytes, "little"),
        header=SINGLE_OBJECT_MARKER + fp_bytes,
        parsed=parsed,
    )


def standalone_schema(kind: AlertKind, directory: Path | None = None) -> dict[str, Any]:
    """The current schema of ``kind`` as one JSON document, the envelope inlined."""
    root = resource_path("schemas") if directory is None else directory
    envelope = load_schema_json(root / ENVELOPE_FILE)
    full = f"{envelope.get('namespace', '')}.{envelope['name']}".lstrip(".")
    schema = load_schema_json(root / KIND_FILES[kind])
    # Both spellings resolve to the same definition; the first one met is replaced.
    standalone: dict[str, Any] = _inline(schema, {full: envelope, str(envelope["name"]): envelope})
    return standalone


def load_registry(directory: Path | None = None) -> SchemaRegistry:
    """Load the current schemas and every older version under ``history/``."""
    root = resource_path("schemas") if directory is None else directory
    registry = SchemaRegistry()
    for kind, name in KIND_FILES.items():
        schema = standalone_schema(kind, root)
        registry.register(_entry(schema, source=name, current=True))
    history = root / "history"
    if history.is_dir():
        for path in sorted(history.glob("*.avsc")):
            # Older versions are self-contained: they embed the envelope as it was.
            schema = load_schema_json(path)
            registry.register(_entry(schema, source=f"history/{path.name}", current=False))
    return registry


@functools.cache
def default_registry() -> SchemaRegistry:
    """The registry of the shipped schemas, loaded once per process."""
    return load_registry()
