"""What a screening answers: subjects ranked by score, each with why it matched and what to do.

These pydantic models are the HTTP API's response bodies and the CLI's JSON output, so the
OpenAPI document describes exactly what an officer's terminal receives.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AlertFlag",
    "AlertRef",
    "DismissedMatch",
    "DocumentHit",
    "Hit",
    "MatchReason",
    "ScreeningAnswer",
    "SubjectSummary",
]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class MatchReason(_Out):
    """One field that contributed to a hit, how it matched, and its share of the score."""

    field: str = Field(description="name, date_of_birth, nationality, document, or an object kind")
    how: str = Field(
        description="exact, fuzzy, phonetic, transliteration, reordered, particle, partial, "
        "within_range, near, contradicts, mismatch, country_differs"
    )
    score: float = Field(description="Similarity of this field, 0 to 1")
    detail: str = ""


class AlertFlag(_Out):
    """A receiving country's flag: its officers do ``action`` instead of the alert's own."""

    country: str
    action: str = Field(description="INFORM (report whereabouts), LOCATE or NO_ACTION")
    reason: str | None = None
    replaces: str = Field(default="", description="The alert's own action, not applied here")


class AlertRef(_Out):
    """One alert of a subject: who issued it, which version, what it asks."""

    alert_id: str
    version: int
    org: str
    kind: str
    action: str
    score: float
    tlp: str = ""
    category: str | None = None
    flag: AlertFlag | None = Field(
        default=None, description="Flagged by this country: ``action`` is the flag's, here"
    )


class SubjectSummary(_Out):
    """What the officer needs to recognize the subject; filled per alert kind."""

    names: list[str] = []
    date_of_birth: str | None = None
    nationalities: list[str] = []
    documents: list[str] = []
    armed: bool = False
    violent: bool = False
    commodity_category: str | None = None
    drug_type: str | None = None
    objects: list[str] = []


class Hit(_Out):
    """One subject: its alerts linked as the same person or consignment, scored as one."""

    subject_id: str = Field(description="The best-scoring alert id of the subject")
    score: float = Field(description="0 to 1; 1 is certain")
    action: str = Field(description="The strictest action any of the subject's alerts asks")
    sources: list[str] = Field(description="Organizations whose alerts name this subject")
    why: list[MatchReason]
    alerts: list[AlertRef]
    subject: SubjectSummary


class DocumentHit(_Out):
    """A travel document reported stolen, lost, revoked or invalidated (TravelDocumentAlert)."""

    alert_id: str
    version: int
    org: str
    document_number: str = Field(description="As the alert gives it (normalized for lookup)")
    issuing_country: str = Field(description="ISO 3166-1 alpha-3 of the issuing authority")
    document_type: str = Field(description="PASSPORT, ID_CARD, VISA, RESIDENCE_PERMIT, OTHER")
    status: str = Field(description="STOLEN_BLANK, STOLEN, LOST, REVOKED or INVALIDATED")
    reported_at: str | None = Field(default=None, description="ISO 8601 date reported")
    action: str = Field(default="SEIZE_DOCUMENT", description="What to do with the document")
    tlp: str = ""
    issuer_matches: bool = Field(
        default=True, description="False when the number matched under another issuing country"
    )


class DismissedMatch(_Out):
    """A subject not reported as a hit: this traveller was found a FALSE_MATCH before."""

    subject_id: str
    alerts: list[AlertRef]
    reason: str


class ScreeningAnswer(_Out):
    """A screening result with the freshness of the watchlist it was computed on."""

    hits: list[Hit]
    watchlist_size: int
    staleness_seconds: float | None = Field(
        default=None, description="Seconds since the post last reached its feed; null if never"
    )
    took_ms: float = 0.0
    warnings: list[str] = []
    screening_id: int | None = Field(
        default=None, description="This screening in the access log: name it in a hit report"
    )
    dismissed_false_matches: list[DismissedMatch] = []
    documents: list[DocumentHit] = Field(
        default=[], description="Travel-document alerts on the document number screened"
    )

    @property
    def found(self) -> bool:
        """Any subject or travel-document alert answered."""
        return bool(self.hits or self.documents)

    @property
    def best_score(self) -> float:
        """The best hit's score; 1.0 for a travel-document alert; 0 when clear."""
        return 1.0 if self.documents else max((hit.score for hit in self.hits), default=0.0)
