"""The exercise's travel documents: what was issued, and one stolen document screened at the end.

When traffic has drained, an officer at a post subscribed to travel-document alerts is
handed a document the replay says that post holds as stolen (or stolen blank; any status
when none is stolen): the screening by document number and issuing country must answer it
among ``documents`` with that alert id and version. Only ids go into the report and logs,
never the document's number.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from gateway.contract.document import DocumentReport
from gateway.simulate.expected import DOCUMENT, Expectation, Published
from gateway.simulate.frontier import PostsClient
from gateway.simulate.report import AccountingCheck

__all__ = ["DocumentTally", "Planted", "pick_planted", "screen_planted"]

_STOLEN = ("STOLEN", "STOLEN_BLANK")
_MARGIN = timedelta(seconds=60)  # an alert this close to its expiry may be revoked meanwhile


@dataclass
class DocumentTally:
    """Travel documents during one run: new records issued per organization, published
    versions by message type, and each alert's latest document (never logged)."""

    issued: Counter[str] = field(default_factory=Counter)
    versions: Counter[str] = field(default_factory=Counter)  # NEW / UPDATE / CANCEL
    reports: dict[str, DocumentReport] = field(default_factory=dict)  # alert id -> document

    def summary(self) -> dict[str, int]:
        """Counts for the report: issued, published versions by type, alerts."""
        return {
            "issued": sum(self.issued.values()),
            "versions_published": sum(self.versions.values()),
            "alerts": len(self.reports),
        } | {f"versions_{t.lower()}": n for t, n in sorted(self.versions.items())}


@dataclass(frozen=True)
class Planted:
    """The document an officer presents: where, which alert and version, and its report."""

    post: str
    alert_id: str
    version: int
    report: DocumentReport


def pick_planted(
    expectation: Expectation,
    published: Published,
    reports: Mapping[str, DocumentReport],
    now: datetime,
    seed: int,
) -> Planted | None:
    """A document a subscribed post must hold, stolen when one is; None when none is held."""
    choices: list[Planted] = []
    for post in sorted(expectation.document_posts):
        for alert_id, version in sorted(
            expectation.of_kind(expectation.posts[post], DOCUMENT).items()
        ):
            report = reports.get(alert_id)
            latest = published.history[alert_id][-1]
            expires = latest.expires
            if report is None or latest.version != version:
                continue
            if expires is not None and expires <= now + _MARGIN:
                continue
            choices.append(Planted(post, alert_id, version, report))
    stolen = [p for p in choices if p.report.status.value in _STOLEN]
    pool = stolen or choices
    return random.Random(seed).choice(pool) if pool else None  # not cryptography


async def screen_planted(
    posts: PostsClient, planted: Planted | None
) -> tuple[AccountingCheck | None, dict[str, Any]]:
    """Screen the planted document at its post; the check (None without a document) and the
    report's ``screening.documents`` entry."""
    if planted is None:
        return None, {"screened": 0}
    body = {
        "document_number": planted.report.document_number,
        "document_country": planted.report.issuing_country,
    }
    started = time.perf_counter()
    try:
        answer = await posts.screen_person(planted.post, body)
    except httpx.HTTPError as error:
        answer, why = {}, f"screening failed: {type(error).__name__}"
    else:
        why = ""
    latency = round((time.perf_counter() - started) * 1000, 1)
    found = [d for d in answer.get("documents") or () if d.get("alert_id") == planted.alert_id]
    ok = any(int(d.get("version", 0)) == planted.version for d in found)
    if not why:
        why = "answered" if ok else ("another version" if found else "not in the answer")
    detail = (
        f"{planted.post} screened document alert {planted.alert_id} v{planted.version} "
        f"({planted.report.status.value}): {why}, {latency} ms"
    )
    check = AccountingCheck(
        name="a planted stolen document is found at a subscribed post", ok=ok, detail=detail
    )
    section = {"screened": 1, "found": int(ok), "latency_ms": latency}
    return check, section
