"""Shared base of the contract models: frozen, strict about unknown fields, Avro-ready."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict

__all__ = ["ContractModel"]


class ContractModel(BaseModel):
    """Frozen model whose field names are exactly the Avro record's field names."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_avro_dict(self) -> dict[str, Any]:
        """The record as fastavro writes it: enums as str subclasses, datetimes and dates as is."""
        return self.model_dump()

    @classmethod
    def from_avro_dict(cls, data: dict[str, Any]) -> Self:
        """Build the model from a record fastavro decoded (or any dict of the same shape)."""
        return cls.model_validate(data)
