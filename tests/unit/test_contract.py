"""The pydantic models mirror the Avro schemas one to one: fields, enums, optionality."""

from __future__ import annotations

import types
import typing
from enum import StrEnum
from typing import Any

import pytest
from pydantic import BaseModel

from gateway.contract import (
    ALERT_MODELS,
    AlertKind,
    CommodityAlert,
    InformationAccuracy,
    PartialDate,
    WantedPersonAlert,
    kind_of,
)
from gateway.contract.schemas import standalone_schema

PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


def _unwrap(annotation: Any) -> list[Any]:
    """The classes inside an annotation: X | None, tuple[X, ...] and plain X."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, tuple):
        found: list[Any] = []
        for arg in typing.get_args(annotation):
            if arg is not type(None) and arg is not Ellipsis:
                found.extend(_unwrap(arg))
        return found
    return [annotation]


def _named(avro_type: Any, names: dict[str, Any]) -> list[dict[str, Any]]:
    """The record and enum definitions inside an Avro type, resolving names already seen."""
    if isinstance(avro_type, str):
        return [] if avro_type in PRIMITIVES else [names[avro_type]]
    if isinstance(avro_type, list):
        return [d for member in avro_type for d in _named(member, names)]
    if avro_type["type"] in ("record", "enum"):
        return [avro_type]
    if avro_type["type"] == "array":
        return _named(avro_type["items"], names)
    return []


def _register(node: Any, namespace: str, names: dict[str, Any]) -> None:
    """Index every named definition by short and full name."""
    if isinstance(node, list):
        for item in node:
            _register(item, namespace, names)
    elif isinstance(node, dict):
        if node.get("type") in ("record", "enum"):
            namespace = node.get("namespace", namespace)
            names[node["name"]] = node
            names[f"{namespace}.{node['name']}"] = node
        for key in ("type", "items", "fields"):
            if key in node:
                _register(node[key], namespace, names)


def _compare(record: dict[str, Any], model: type[BaseModel], names: dict[str, Any]) -> int:
    """Assert a record and a model agree field by field; return how many records were checked."""
    avro_fields = {f["name"]: f for f in record["fields"]}
    assert set(avro_fields) == set(model.model_fields), (record["name"], model.__name__)
    checked = 1
    for name, field in avro_fields.items():
        info = model.model_fields[name]
        assert ("default" in field) == (not info.is_required()), f"{model.__name__}.{name}"
        nullable = isinstance(field["type"], list) and "null" in field["type"]
        assert nullable == (type(None) in typing.get_args(info.annotation)), name
        definitions = _named(field["type"], names)
        classes = _unwrap(info.annotation)
        for definition in definitions:
            target = next(
                c for c in classes if isinstance(c, type) and c.__name__ == definition["name"]
            )
            if definition["type"] == "enum":
                assert issubclass(target, StrEnum)
                assert [m.value for m in target] == definition["symbols"], definition["name"]
            else:
                assert issubclass(target, BaseModel)
                checked += _compare(definition, target, names)
    return checked


@pytest.mark.parametrize("kind", list(AlertKind))
def test_models_mirror_schemas(kind: AlertKind) -> None:
    """Every schema field is a model field and back, with matching enums and optionality."""
    schema = standalone_schema(kind)
    names: dict[str, Any] = {}
    _register(schema, schema["namespace"], names)
    model = ALERT_MODELS[kind]
    assert schema["name"] == model.schema_name.rsplit(".", 1)[1]
    assert _compare(schema, model, names) >= 3


def test_mirror_check_can_fail() -> None:
    """A model missing a schema field is caught by the comparison."""

    class Shortened(BaseModel):
        year: int

    names: dict[str, Any] = {}
    schema = standalone_schema(AlertKind.WANTED_PERSON)
    _register(schema, schema["namespace"], names)
    with pytest.raises(AssertionError):
        _compare(names["PartialDate"], Shortened, names)
    assert _compare(names["PartialDate"], PartialDate, names) == 1


def test_kind_of_and_accuracy_codes() -> None:
    """kind_of names each model's kind, and accuracy grades map to the digits 1-4."""
    assert WantedPersonAlert.kind is AlertKind.WANTED_PERSON
    assert kind_of(CommodityAlert.model_construct()) is AlertKind.COMMODITY  # type: ignore[call-arg]  # why: kind needs no fields
    assert CommodityAlert.kind is AlertKind.COMMODITY
    assert [a.code for a in InformationAccuracy] == ["1", "2", "3", "4"]


def test_models_are_frozen() -> None:
    """Alerts cannot be mutated after construction."""
    date = PartialDate(year=1980)
    with pytest.raises(ValueError, match="frozen"):
        date.year = 1981  # type: ignore[misc]  # why: the point is that assignment fails


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1974", (1974, None, None)), ("1974-08", (1974, 8, None)), ("1974-08-12", (1974, 8, 12))],
)
def test_partial_date_text_forms(text: str, expected: tuple[int, int | None, int | None]) -> None:
    """Partial dates accept ISO reduced-precision text and print it back."""
    date = PartialDate.model_validate(text)
    assert (date.year, date.month, date.day) == expected
    assert str(date) == text


def test_partial_date_rejects_other_text() -> None:
    """Text that is not YYYY[-MM[-DD]] is a validation error, not a wrong date."""
    with pytest.raises(ValueError, match="YYYY"):
        PartialDate.model_validate("12/08/1974")
