"""Measures sharing-policy decisions per second on the shipped policy (the hub needs 10,000/s)."""

from __future__ import annotations

import random
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from gateway.hub.policy.decide import OrgCode, RoutingFacts, Tlp, load_policy

__all__ = ["main"]

TLPS: tuple[Tlp, ...] = ("CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED")


def _alerts(count: int, countries: list[str], now: datetime) -> list[RoutingFacts]:
    """A reproducible mix of alerts across organizations, TLPs, releasability and deny lists."""
    rng = random.Random(7)
    base = RoutingFacts(
        alert_id="",
        version=1,
        source_org="INTERPOL",
        originating_country="FRA",
        msg_type="ALERT",
        status="ACTUAL",
        tlp="GREEN",
        kind="WANTED_PERSON",
        expires_at=now + timedelta(days=90),
    )
    orgs = [o.value for o in OrgCode if o.value not in {"SCO", "UNODC"}]
    return [
        replace(
            base,
            alert_id=f"B-{n}",
            source_org=rng.choice(orgs),
            originating_country=rng.choice(countries),
            tlp=rng.choice(TLPS),
            release_to_countries=frozenset(rng.sample(countries, rng.randint(0, 4))),
            release_to_orgs=frozenset(rng.sample(orgs, rng.randint(0, 2))),
            deny_countries=frozenset(rng.sample(countries, rng.randint(0, 2))),
            deny_orgs=frozenset(rng.sample(orgs, rng.randint(0, 1))),
            offences=("armed robbery", "drug trafficking"),
        )
        for n in range(count)
    ]


def main(count: int = 20_000) -> float:
    """Decide ``count`` alerts with every INTERPOL member as a candidate; print the rate."""
    policy = load_policy(None)
    now = datetime.now(UTC)
    candidates = policy.members("INTERPOL")
    alerts = _alerts(count, sorted(candidates), now)
    decide = policy.decide
    started = time.perf_counter()
    delivered = 0
    for alert in alerts:
        delivered += len(decide(alert, candidates, now).recipients)
    elapsed = time.perf_counter() - started
    rate = count / elapsed
    print(
        f"{count} decisions over {len(candidates)} candidates in {elapsed:.3f} s: "
        f"{rate:,.0f} decisions/s, {1e6 / rate:.1f} us each ({delivered} deliveries)"
    )
    return rate


if __name__ == "__main__":
    main()
