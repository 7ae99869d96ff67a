"""What every border post's watchlist should hold, computed from what was published.

This replays the rules independently of the running components: the hub's policy decides
the countries, the national node's profile rules decide the posts, and the final version
of each alert (the first one seen of the highest version, as the hub's version order keeps)
is what a watchlist must hold. Held-for-review, cancelled, expired and TLP:RED alerts are
held by no post.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gateway.hub_route import facts_of
from gateway.node_route import decide as node_decide
from gateway.policy import Feed, Policy
from gateway.topology import Topology

__all__ = ["Expectation", "Published", "expected_watchlists"]


@dataclass
class Published:
    """The final version of each published alert: alert id -> (version, kind, org, record)."""

    alerts: dict[str, tuple[int, str, str, dict[str, Any]]] = field(default_factory=dict)
    versions: set[tuple[str, int]] = field(default_factory=set)

    def add(self, kind: str, record: dict[str, Any]) -> None:
        """Note one published record; an equal or older version does not replace the kept one."""
        env = record["envelope"]
        alert_id, version = str(env["alert_id"]), int(env["version"])
        self.versions.add((alert_id, version))
        kept = self.alerts.get(alert_id)
        if kept is None or version > kept[0]:
            self.alerts[alert_id] = (version, kind, str(env["source_org"]), record)


@dataclass(frozen=True)
class Expectation:
    """Per post (``ISO3.POST``): alert id -> version; and alerts held for review."""

    posts: Mapping[str, Mapping[str, int]]
    held: frozenset[str]


def expected_watchlists(
    published: Published,
    topology: Topology,
    policy: Policy,
    now: datetime,
    approved: frozenset[str] = frozenset(),
) -> Expectation:
    """Every post's expected watchlist after the pipeline has drained.

    ``approved`` are held alerts a reviewer released: they reach the countries the policy
    allowed; every other held alert reaches nobody.
    """
    candidates = [c.code for c in topology.countries]
    by_code = {c.code: c for c in topology.countries}
    posts: dict[str, dict[str, int]] = {f"{c.code}.{p.id}": {} for c, p in topology.posts()}
    held: set[str] = set()
    for alert_id, (version, kind, org, record) in published.alerts.items():
        envelope, subject = record["envelope"], record.get("subject")
        decision = policy.decide(facts_of(kind, envelope, subject), candidates, now)
        if decision.feed is Feed.EXERCISE:  # exercise traffic never reaches ACTUAL feeds
            continue
        if decision.hold_for_review and decision.recipients:
            held.add(alert_id)
            if alert_id not in approved:
                continue
        tlp = str(envelope.get("tlp", ""))
        for code in decision.recipients:
            routed = node_decide(by_code[code], kind, org, record, header_tlp=tlp)
            for post in routed.deliver:
                posts[f"{code}.{post}"][alert_id] = version
    return Expectation(posts, frozenset(held))
