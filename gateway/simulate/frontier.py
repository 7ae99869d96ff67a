"""The exercise's view of the border posts over HTTP: watchlists, latency samples, screening."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from gateway.contract import WantedPerson
from gateway.post.officers import Officers
from gateway.post.service import store_path
from gateway.settings import Settings
from gateway.simulate.variants import Traveller, TravellerFactory

__all__ = ["PostsClient", "ScreeningTally", "issue_tokens", "pick_traveller"]


@dataclass
class ScreeningTally:
    """Screening queries and what they found, for recall and precision on planted matches."""

    queries: int = 0
    planted: int = 0
    planted_found: int = 0
    hits: int = 0  # answers with at least one hit
    true_hits: int = 0  # answers whose hits include the planted subject
    false_hits: int = 0  # answers with hits for an ordinary traveller
    errors: int = 0
    latency_ms: list[float] = field(default_factory=list)
    by_variant: Counter[str] = field(default_factory=Counter)
    found_by_variant: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        """Recall (planted found / planted) and precision (true hits / answers with hits)."""
        recall = self.planted_found / self.planted if self.planted else None
        flagged = self.true_hits + self.false_hits
        precision = self.true_hits / flagged if flagged else None
        per_variant = {
            v: round(self.found_by_variant[v] / n, 3) for v, n in sorted(self.by_variant.items())
        }
        return {
            "queries": self.queries,
            "planted": self.planted,
            "planted_found": self.planted_found,
            "answers_with_hits": self.hits,
            "false_alarms": self.false_hits,
            "errors": self.errors,
            "recall": None if recall is None else round(recall, 4),
            "precision": None if precision is None else round(precision, 4),
            "recall_by_variant": per_variant,
        }


def issue_tokens(settings: Settings, posts: list[str]) -> dict[str, str]:
    """One officer per post (``ISO3.POST``), added to its store: post -> bearer token."""
    tokens = {}
    for post in posts:
        country, post_id = post.split(".", 1)
        officers = Officers(store_path(settings, country, post_id))
        try:
            tokens[post] = officers.add("exercise")[1]
        finally:
            officers.close()
    return tokens


class PostsClient:
    """Talks to the posts hosts (``frontline post run --all``) as one officer per post.

    ``base_url`` is one host for every post, or each post's own host (``post -> URL``).
    """

    def __init__(self, base_url: str | Mapping[str, str], tokens: dict[str, str]) -> None:
        bases = base_url if isinstance(base_url, Mapping) else dict.fromkeys(tokens, base_url)
        self.bases = {p: u.rstrip("/") for p, u in bases.items()}
        self.http = httpx.AsyncClient(timeout=10.0)
        self.auth = {p: {"Authorization": f"Bearer {t}"} for p, t in tokens.items()}

    async def close(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()

    def _url(self, post: str, path: str) -> str:
        return f"{self.bases[post]}/posts/{post}{path}"

    async def watchlist(self, post: str) -> dict[str, int]:
        """Alert id -> version on one post's watchlist."""
        response = await self.http.get(self._url(post, "/watchlist"), headers=self.auth[post])
        answer = response.json()
        return {item["alert_id"]: int(item["version"]) for item in answer["items"]}

    async def latency(self, since_ms: int = 0) -> list[dict[str, Any]]:
        """Per-delivery latency samples recorded by the posts (every host's, oldest first)."""
        hosts = {base: post for post, base in self.bases.items()}  # one officer per host
        samples: list[dict[str, Any]] = []
        for base, post in hosts.items():
            answer = await self.http.get(
                f"{base}/latency", params={"since_ms": since_ms}, headers=self.auth[post]
            )
            samples += answer.json()["samples"]
        return sorted(samples, key=lambda s: int(s["at_ms"]))

    async def screen(
        self, post: str, traveller: Traveller, tally: ScreeningTally
    ) -> dict[str, Any] | None:
        """Screen one traveller at one post and count what came back; the answer, or None."""
        body: dict[str, Any] = {"name": traveller.name}
        if traveller.date_of_birth:
            body["date_of_birth"] = traveller.date_of_birth
        if traveller.nationality:
            body["nationality"] = traveller.nationality
        started = time.perf_counter()
        try:
            response = await self.http.post(
                self._url(post, "/screen/person"), json=body, headers=self.auth[post]
            )
            response.raise_for_status()
        except httpx.HTTPError:
            tally.errors += 1
            return None
        tally.latency_ms.append((time.perf_counter() - started) * 1000)
        tally.queries += 1
        answer: dict[str, Any] = response.json()
        hits = answer["hits"]
        ids = {a["alert_id"] for h in hits for a in h["alerts"]}
        if hits:
            tally.hits += 1
        if traveller.planted is None:
            if hits:
                tally.false_hits += 1
            return answer
        tally.planted += 1
        tally.by_variant[traveller.variant or "?"] += 1
        if traveller.planted in ids:
            tally.planted_found += 1
            tally.true_hits += 1
            tally.found_by_variant[traveller.variant or "?"] += 1
        elif hits:
            tally.false_hits += 1
        return answer

    async def screen_person(self, post: str, body: dict[str, Any]) -> dict[str, Any]:
        """One screening's whole answer (the flag check reads the alerts' ``flag``)."""
        response = await self.http.post(
            self._url(post, "/screen/person"), json=body, headers=self.auth[post]
        )
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    async def report_hit(self, post: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """``POST /hits`` as the post's officer: the stored report, or None when refused."""
        try:
            response = await self.http.post(
                self._url(post, "/hits"), json=body, headers=self.auth[post]
            )
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None  # e.g. 404: the alert left the watchlist since the screening
        report: dict[str, Any] = response.json()
        return report

    async def hits(self, post: str) -> list[dict[str, Any]]:
        """``GET /hits``: the post's hits with their status and acknowledgement."""
        response = await self.http.get(self._url(post, "/hits"), headers=self.auth[post])
        response.raise_for_status()
        hits: list[dict[str, Any]] = response.json()["hits"]
        return hits


def pick_traveller(
    rng: random.Random,
    factory: TravellerFactory,
    planted_share: float,
    candidates: list[tuple[str, WantedPerson]],
) -> Traveller:
    """A planted match (from ``candidates``: alerts the post holds) or an ordinary traveller."""
    if candidates and rng.random() < planted_share:
        alert_id, person = rng.choice(candidates)
        return factory.planted(alert_id, person)
    return factory.ordinary()
