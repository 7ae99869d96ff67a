"""The way back in an exercise, from start to report: hits, acknowledgements, flags, receipts.

:class:`TwoWay` is what the exercise calls at each stage: after a screening (report a hit
for some found planted travellers), when traffic stops (flag a few alerts), while draining
(wait for the acknowledgements), and at the end (the accounting checks and the report's
``wayback`` section). The live parts are in :mod:`gateway.simulate.wayback`, the checks in
:mod:`gateway.simulate.waycheck`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.contract import WantedPerson
from gateway.simulate.collect import BrokerFacts
from gateway.simulate.frontier import PostsClient
from gateway.simulate.report import AccountingCheck
from gateway.simulate.secure import Network
from gateway.simulate.stats import quantiles
from gateway.simulate.variants import Traveller
from gateway.simulate.wayback import Originators, SentFlag, WayBack, flag_alerts
from gateway.simulate.waycheck import (
    WayReader,
    coverage_curve,
    flag_route_check,
    hit_checks,
    receipt_check,
)
from gateway.topology import Topology

__all__ = ["TwoWay", "TwoWayConfig", "WayResult", "way_summary"]


@dataclass(frozen=True)
class TwoWayConfig:
    """How much of the way back an exercise exercises."""

    hit_share: float = 0.3  # of found planted travellers, reported as hits
    ack_delay_s: float = 3.0  # an originator's answer, after the hit reached it
    flags: int = 3  # alerts flagged when traffic stops, one per country
    receipts: bool = True  # the posts send receipts (FRONTLINE_RECEIPTS)
    seed: int = 7


@dataclass
class WayResult:
    """The way back's accounting checks, report section and plot series."""

    checks: list[AccountingCheck]
    section: dict[str, Any]
    ack_latency: list[tuple[float, float]]  # (seconds since start, ms)
    receipt_coverage: list[tuple[float, float]]  # (seconds since delivery, share)


def _ms(text: str | None) -> int | None:
    return None if text is None else int(datetime.fromisoformat(text).timestamp() * 1000)


class TwoWay:
    """Hits, acknowledgements and flags of one exercise, and their accounting."""

    def __init__(
        self, net: Network, topology: Topology, config: TwoWayConfig, origins: Mapping[str, str]
    ) -> None:
        self.net = net
        self.origins = origins  # alert id -> originating country, as the exercise publishes
        self.config = config
        self.countries = [c.code for c in topology.countries]
        orgs = [o.code for o in topology.organizations]
        self.wayback = WayBack(config.hit_share, config.seed)
        self.originators = Originators(net, orgs, config.ack_delay_s)
        self.reader = WayReader(net.admin, orgs, self.countries)
        self.flags: list[SentFlag] = []
        self.post_hits: dict[str, dict[str, dict[str, Any]]] = {}  # post -> hit id -> GET /hits

    async def start(self) -> None:
        """Start the originators' side (reading the outbound topics)."""
        await self.originators.start()

    async def close(self) -> None:
        """Stop the originators and the reader."""
        await self.originators.stop()
        await self.reader.close()

    async def after_screening(
        self, posts: PostsClient, post: str, traveller: Traveller, answer: dict[str, Any] | None
    ) -> None:
        """For a planted traveller the screening found, maybe report a hit on that alert."""
        if answer is None or traveller.planted is None or not answer.get("screening_id"):
            return
        found = {a["alert_id"] for h in answer["hits"] for a in h["alerts"]}
        if traveller.planted not in found:
            return
        # A hit on an alert whose originating country has a node here is always reported, so
        # a short exercise also exercises the hop to that country's node.
        outcome = self.wayback.choose(always=self.origins.get(traveller.planted) in self.countries)
        if outcome is None:
            return
        body = {
            "alert_id": traveller.planted, "outcome": outcome.value,
            "screening_id": answer["screening_id"], "place": f"{post} primary control",
            "conveyance": "exercise", "note": "simulated hit",
        }  # fmt: skip
        self.wayback.note(post, await posts.report_hit(post, body))

    async def flag_some(
        self,
        watchlists: Mapping[str, Mapping[str, int]],
        persons: Mapping[str, WantedPerson],
        orgs: Mapping[str, str],
        excluded: set[str],
    ) -> None:
        """Flag up to ``flags`` wanted-person alerts the posts hold, one country each."""
        rng = random.Random(self.config.seed + 5)
        choices: list[tuple[str, str, str]] = []
        seen: set[str] = set()
        for post in sorted(watchlists):
            country = post.split(".", 1)[0]
            if country in seen or len(choices) >= self.config.flags:
                continue
            fit = sorted(a for a in watchlists[post] if a in persons and a not in excluded)
            if fit:
                alert = rng.choice(fit)
                choices.append((alert, orgs[alert], country))
                seen.add(country)
        self.flags = await flag_alerts(self.net, choices)

    async def settled(self, posts: PostsClient, names: list[str]) -> bool:
        """True once every forwarded hit was acknowledged and its post shows it."""
        forwarded = self.wayback.forwarded()
        if any(h.hit_id not in self.originators.acked for h in forwarded):
            return False
        await self._read_post_hits(posts, names)
        return all(self._acked_at_post(h.post, h.hit_id) for h in forwarded)

    async def _read_post_hits(self, posts: PostsClient, names: list[str]) -> None:
        for post in names:
            self.post_hits[post] = {h["hit_id"]: h for h in await posts.hits(post)}

    def _acked_at_post(self, post: str, hit_id: str) -> bool:
        return self.post_hits.get(post, {}).get(hit_id, {}).get("status") == "acknowledged"

    async def _flags_shown(
        self, posts: PostsClient, expected: Mapping[str, Mapping[str, int]],
        persons: Mapping[str, WantedPerson],
    ) -> tuple[int, list[str]]:  # fmt: skip
        """Screen each flagged person at every post of the flagging country that holds it."""
        checked, missing = 0, []
        for flag in self.flags:
            person = persons[flag.alert_id]
            name = " ".join(p for p in (person.given_names, person.family_name) if p)
            body: dict[str, Any] = {"name": name}
            if person.date_of_birth:
                body["date_of_birth"] = str(person.date_of_birth)
            for post, watchlist in sorted(expected.items()):
                if not post.startswith(f"{flag.country}.") or flag.alert_id not in watchlist:
                    continue
                checked += 1
                answer = await posts.screen_person(post, body)
                refs = [a for h in answer["hits"] + answer.get("dismissed_false_matches", [])
                        for a in h["alerts"] if a["alert_id"] == flag.alert_id]  # fmt: skip
                if not any((r.get("flag") or {}).get("country") == flag.country for r in refs):
                    missing.append(f"{post} {flag.alert_id}")
        return checked, missing

    async def account(
        self,
        posts: PostsClient,
        *,
        names: list[str],
        expected: Mapping[str, Mapping[str, int]],
        facts: BrokerFacts,
        origins: Mapping[str, str],
        persons: Mapping[str, WantedPerson],
        started: float,
        timeout_s: float = 30.0,
    ) -> WayResult:
        """The way back's checks, re-read until they pass or ``timeout_s`` (messages in flight)."""
        deadline = time.monotonic() + timeout_s
        while True:
            way = await self.reader.catch_up()
            await self._read_post_hits(posts, names)
            checks = [hit_checks(self.net.base.topic_prefix, self.wayback.hits, origins,
                                 set(self.countries), way)]  # fmt: skip
            checks.append(self._ack_check(sum(facts.ingress_messages.values())))
            shown, not_shown = await self._flags_shown(posts, expected, persons)
            routed, wrong = flag_route_check(self.net.base.topic_prefix, self.flags, way)
            checks.append(AccountingCheck(
                name="every flag reached its organization once and shows at its country's posts",
                ok=routed and not not_shown,
                detail=(f"{len(self.flags)} alerts flagged; {shown} (post, alert) screened, "
                        f"{shown - len(not_shown)} show the flag"
                        + (f"; not shown: {', '.join(not_shown[:3])}" if not_shown else "")
                        + (f"; outbound: {wrong}" if wrong else "")),
            ))  # fmt: skip
            receipts, first_at = receipt_check(expected, way)
            if not self.config.receipts:
                receipts = AccountingCheck(name=receipts.name, ok=True,
                                           detail="receipts off (FRONTLINE_RECEIPTS=false): "
                                                  "not checked")  # fmt: skip
            checks.append(receipts)
            if all(c.ok for c in checks) or time.monotonic() > deadline:
                break
            await asyncio.sleep(1.0)
        return self._result(checks, expected, facts, first_at, started)

    def _ack_check(self, on_ingress: int) -> AccountingCheck:
        forwarded = self.wayback.forwarded()
        not_acked = [h.hit_id[:8] for h in forwarded if h.hit_id not in self.originators.acked]
        not_shown = [h.hit_id[:8] for h in forwarded if h.hit_id in self.originators.acked
                     and not self._acked_at_post(h.post, h.hit_id)]  # fmt: skip
        return AccountingCheck(
            name="every acknowledgement reached the reporting post",
            ok=not not_acked and not not_shown and on_ingress == len(self.originators.acked),
            detail=(f"{len(forwarded)} forwarded hits, {len(self.originators.acked)} "
                    f"acknowledged by their organizations ({on_ingress} hit-ack records on "
                    "their ingress topics), "
                    f"{len(forwarded) - len(not_acked) - len(not_shown)} shown acknowledged by "
                    "the reporting post's GET /hits"
                    + (f"; never acknowledged: {', '.join(not_acked[:3])}" if not_acked else "")
                    + (f"; not at the post: {', '.join(not_shown[:3])}" if not_shown else "")),
        )  # fmt: skip

    def _result(
        self,
        checks: list[AccountingCheck],
        expected: Mapping[str, Mapping[str, int]],
        facts: BrokerFacts,
        first_at: Mapping[tuple[str, int], Mapping[str, float]],
        started: float,
    ) -> WayResult:
        waits: list[tuple[float, float]] = []
        for hit in self.wayback.forwarded():
            shown = self.post_hits.get(hit.post, {}).get(hit.hit_id, {})
            acked = _ms(shown.get("acknowledged_at"))
            if acked is not None:
                waits.append((round(hit.reported_ms / 1000 - started, 3),
                              float(acked - hit.reported_ms)))  # fmt: skip
        intended: dict[tuple[str, int], int] = {}
        for watchlist in expected.values():
            for alert_id, version in watchlist.items():
                intended[(alert_id, version)] = intended.get((alert_id, version), 0) + 1
        curve, to_all = ([], []) if not self.config.receipts else coverage_curve(
            first_at, intended, facts.delivered_ms)  # fmt: skip
        counted = sum(1 for k in intended if k in facts.delivered_ms)
        section: dict[str, Any] = {
            "hits_by_outcome": self.wayback.by_outcome(),
            "hits_refused_by_post": self.wayback.refused,
            "acknowledged": len(self.originators.acked),
            "ack_delay_s": self.config.ack_delay_s,
            "report_to_ack": quantiles([w for _, w in waits]).model_dump(),
            "flags": len(self.flags),
            "receipts": self.config.receipts,
            "versions_counted": counted if self.config.receipts else 0,
            "versions_with_every_receipt": len(to_all),
            "delivery_to_last_receipt": quantiles([w * 1000 for w in to_all]).model_dump(),
        }
        return WayResult(checks, section, waits, curve)


def way_summary(section: Mapping[str, Any]) -> str:
    """One line for the terminal: hits by outcome, acknowledgement time, receipt coverage."""
    ack = section.get("report_to_ack", {})
    receipts = (
        f"{section.get('versions_with_every_receipt')}/{section.get('versions_counted')} "
        "versions with every receipt"
        if section.get("receipts")
        else "receipts off"
    )
    return (
        f"way back: hits {section.get('hits_by_outcome')}, report to acknowledgement ms p50 "
        f"{ack.get('p50_ms')} p99 {ack.get('p99_ms')}, {receipts}"
    )
