"""Screening a PAXLST manifest: the queries of every traveller and document, and the results.

Each traveller is one person query (name, birth date, nationality and the first document
with its issuer) under the key ``p<index>``; each further document is a document query
under ``p<index>.d<n>``. A field the screening API would refuse (a name of more than 12
words, a document number past 40 characters) is left out and flagged ``invalid: <field>``;
a traveller with neither a name nor a document is not screened and says so. The queries go
to ``/screen/batch`` (``api_batch``) or, offline, to the service's ``screen_all``; the
answers fold back into one result per traveller, hits first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from gateway.post.manifest import Manifest, Passenger
from gateway.post.screening import DEFAULT_THRESHOLD, ScreeningAnswer
from gateway.post.screening.entry import ACTION_SEVERITY

if TYPE_CHECKING:
    from gateway.post.api import PersonScreenRequest

__all__ = ["PassengerResult", "manifest_queries", "passenger_results"]

_FIELDS = ("name", "date_of_birth", "nationality", "document_number", "document_country")


@dataclass(slots=True)
class PassengerResult:
    """One traveller and what screening them and their documents found."""

    passenger: Passenger
    keys: list[str] = field(default_factory=list)
    answers: list[ScreeningAnswer] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)

    @property
    def screened(self) -> bool:
        """False when the record had nothing to screen (no name, no document)."""
        return bool(self.keys)

    @property
    def score(self) -> float:
        """The best hit's score; 1.0 for a travel-document alert; 0 when clear."""
        return max((a.best_score for a in self.answers), default=0.0)

    @property
    def hit(self) -> bool:
        """Any subject or travel-document alert answered."""
        return any(a.found for a in self.answers)

    @property
    def action(self) -> str | None:
        """The strictest action of every alert answered."""
        actions = [h.action for a in self.answers for h in a.hits]
        actions += [d.action for a in self.answers for d in a.documents]
        return min(actions, key=lambda x: ACTION_SEVERITY.get(x, 9)) if actions else None

    @property
    def alert_ids(self) -> list[str]:
        """Every alert answered, the best subject's first, without repeats."""
        ranked = sorted((h for a in self.answers for h in a.hits), key=lambda h: -h.score)
        ids = [d.alert_id for a in self.answers for d in a.documents]
        ids += [ref.alert_id for h in ranked for ref in h.alerts]
        return list(dict.fromkeys(ids))

    @property
    def incomplete(self) -> list[str]:
        """What the record lacked or held unreadable or invalid, for the flag."""
        return list(dict.fromkeys(self.passenger.missing + self.invalid))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the traveller, the outcome and every answer."""
        return {
            **self.passenger.to_dict(),
            "screened": self.screened,
            "hit": self.hit,
            "score": round(self.score, 3),
            "action": self.action,
            "alerts": self.alert_ids,
            "invalid": self.invalid,
            "answers": {
                key: answer.model_dump(mode="json")
                for key, answer in zip(self.keys, self.answers, strict=False)
            },
        }


def _request(values: dict[str, str | None], threshold: float) -> PersonScreenRequest:
    from gateway.post.api import PersonScreenRequest  # noqa: PLC0415  # why: the web stack, lazily

    return PersonScreenRequest(**values, threshold=threshold)


def _valid(
    values: dict[str, str | None], threshold: float, invalid: list[str]
) -> PersonScreenRequest | None:
    """The request with every field the API refuses left out (and named in ``invalid``)."""
    for _ in range(len(_FIELDS)):
        try:
            return _request(values, threshold)
        except ValidationError as error:
            names = {str(loc) for e in error.errors() for loc in e["loc"] if loc in _FIELDS}
            if not names:  # a rule on the whole query: the name's words or letters
                names = {"name"} if values.get("name") else set()
            if not names:
                return None
            for name in sorted(names):
                if values.get(name) is not None and f"invalid: {name}" not in invalid:
                    invalid.append(f"invalid: {name}")
                values[name] = None
            if not (values.get("name") or values.get("document_number")):
                return None
    return None


def manifest_queries(
    manifest: Manifest, *, threshold: float = DEFAULT_THRESHOLD
) -> tuple[list[tuple[str, PersonScreenRequest]], list[PassengerResult]]:
    """Every query of the manifest by key, and one (unanswered) result per traveller."""
    queries: list[tuple[str, PersonScreenRequest]] = []
    results: list[PassengerResult] = []
    for pax in manifest.passengers:
        result = PassengerResult(pax)
        results.append(result)
        documents = [d for d in pax.documents if d.number]
        first = documents[0] if documents else None
        values: dict[str, str | None] = {
            "name": pax.name,
            "date_of_birth": pax.date_of_birth,
            "nationality": pax.nationality,
            "document_number": first.number if first else None,
            "document_country": first.issuer if first else None,
        }
        base = f"p{pax.index:04d}"
        if values["name"] or values["document_number"]:
            request = _valid(values, threshold, result.invalid)
            if request is not None:
                queries.append((base, request))
                result.keys.append(base)
        for n, document in enumerate(documents[1:], start=2):
            doc_values: dict[str, str | None] = {
                "document_number": document.number,
                "document_country": document.issuer,
            }
            request = _valid(doc_values, threshold, result.invalid)
            if request is not None:
                queries.append((f"{base}.d{n}", request))
                result.keys.append(f"{base}.d{n}")
    return queries, results


def passenger_results(
    results: Sequence[PassengerResult], answers: Mapping[str, ScreeningAnswer]
) -> list[PassengerResult]:
    """The results with their answers, hits first (best score first), then incomplete
    records, then the rest, each in manifest order."""
    for result in results:
        result.answers = [answers[key] for key in result.keys]

    def rank(result: PassengerResult) -> tuple[int, float, int]:
        group = 0 if result.hit else 1 if (result.incomplete or not result.screened) else 2
        return group, -result.score, result.passenger.index

    return sorted(results, key=rank)
