"""The envelope every alert carries: identity, version, labels, releasability, legal basis."""

from __future__ import annotations

from pydantic import AwareDatetime

from gateway.contract._base import ContractModel
from gateway.contract.enums import (
    HandlingCode,
    InformationAccuracy,
    MsgType,
    Org,
    SourceReliability,
    Status,
    Tlp,
)

__all__ = ["Envelope", "Reference"]


class Reference(ContractModel):
    """An earlier message this one updates or cancels (OASIS CAP ``references``)."""

    alert_id: str
    version: int


class Envelope(ContractModel):
    """Mirror of ``org.frontline.alert.Envelope``; countries are ISO 3166-1 alpha-3."""

    alert_id: str
    version: int
    msg_type: MsgType
    references: tuple[Reference, ...] = ()
    status: Status
    source_org: Org
    originating_country: str
    issued_at: AwareDatetime
    expires_at: AwareDatetime | None = None
    tlp: Tlp
    release_to_countries: tuple[str, ...] = ()
    release_to_orgs: tuple[Org, ...] = ()
    deny_countries: tuple[str, ...] = ()
    deny_orgs: tuple[Org, ...] = ()
    handling_code: HandlingCode
    handling_note: str | None = None
    source_reliability: SourceReliability
    information_accuracy: InformationAccuracy
    legal_basis: str

    @property
    def org_local_id(self) -> str:
        """The organization's own id: what follows ``<ORG>:`` in ``alert_id``."""
        return self.alert_id.partition(":")[2]
