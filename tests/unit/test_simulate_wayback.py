"""The exercise's way-back accounting, without a broker: hit routes, receipts, coverage."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from gateway.contract.messages import HitOutcome, Receipt
from gateway.simulate.wayback import ReportedHit, WayBack
from gateway.simulate.waycheck import WayFacts, coverage_curve, hit_checks, receipt_check

P = "sim1."


def _hit(hit_id: str, outcome: HitOutcome, alert: str = "INTERPOL:1") -> ReportedHit:
    return ReportedHit(hit_id, alert, 3, "INTERPOL", "KEN", "KEN.NBO", outcome, 0)


def _receipt(
    post: str, alert: str, version: int, *, removed: bool = False, at: float = 10.0
) -> Receipt:
    country, post_id = post.split(".")
    return Receipt(alert_id=alert, version=version, removed=removed, country=country,
                   post_id=post_id, at=datetime.fromtimestamp(at, UTC))  # fmt: skip


def test_every_outcome_is_reported_in_turn() -> None:
    """The first seven found travellers are reported, one per outcome, even at a small share."""
    way = WayBack(share=0.01, seed=1)
    assert {way.choose() for _ in range(7)} == set(HitOutcome)
    assert sum(way.choose() is not None for _ in range(100)) < 10
    assert WayBack(share=0.0, seed=1).choose(always=True) is None


def test_a_hit_routed_once_to_organization_and_origin_passes() -> None:
    """A hit on the inbox, its organization's outbound and its origin's ncb topic once passes."""
    facts = WayFacts(hit_topics={"h1": Counter(
        {f"{P}hub.inbox": 1, f"{P}outbound.interpol": 1, f"{P}ncb.COL": 1})})  # fmt: skip
    check = hit_checks(P, [_hit("h1", HitOutcome.ARRESTED)], {"INTERPOL:1": "COL"},
                       {"COL", "KEN"}, facts)  # fmt: skip
    assert check.ok, check.detail


def test_a_hit_twice_or_to_another_country_fails() -> None:
    """A hit delivered twice to the outbound topic, or to a country not its origin, fails."""
    twice = WayFacts(hit_topics={"h1": Counter({f"{P}hub.inbox": 1, f"{P}outbound.interpol": 2})})
    other = WayFacts(hit_topics={"h1": Counter(
        {f"{P}hub.inbox": 1, f"{P}outbound.interpol": 1, f"{P}ncb.KEN": 1})})  # fmt: skip
    hits = [_hit("h1", HitOutcome.DETAINED)]
    assert not hit_checks(P, hits, {"INTERPOL:1": "BRA"}, {"KEN"}, twice).ok
    assert not hit_checks(P, hits, {"INTERPOL:1": "BRA"}, {"KEN"}, other).ok


def test_a_false_match_on_any_hub_topic_fails() -> None:
    """A FALSE_MATCH passes only when no hub topic carries it."""
    hits = [_hit("h1", HitOutcome.FALSE_MATCH)]
    assert hit_checks(P, hits, {}, {"KEN"}, WayFacts()).ok
    leaked = WayFacts(hit_topics={"h1": Counter({f"{P}hub.inbox": 1})})
    assert not hit_checks(P, hits, {}, {"KEN"}, leaked).ok


def test_receipts_needed_for_held_versions_and_removals() -> None:
    """A held version needs that version's receipt; an alert lost needs a removal receipt last."""
    expected = {"KEN.NBO": {"A": 2}}
    good = WayFacts(receipts={
        ("KEN.NBO", "A"): [_receipt("KEN.NBO", "A", 1), _receipt("KEN.NBO", "A", 2)],
        ("KEN.NBO", "B"): [_receipt("KEN.NBO", "B", 1), _receipt("KEN.NBO", "B", 1, removed=True)],
    })  # fmt: skip
    assert receipt_check(expected, good)[0].ok
    old_only = WayFacts(receipts={("KEN.NBO", "A"): [_receipt("KEN.NBO", "A", 1)]})
    assert not receipt_check(expected, old_only)[0].ok
    not_removed = WayFacts(receipts={**good.receipts,
                                     ("KEN.NBO", "C"): [_receipt("KEN.NBO", "C", 4)]})  # fmt: skip
    assert not receipt_check(expected, not_removed)[0].ok


def test_coverage_counts_a_version_complete_at_its_last_receipt() -> None:
    """A version held by two posts is covered from its later receipt; one missing never is."""
    first_at = {("A", 1): {"KEN.NBO": 10.5, "KEN.MBA": 12.0}, ("B", 1): {"KEN.NBO": 11.0}}
    curve, waits = coverage_curve(first_at, {("A", 1): 2, ("B", 1): 2},
                                  {("A", 1): 10_000, ("B", 1): 10_000}, points=4)  # fmt: skip
    assert waits == [2.0]
    assert curve[0] == (0.0, 0.0)
    assert curve[-1] == (2.0, 0.5)
