"""The commodity subject: what, how much, in or on what, along which route, and what to do."""

from __future__ import annotations

from gateway.contract._base import ContractModel
from gateway.contract.enums import (
    CommodityAction,
    CommodityCategory,
    ConveyanceKind,
    DrugType,
    QuantityUnit,
)

__all__ = ["Commodity", "Conveyance", "Quantity", "Route", "RoutePoint"]


class Quantity(ContractModel):
    """Bulk amount, UNODC style (no purity adjustment; a litre counts as a kilogram)."""

    amount: float
    unit: QuantityUnit
    currency: str | None = None


class Conveyance(ContractModel):
    """One identifier of what carries the goods (container, ship, vehicle, flight, waybill)."""

    kind: ConveyanceKind
    identifier: str
    country: str | None = None


class RoutePoint(ContractModel):
    """A place on the route: a country, optionally a UN/LOCODE or an IATA airport code."""

    country: str
    locode: str | None = None
    iata: str | None = None


class Route(ContractModel):
    """Where the goods come from, pass through and go to."""

    origin: RoutePoint | None = None
    transit: tuple[RoutePoint, ...] = ()
    destination: RoutePoint | None = None

    def countries(self) -> tuple[str, ...]:
        """Every country on the route, origin first, without repeats."""
        points = [self.origin, *self.transit, self.destination]
        return tuple(dict.fromkeys(p.country for p in points if p is not None))


class Commodity(ContractModel):
    """Mirror of ``org.frontline.alert.Commodity``."""

    category: CommodityCategory
    drug_type: DrugType | None = None
    substance: str | None = None
    description: str | None = None
    quantity: Quantity | None = None
    conveyances: tuple[Conveyance, ...] = ()
    route: Route | None = None
    concealment: str | None = None
    action: CommodityAction
