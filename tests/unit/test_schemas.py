"""Schema registry, FULL_TRANSITIVE evolution and interoperability with Apache Avro."""

from __future__ import annotations

import copy
import io
import json
import shutil
from pathlib import Path
from typing import Any

import avro.io
import avro.schema
import pytest
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType
from fastavro import schemaless_reader, schemaless_writer
from fastavro.schema import fingerprint as fastavro_fingerprint
from fastavro.schema import parse_schema as fastavro_parse
from fastavro.schema import to_parsing_canonical_form

from gateway.contract import (
    ALERT_MODELS,
    AlertKind,
    AnyAlert,
    DocumentStatus,
    DocumentType,
    PhysicalDescription,
    TravelDocumentAlert,
    WantedPersonAlert,
)
from gateway.contract.codec import HEADER_SIZE, decode, decode_dict, encode
from gateway.contract.schemas import (
    ENVELOPE_FILE,
    KIND_FILES,
    KIND_OF_NAME,
    SINGLE_OBJECT_MARKER,
    SchemaEntry,
    SchemaRegistry,
    default_registry,
    load_registry,
)
from gateway.errors import ConfigError, DecodeError

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
EXAMPLES = SCHEMAS / "examples"


def example(kind: AlertKind) -> AnyAlert:
    """The shipped example alert of ``kind``."""
    text = (EXAMPLES / KIND_FILES[kind].replace(".avsc", ".json")).read_text()
    return ALERT_MODELS[kind].model_validate_json(text)


def standalone_json(kind: AlertKind) -> dict[str, Any]:
    """The kind's .avsc with the envelope's definition inlined, read from the files alone."""
    schema: dict[str, Any] = json.loads((SCHEMAS / KIND_FILES[kind]).read_text())
    schema["fields"][0]["type"] = json.loads((SCHEMAS / ENVELOPE_FILE).read_text())
    return schema


def strip_logical_types(node: Any) -> Any:
    """Drop 'logicalType' as the specification's [STRIP] rule for canonical form does."""
    if isinstance(node, dict):
        return {k: strip_logical_types(v) for k, v in node.items() if k != "logicalType"}
    if isinstance(node, list):
        return [strip_logical_types(v) for v in node]
    return node


def compatibility(reader: avro.schema.Schema, writer: avro.schema.Schema) -> Any:
    """Apache Avro's verdict on whether ``reader`` can read what ``writer`` wrote."""
    checker = ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]  # why: avro leaves its __init__ unannotated
    return checker.get_compatibility(reader, writer)


def history_versions(kind: AlertKind) -> list[avro.schema.Schema]:
    """Every shipped version of a kind's schema, oldest first, parsed by Apache Avro."""
    name = KIND_FILES[kind].removesuffix(".avsc")
    old = sorted((SCHEMAS / "history").glob(f"{name}_v*.avsc"))
    parsed = [avro.schema.parse(path.read_text()) for path in old]
    return [*parsed, avro.schema.parse(json.dumps(standalone_json(kind)))]


def test_registry_knows_current_and_history() -> None:
    """Each kind has one current schema, and older versions are registered as writers."""
    registry = default_registry()
    assert set(registry.current) == set(AlertKind)
    sources = {entry.source for entry in registry.entries()}
    assert "history/wanted_person_v1.avsc" in sources


@pytest.mark.parametrize("kind", list(AlertKind))
def test_fingerprint_matches_apache_avro_on_the_spec_canonical_form(kind: AlertKind) -> None:
    """Our CRC-64-AVRO fingerprint equals Apache Avro's for the spec's canonical form."""
    # Apache Avro for Python keeps logicalType in its canonical form, which the spec strips
    # (Java and fastavro strip it); without logical types both agree on every byte.
    reference = avro.schema.parse(json.dumps(strip_logical_types(standalone_json(kind))))
    assert reference.fingerprint("CRC-64-AVRO") == default_registry().current[kind].header[2:]


@pytest.mark.parametrize(
    "path", sorted((SCHEMAS / "history").glob("*.avsc")), ids=lambda p: str(p.name)
)
def test_history_fingerprints_match_apache_avro(path: Path) -> None:
    """Older versions are fingerprinted by the same rule, so their bytes are recognised."""
    schema = json.loads(path.read_text())
    reference = avro.schema.parse(json.dumps(strip_logical_types(schema)))
    # A snapshot equal to a current schema shares its fingerprint (and its registry entry).
    entry = default_registry().lookup(reference.fingerprint("CRC-64-AVRO"))
    assert entry is not None
    assert entry.full_name == f"{schema['namespace']}.{schema['name']}"


@pytest.mark.parametrize("kind", list(AlertKind))
def test_apache_avro_decodes_our_bytes_with_the_avsc_files_alone(kind: AlertKind) -> None:
    """The reference implementation reads what we write, given only the .avsc files."""
    alert = example(kind)
    data = encode(alert)
    assert data[:2] == SINGLE_OBJECT_MARKER
    schema = avro.schema.parse(json.dumps(standalone_json(kind)))
    reader = avro.io.DatumReader(schema)
    record = reader.read(avro.io.BinaryDecoder(io.BytesIO(data[HEADER_SIZE:])))
    assert isinstance(record, dict)
    assert ALERT_MODELS[kind].from_avro_dict(record) == alert


@pytest.mark.parametrize("kind", list(AlertKind))
def test_we_decode_bytes_apache_avro_writes(kind: AlertKind) -> None:
    """Bytes framed around an Apache Avro body decode to the same alert through our codec."""
    alert = example(kind)
    schema = avro.schema.parse(json.dumps(standalone_json(kind)))
    record = avro.io.DatumReader(schema).read(
        avro.io.BinaryDecoder(io.BytesIO(encode(alert)[HEADER_SIZE:]))
    )
    body = io.BytesIO()
    avro.io.DatumWriter(schema).write(record, avro.io.BinaryEncoder(body))
    fingerprint = avro.schema.parse(
        json.dumps(strip_logical_types(standalone_json(kind)))
    ).fingerprint("CRC-64-AVRO")
    assert decode(SINGLE_OBJECT_MARKER + fingerprint + body.getvalue()) == alert


@pytest.mark.parametrize("kind", list(AlertKind))
def test_every_version_pair_is_compatible_both_ways(kind: AlertKind) -> None:
    """FULL_TRANSITIVE: every shipped version reads every other, in both directions."""
    versions = history_versions(kind)
    for reader in versions:
        for writer in versions:
            result = compatibility(reader, writer)
            assert result.compatibility is SchemaCompatibilityType.compatible, result


def test_compatibility_check_catches_a_breaking_change() -> None:
    """A new field without a default is reported incompatible, so the check above can fail."""
    current = standalone_json(AlertKind.THREAT_ASSESSMENT)
    broken = copy.deepcopy(current)
    broken["fields"][1]["type"][1]["fields"].append({"name": "severity", "type": "int"})
    result = compatibility(
        avro.schema.parse(json.dumps(broken)), avro.schema.parse(json.dumps(current))
    )
    assert result.compatibility is SchemaCompatibilityType.incompatible


def _v1_record() -> dict[str, Any]:
    """The example wanted person as a v1 writer would have produced it."""
    record = example(AlertKind.WANTED_PERSON).to_avro_dict()
    del record["envelope"]["handling_note"]
    del record["subject"]["physical_description"]
    del record["subject"]["violent"]
    return record


def _v1_entry() -> Any:
    """The registry entry of wanted_person_v1."""
    return next(e for e in default_registry().entries() if e.source.endswith("_v1.avsc"))


def test_old_writer_new_reader() -> None:
    """Bytes written with v1 decode into the current model, new fields at their defaults."""
    v1 = _v1_entry()
    body = io.BytesIO()
    schemaless_writer(body, v1.parsed, _v1_record())
    alert = decode(v1.header + body.getvalue())
    assert isinstance(alert, WantedPersonAlert)
    assert alert.subject is not None
    assert alert.subject.physical_description is None
    assert alert.subject.violent is False
    assert alert.envelope.handling_note is None
    assert alert.subject.family_name == "ERIKSSON"


def test_new_writer_old_reader() -> None:
    """A v1 reader reads bytes written with the current schema, ignoring fields it lacks."""
    alert = example(AlertKind.WANTED_PERSON)
    assert alert.subject is not None
    subject = alert.subject.model_copy(
        update={"physical_description": PhysicalDescription(height_cm=180), "violent": True}
    )
    data = encode(alert.model_copy(update={"subject": subject}))
    current = default_registry().current[AlertKind.WANTED_PERSON]
    buffer = io.BytesIO(data[HEADER_SIZE:])
    record = schemaless_reader(buffer, current.parsed, _v1_entry().parsed)
    assert isinstance(record, dict)
    assert "violent" not in record["subject"]
    assert "handling_note" not in record["envelope"]
    assert record["subject"]["travel_documents"][0]["number"] == "L898902C3"


def test_reader_without_history_rejects_old_fingerprint(tmp_path: Path) -> None:
    """A registry that lacks a writer schema reports unknown_fingerprint, never guesses."""
    for name in [ENVELOPE_FILE, *KIND_FILES.values()]:
        shutil.copy(SCHEMAS / name, tmp_path / name)
    v1 = _v1_entry()
    body = io.BytesIO()
    schemaless_writer(body, v1.parsed, _v1_record())
    with pytest.raises(DecodeError) as caught:
        decode(v1.header + body.getvalue(), registry=load_registry(tmp_path))
    assert caught.value.quarantine_reason == "unknown_fingerprint"


def test_unreadable_schema_file_is_a_config_error(tmp_path: Path) -> None:
    """A broken .avsc file fails loading with an error naming the file."""
    for name in [ENVELOPE_FILE, *KIND_FILES.values()]:
        shutil.copy(SCHEMAS / name, tmp_path / name)
    (tmp_path / "commodity.avsc").write_text("{not json")
    with pytest.raises(ConfigError, match=r"commodity\.avsc"):
        load_registry(tmp_path)


# -- issue 15: the fourth kind (TRAVEL_DOCUMENT) and the readers built before it ---------------

# The contract as readers built before issue 15 know it: three kinds, each from its snapshot.
_BEFORE_DOCUMENTS = (
    "wanted_person_v1.avsc",
    "wanted_person_v2.avsc",
    "commodity_v1.avsc",
    "threat_assessment_v1.avsc",
)


def _snapshot_forms() -> dict[str, str]:
    """Canonical form of every file under schemas/history/, by file name."""
    forms = {}
    for path in sorted((SCHEMAS / "history").glob("*.avsc")):
        parsed = fastavro_parse(json.loads(path.read_text()))
        forms[path.name] = to_parsing_canonical_form(parsed)
    return forms


def _old_registry() -> SchemaRegistry:
    """A reader built before the fourth kind: only the three earlier kinds' shipped versions."""
    registry = SchemaRegistry()
    current = {
        AlertKind.WANTED_PERSON: "wanted_person_v2.avsc",
        AlertKind.COMMODITY: "commodity_v1.avsc",
        AlertKind.THREAT_ASSESSMENT: "threat_assessment_v1.avsc",
    }
    for name in _BEFORE_DOCUMENTS:
        schema = json.loads((SCHEMAS / "history" / name).read_text())
        parsed = fastavro_parse(schema)
        assert isinstance(parsed, dict)
        canonical = to_parsing_canonical_form(parsed)
        fp = bytes.fromhex(fastavro_fingerprint(canonical, "CRC-64-AVRO"))
        kind = KIND_OF_NAME[str(parsed["name"])]
        registry.register(
            SchemaEntry(
                kind=kind, full_name=str(parsed["name"]), source=name,
                current=current[kind] == name, canonical_form=canonical,
                fingerprint=int.from_bytes(fp, "little"),
                header=SINGLE_OBJECT_MARKER + fp, parsed=parsed,
            )
        )  # fmt: skip
    return registry


@pytest.mark.parametrize("kind", list(AlertKind))
def test_every_current_schema_is_a_shipped_version(kind: AlertKind) -> None:
    """Each kind's current schema is snapshotted in history/: a change must ship a new version."""
    current = default_registry().current[kind].canonical_form
    name = KIND_FILES[kind].removesuffix(".avsc")
    snapshots = {k: v for k, v in _snapshot_forms().items() if k.startswith(f"{name}_v")}
    assert current in snapshots.values(), f"add schemas/history/{name}_v<N>.avsc"


def test_the_envelope_is_the_same_in_every_kind() -> None:
    """The fourth kind shares the envelope unchanged: routing reads it the same way for all."""
    envelopes = {
        json.dumps(strip_docs(json.loads(path.read_text())["fields"][0]["type"]), sort_keys=True)
        for path in (SCHEMAS / "history").glob("*_v*.avsc")
        if path.name != "wanted_person_v1.avsc"  # before handling_note: compatible, not equal
    }
    assert len(envelopes) == 1


def strip_docs(node: Any) -> Any:
    """The schema without 'doc' attributes (they do not change what is on the wire)."""
    if isinstance(node, dict):
        return {k: strip_docs(v) for k, v in node.items() if k != "doc"}
    if isinstance(node, list):
        return [strip_docs(v) for v in node]
    return node


def test_old_reader_refuses_a_travel_document_by_its_fingerprint() -> None:
    """A reader built before the fourth kind gets unknown_fingerprint, which every stage catches."""
    data = encode(example(AlertKind.TRAVEL_DOCUMENT))
    old = _old_registry()
    assert AlertKind.TRAVEL_DOCUMENT not in old.current
    with pytest.raises(DecodeError) as caught:
        decode_dict(data, registry=old)
    assert caught.value.quarantine_reason == "unknown_fingerprint"
    # ... and it keeps reading the three earlier kinds written by the current code.
    for kind in (AlertKind.WANTED_PERSON, AlertKind.COMMODITY, AlertKind.THREAT_ASSESSMENT):
        assert decode(encode(example(kind)), registry=old) == example(kind)


def test_old_reader_reads_on_after_a_travel_document() -> None:
    """In a mixed stream the old reader skips the document alert and reads the next records."""
    old = _old_registry()
    stream = [
        encode(example(AlertKind.WANTED_PERSON)),
        encode(example(AlertKind.TRAVEL_DOCUMENT)),
        encode(example(AlertKind.COMMODITY)),
    ]
    read, skipped = [], []
    for data in stream:
        try:
            read.append(decode_dict(data, registry=old)[0])
        except DecodeError as error:
            skipped.append(error.quarantine_reason)
    assert read == [AlertKind.WANTED_PERSON, AlertKind.COMMODITY]
    assert skipped == ["unknown_fingerprint"]


def test_new_reader_reads_every_old_writer() -> None:
    """Bytes written with each pre-issue-15 snapshot decode with the current registry."""
    old = _old_registry()
    registry = default_registry()
    for entry in old.entries():
        assert registry.lookup(entry.header[2:]) is not None, entry.source


_FUTURE_TYPE = "EMERGENCY_PASSPORT"
_FUTURE_STATUS = "COUNTERFEIT"


def _future_travel_document() -> dict[str, Any]:
    """A later travel-document schema: one more symbol in each enum and one more field."""
    schema = copy.deepcopy(standalone_json(AlertKind.TRAVEL_DOCUMENT))
    report = schema["fields"][1]["type"][1]
    fields = {f["name"]: f for f in report["fields"]}
    fields["document_type"]["type"]["symbols"].append(_FUTURE_TYPE)
    fields["status"]["type"]["symbols"].append(_FUTURE_STATUS)
    report["fields"].append({"name": "remarks", "type": ["null", "string"], "default": None})
    return schema


def test_travel_document_enums_have_defaults() -> None:
    """DocumentType defaults to OTHER and DocumentStatus to INVALIDATED, so symbols can grow."""
    report = standalone_json(AlertKind.TRAVEL_DOCUMENT)["fields"][1]["type"][1]
    enums = {f["name"]: f["type"] for f in report["fields"] if isinstance(f["type"], dict)}
    assert enums["document_type"]["default"] == "OTHER"
    assert enums["status"]["default"] == "INVALIDATED"


def test_a_later_travel_document_schema_is_compatible_both_ways() -> None:
    """Adding symbols and an optional field to the document schema passes Apache Avro's check."""
    current = avro.schema.parse(json.dumps(standalone_json(AlertKind.TRAVEL_DOCUMENT)))
    later = avro.schema.parse(json.dumps(_future_travel_document()))
    for reader, writer in ((current, later), (later, current)):
        result = compatibility(reader, writer)
        assert result.compatibility is SchemaCompatibilityType.compatible, result


def test_unknown_document_symbols_read_as_the_enum_defaults() -> None:
    """A later writer's new document type and status reach today's reader as OTHER/INVALIDATED."""
    record = example(AlertKind.TRAVEL_DOCUMENT).to_avro_dict()
    record["subject"].update(
        document_type=_FUTURE_TYPE, status=_FUTURE_STATUS, remarks="found in a car"
    )
    future = fastavro_parse(_future_travel_document())
    body = io.BytesIO()
    schemaless_writer(body, future, record)
    body.seek(0)
    current = default_registry().current[AlertKind.TRAVEL_DOCUMENT].parsed
    read = schemaless_reader(body, future, current)
    assert isinstance(read, dict)
    alert = ALERT_MODELS[AlertKind.TRAVEL_DOCUMENT].from_avro_dict(read)
    assert isinstance(alert, TravelDocumentAlert)
    assert alert.subject is not None
    assert alert.subject.document_type is DocumentType.OTHER
    assert alert.subject.status is DocumentStatus.INVALIDATED
    assert "remarks" not in read["subject"]
