"""Scoring a query against the watchlist: names, birth dates, nationality, documents, objects.

Two stages keep a million-person watchlist fast: the index proposes rows sharing fuzzy
tokens, rapidfuzz ranks them in C, and only the best few get the detailed, explained score.
A name score aligns tokens in any order (dropped middle names and merged or split spellings
allowed); birth dates, nationality and documents then raise or lower it; linked alerts
(the hub's ``fl-linked``) collapse into one subject with the strictest action.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from gateway.contract.identifiers import normalize_identifier
from gateway.post.screening.entry import ACTION_SEVERITY, Document, Entry
from gateway.post.screening.names import name_similarity
from gateway.post.screening.normalize import (
    DateRange,
    NameForm,
    normalize_name,
    parse_partial_date,
)
from gateway.post.screening.results import AlertRef, Hit, MatchReason, SubjectSummary
from gateway.post.screening.watchlist import Watchlist

__all__ = [
    "DEFAULT_THRESHOLD",
    "ObjectQuery",
    "PersonQuery",
    "dob_compatibility",
    "name_similarity",
    "screen_object",
    "screen_person",
]

DEFAULT_THRESHOLD = 0.8
_MAX_BONUS = 0.08  # the most a birth date (+0.06) and a nationality (+0.02) can add
_MAX_NATIONALITY = 0.02
_CONTRADICTS = -0.25  # a birth date that contradicts the alert's
_STAGE1_KEEP = 40


@dataclass(frozen=True)
class PersonQuery:
    """A traveller to screen; every field may be missing, but not all of them."""

    name: str | None = None
    date_of_birth: str | None = None
    nationality: str | None = None
    document_number: str | None = None
    document_country: str | None = None


@dataclass(frozen=True)
class ObjectQuery:
    """A conveyance to screen: any of container (ISO 6346), IMO, VIN, plate."""

    container: str | None = None
    imo: str | None = None
    vin: str | None = None
    plate: str | None = None
    plate_country: str | None = None


# -- dates, nationality --------------------------------------------------------------------


def _one_slip(q: dt.date, h: dt.date) -> bool:
    """Two full dates one transcription slip apart: day and month swapped, or one part off."""
    if q.year == h.year and (q.month, q.day) == (h.day, h.month):
        return True
    same = (q.year == h.year) + (q.month == h.month) + (q.day == h.day)
    year_close = abs(q.year - h.year) <= 1 or sorted(str(q.year)) == sorted(str(h.year))
    return same == 2 and year_close


def dob_compatibility(query: DateRange, held: DateRange) -> tuple[str, float]:
    """How a queried birth date relates to the alert's (partial) one, with a score delta."""
    if query.overlaps(held):
        if query.exact and held.exact:
            return "exact", 0.06
        return "within_range", 0.03
    if query.exact and held.exact:
        if _one_slip(query.start, held.start):
            return "near", -0.04
        return "contradicts", _CONTRADICTS
    gap = min(abs(query.start.year - held.end.year), abs(held.start.year - query.end.year))
    if gap <= 1:
        return "near", -0.04
    return "contradicts", _CONTRADICTS


_DOB_SCORE = {"exact": 1.0, "within_range": 0.9, "near": 0.5}


def _nationality_delta(code: str | None, held: tuple[str, ...]) -> float:
    if not code or not held:
        return 0.0
    return 0.02 if code.upper() in held else -0.03


def _document_match(
    number: str, country: str | None, entry: Entry
) -> tuple[str, float, Document] | None:
    """How one of the alert's documents matches the number, the score floor, and which one."""
    for doc in entry.person.documents if entry.person else ():
        if doc.number == number:
            if country and doc.issuing_country and country.upper() != doc.issuing_country:
                return "country_differs", 0.85, doc
            return "exact", 0.97, doc
    return None


def _reasons(
    entry: Entry,
    query: PersonQuery,
    name: tuple[float, str, str] | None,
    doc: tuple[str, float, Document] | None,
    dob: DateRange | None,
) -> list[MatchReason]:
    """The explanation of a hit, built only for hits (pydantic models cost microseconds)."""
    person = entry.person
    assert person is not None
    reasons: list[MatchReason] = []
    if doc is not None:
        doc_how, _, held = doc
        reasons.append(
            MatchReason(
                field="document",
                how=doc_how,
                score=1.0 if doc_how == "exact" else 0.7,
                detail=f"{held.doc_type} issued by {held.issuing_country}",
            )
        )
    if name is not None:
        score, how, detail = name
        reasons.append(MatchReason(field="name", how=how, score=round(score, 3), detail=detail))
    if dob is not None and person.dob is not None:
        how, _ = dob_compatibility(dob, person.dob)
        reasons.append(
            MatchReason(
                field="date_of_birth",
                how=how,
                score=_DOB_SCORE.get(how, 0.0),
                detail=f"alert: {person.dob}",
            )
        )
    if query.nationality and person.nationalities:
        if query.nationality.upper() in person.nationalities:
            reasons.append(MatchReason(field="nationality", how="exact", score=1.0))
        else:
            reasons.append(MatchReason(field="nationality", how="mismatch", score=0.0))
    return reasons


# -- person screening ----------------------------------------------------------------------


def _birth_years(dob: DateRange) -> tuple[int, ...]:
    """Birth years an alert may carry and still not contradict ``dob`` (see dob_compatibility):
    within a year of it, or, for a full date, its year's digits in another order."""
    years = set(range(dob.start.year - 1, dob.end.year + 2))
    if dob.exact:
        digits = str(dob.start.year)
        years.update(int("".join(p)) for p in itertools.permutations(digits) if p[0] != "0")
    return tuple(sorted(years))


def _name_scores(
    watchlist: Watchlist, form: NameForm, dob: DateRange | None, threshold: float
) -> dict[str, tuple[float, str, str]]:
    """Best name score per alert id: (score, how, detail naming the variant)."""
    # A contradicting birth date costs 0.25: such rows cannot reach a threshold above 0.77.
    prune = dob is not None and threshold > 1.0 + _CONTRADICTS + _MAX_NATIONALITY
    rows = watchlist.candidates(form, birth_years=_birth_years(dob) if prune and dob else None)
    if len(rows) > _STAGE1_KEEP:
        use_skel = form.abjad
        query = form.skeleton_text if use_skel else form.sorted_text
        texts = watchlist.row_texts(rows, skeletons=use_skel)
        scores = process.cdist([query], texts, scorer=fuzz.token_set_ratio, dtype=np.float32)[0]
        if dob is not None:
            # Common names have many namesakes: the birth date decides who gets scored.
            scores += 8 * watchlist.dob_agreement(rows, dob)
        top = np.argpartition(-scores, _STAGE1_KEEP)[:_STAGE1_KEEP]
        rows = [rows[int(i)] for i in top if scores[i] >= 40]
    best: dict[str, tuple[float, str, str]] = {}
    for row in rows:
        alert_id = watchlist.row_alert(row)
        entry = watchlist.get(alert_id)
        if entry is None or entry.person is None:
            continue
        variant = entry.person.names[watchlist.row_variant(row)]
        score, how, notes = name_similarity(form, variant.form)
        if alert_id not in best or score > best[alert_id][0]:
            best[alert_id] = (score, how, "; ".join([f"{variant.label} name", *notes]))
    return best


def _best_name(form: NameForm, entry: Entry) -> tuple[float, str, str] | None:
    """The best name score of one entry's variants (for alerts found by document)."""
    best: tuple[float, str, str] | None = None
    for variant in entry.person.names if entry.person else ():
        score, how, notes = name_similarity(form, variant.form)
        if best is None or score > best[0]:
            best = (score, how, "; ".join([f"{variant.label} name", *notes]))
    return best


def screen_person(
    watchlist: Watchlist,
    query: PersonQuery,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = 10,
) -> list[Hit]:
    """Subjects on the watchlist that may be this traveller, best first."""
    form = normalize_name(query.name)
    dob = parse_partial_date(query.date_of_birth) if query.date_of_birth else None
    names = _name_scores(watchlist, form, dob, threshold) if form else {}
    doc_number = normalize_identifier(query.document_number or "")
    doc_alerts = watchlist.documents(doc_number) if doc_number else set()
    scored: dict[str, tuple[float, list[MatchReason]]] = {}
    for alert_id in names.keys() | doc_alerts:
        if alert_id not in doc_alerts and names[alert_id][0] + _MAX_BONUS < threshold:
            continue  # cannot reach the threshold: skip building its explanation
        entry = watchlist.get(alert_id)
        if entry is None or entry.person is None:
            continue
        name = names.get(alert_id)
        if name is None and form and alert_id in doc_alerts:
            name = _best_name(form, entry)
        score = name[0] if name is not None else 0.0
        doc = _document_match(doc_number, query.document_country, entry) if doc_number else None
        if doc is not None:
            score = max(score, doc[1]) + (0.03 if score >= threshold else 0.0)
        if dob is not None and entry.person.dob is not None:
            score += dob_compatibility(dob, entry.person.dob)[1]
        score += _nationality_delta(query.nationality, entry.person.nationalities)
        score = max(0.0, min(1.0, score))
        if score >= threshold:
            reasons = _reasons(entry, query, name, doc, dob)
            scored[alert_id] = (score, reasons)
    return _group(watchlist, scored, limit)


# -- object screening ----------------------------------------------------------------------


def screen_object(watchlist: Watchlist, query: ObjectQuery, *, limit: int = 10) -> list[Hit]:
    """Commodity alerts naming this container, ship, vehicle or plate, exactly once normalized."""
    asked = [
        ("CONTAINER", query.container),
        ("VESSEL_IMO", query.imo),
        ("VEHICLE_VIN", query.vin),
        ("VEHICLE_PLATE", query.plate),
    ]
    scored: dict[str, tuple[float, list[MatchReason]]] = {}
    for kind, raw in asked:
        number = normalize_identifier(raw or "")
        if not number:
            continue
        for alert_id in watchlist.objects(number):
            entry = watchlist.get(alert_id)
            if entry is None:
                continue
            for obj in entry.objects:
                if obj.number != number:
                    continue
                same_kind = obj.kind == kind
                score = 1.0 if same_kind else 0.9
                how = "exact" if same_kind else "exact_other_kind"
                detail = obj.kind
                if kind == "VEHICLE_PLATE" and query.plate_country and obj.country:
                    if query.plate_country.upper() != obj.country.upper():
                        score, how = 0.6, "country_differs"
                    detail += f" registered in {obj.country}"
                reasons = scored.get(alert_id, (0.0, []))[1]
                reasons.append(MatchReason(field=kind.lower(), how=how, score=score, detail=detail))
                scored[alert_id] = (max(score, scored.get(alert_id, (0.0, []))[0]), reasons)
    return _group(watchlist, scored, limit)


# -- grouping -------------------------------------------------------------------------------


def _summary(entry: Entry) -> SubjectSummary:
    person = entry.person
    if person is not None:
        return SubjectSummary(
            names=[v.display for v in person.names],
            date_of_birth=None if person.dob is None else str(person.dob),
            nationalities=list(person.nationalities),
            documents=[f"{d.doc_type} {d.issuing_country} {d.number}" for d in person.documents],
            armed=person.armed,
            violent=person.violent,
        )
    return SubjectSummary(
        commodity_category=entry.commodity_category,
        drug_type=entry.drug_type,
        objects=[f"{o.kind} {o.number}" for o in entry.objects],
    )


def _ref(entry: Entry, score: float) -> AlertRef:
    category = entry.person.category if entry.person else entry.commodity_category
    return AlertRef(
        alert_id=entry.alert_id,
        version=entry.version,
        org=entry.org,
        kind=entry.kind,
        action=entry.action,
        score=round(score, 3),
        tlp=entry.tlp,
        category=category,
    )


def _group(
    watchlist: Watchlist, scored: dict[str, tuple[float, list[MatchReason]]], limit: int
) -> list[Hit]:
    """Collapse linked alerts into subjects; rank subjects by their best alert's score."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    members: set[str] = set(scored)
    for alert_id in scored:
        entry = watchlist.get(alert_id)
        for other in entry.linked if entry else ():
            if other in watchlist:
                members.add(other)
                parent[find(other)] = find(alert_id)
    groups: dict[str, list[str]] = {}
    for alert_id in sorted(members):
        groups.setdefault(find(alert_id), []).append(alert_id)
    best_of = {root: max(scored[i][0] for i in ids if i in scored) for root, ids in groups.items()}
    ranked = sorted(groups, key=lambda root: (-best_of[root], root))[:limit]
    hits: list[Hit] = []
    for ids in (groups[root] for root in ranked):
        entries = [e for e in (watchlist.get(i) for i in ids) if e is not None]
        best_id = max((i for i in ids if i in scored), key=lambda i: scored[i][0])
        best_score, reasons = scored[best_id]
        entries.sort(key=lambda e: -scored.get(e.alert_id, (best_score, []))[0])
        best_entry = next(e for e in entries if e.alert_id == best_id)
        hits.append(
            Hit(
                subject_id=best_id,
                score=round(best_score, 3),
                action=min((e.action for e in entries), key=lambda a: ACTION_SEVERITY.get(a, 9)),
                sources=sorted({e.org for e in entries}),
                why=reasons,
                alerts=[_ref(e, scored.get(e.alert_id, (best_score, []))[0]) for e in entries],
                subject=_summary(best_entry),
            )
        )
    hits.sort(key=lambda h: (-h.score, h.subject_id))
    return hits[:limit]
