"""The strategic threat assessment subject, circulated as its classification allows."""

from __future__ import annotations

from pydantic import AwareDatetime

from gateway.contract._base import ContractModel
from gateway.contract.enums import ThreatType

__all__ = ["ThreatAssessment"]


class ThreatAssessment(ContractModel):
    """Mirror of ``org.frontline.alert.ThreatAssessment``."""

    title: str
    summary: str
    threat_type: ThreatType
    regions: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    valid_from: AwareDatetime
    valid_until: AwareDatetime | None = None
