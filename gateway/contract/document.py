"""The travel-document subject: a stolen, lost, revoked or invalidated document (SLTD-style)."""

from __future__ import annotations

from pydantic import AwareDatetime

from gateway.contract._base import ContractModel
from gateway.contract.enums import DocumentStatus, DocumentType

__all__ = ["DocumentReport"]


class DocumentReport(ContractModel):
    """Mirror of ``org.frontline.alert.DocumentReport``; the document, never its holder.

    ``document_number`` is kept as the issuer printed it: lookups compare it through
    :func:`gateway.contract.identifiers.normalize_identifier`. ``issuing_country`` is ISO
    3166-1 alpha-3 (connectors map ICAO codes such as ``D`` to ``DEU``).
    """

    document_number: str
    issuing_country: str
    document_type: DocumentType
    status: DocumentStatus
    reported_at: AwareDatetime
    review_at: AwareDatetime | None = None
