"""The exercise's independent replay of what border posts hold, on small scenarios of a
version held for review while an earlier one is delivered (issue 11, item 4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from gateway.contract.codec import decode_dict
from gateway.hub.policy.decide import Policy, load_policy
from gateway.simulate.expected import Expectation, Published, Verdict, expected_watchlists
from gateway.topology import Topology, load_topology
from tests.support.alerts import make_alert

ALERT = "INTERPOL:S-1"
CODES = ("FRA", "DEU", "ITA")
T0 = datetime(2027, 1, 15, 8, 0, 0, tzinfo=UTC)
IN_30_S = "2027-01-15T08:00:30Z"
IN_1_DAY = "2027-01-16T08:00:00Z"
HELD = {"offences": ["political offence"]}


@cache
def _policy() -> Policy:
    return load_policy()


@cache
def _topology() -> Topology:
    """Three INTERPOL members, each with one post that takes every wanted person."""
    full = load_topology()
    picked = []
    for country in full.countries:
        if country.code in CODES:
            post = country.posts[0]
            sub = post.subscribes
            assert "WANTED_PERSON" in sub.kinds
            assert not sub.organizations
            assert not sub.nationalities
            picked.append(country.model_copy(update={"posts": country.posts[:1]}))
    assert len(picked) == len(CODES)
    return full.model_copy(update={"countries": tuple(picked)})


def _post(code: str) -> str:
    country = next(c for c in _topology().countries if c.code == code)
    return f"{code}.{country.posts[0].id}"


def _publish(published: Published, version: int, at_s: float, **kw: Any) -> None:
    kind, record = decode_dict(make_alert(ALERT, version, **kw))
    published.add(kind.value, record, T0 + timedelta(seconds=at_s))


def _expect(published: Published, at_s: float, verdict: Verdict | None = None) -> Expectation:
    verdicts = {ALERT: verdict} if verdict is not None else {}
    now = T0 + timedelta(seconds=at_s)
    return expected_watchlists(published, _topology(), _policy(), now, verdicts)


def _holding(expectation: Expectation) -> dict[str, int]:
    """Country -> the version of the alert its post holds."""
    out: dict[str, int] = {}
    for code in CODES:
        version = expectation.posts[_post(code)].get(ALERT)
        if version is not None:
            out[code] = version
    return out


def _at(seconds: float, *, approve: bool, version: int = 2) -> Verdict:
    return Verdict(version, approve, T0 + timedelta(seconds=seconds))


def _v1_then_held_v2(v1_expiry: str | None, **v2: Any) -> Published:
    published = Published()
    _publish(published, 1, 0, expires_at=v1_expiry)
    _publish(published, 2, 5, subject=HELD, **v2)
    return published


def test_delivered_version_stays_with_its_holders_while_the_next_waits() -> None:
    """v1 stays on every post while v2 waits for review (not "held alerts reach nobody")."""
    published = _v1_then_held_v2(IN_1_DAY, expires_at=IN_1_DAY)
    expectation = _expect(published, 10)
    assert _holding(expectation) == dict.fromkeys(CODES, 1)
    assert expectation.held == {ALERT}
    assert expectation.waiting == {ALERT}


def test_delivered_version_keeps_its_own_expiry_under_a_longer_hold() -> None:
    """v1 expiring at 30 s is gone at 31 s although the held v2 expires in a day."""
    published = _v1_then_held_v2(IN_30_S, expires_at=IN_1_DAY)
    assert _holding(_expect(published, 29)) == dict.fromkeys(CODES, 1)
    expectation = _expect(published, 31)
    assert _holding(expectation) == {}
    assert expectation.waiting == {ALERT}


def test_approval_after_the_delivered_version_expired_delivers_the_held_one() -> None:
    """v2 approved at 60 s, after v1's 30 s expiry, reaches every post with its own expiry."""
    published = _v1_then_held_v2(IN_30_S, expires_at=IN_1_DAY)
    expectation = _expect(published, 90, _at(60, approve=True))
    assert _holding(expectation) == dict.fromkeys(CODES, 2)
    assert expectation.waiting == frozenset()


def test_shorter_held_expiry_applies_at_once_and_a_lapsed_hold_revokes_nothing_more() -> None:
    """A held v2 expiring at 30 s ends v1 (1-day expiry) at 30 s; its approval later is moot."""
    published = _v1_then_held_v2(IN_1_DAY, expires_at=IN_30_S)
    assert _holding(_expect(published, 29)) == dict.fromkeys(CODES, 1)
    lapsed = _expect(published, 31)
    assert _holding(lapsed) == {}
    assert lapsed.waiting == frozenset()
    assert _holding(_expect(published, 90, _at(60, approve=True))) == {}


def test_held_deny_list_withdraws_the_delivered_version_at_once() -> None:
    """v2 denying DEU takes v1 from DEU now; FRA and ITA keep v1, then get v2 on approval."""
    published = _v1_then_held_v2(IN_1_DAY, expires_at=IN_1_DAY, deny_countries=["DEU"])
    assert _holding(_expect(published, 10)) == {"FRA": 1, "ITA": 1}
    assert _holding(_expect(published, 30, _at(20, approve=True))) == {"FRA": 2, "ITA": 2}


def test_held_narrowing_withdraws_at_once_and_rejection_withdraws_the_rest() -> None:
    """v2 released (AMBER) to FRA only leaves v1 at FRA alone; a rejection takes that too."""
    published = _v1_then_held_v2(
        IN_1_DAY, expires_at=IN_1_DAY, tlp="AMBER", release_to_countries=["FRA"]
    )
    assert _holding(_expect(published, 10)) == {"FRA": 1}
    rejected = _expect(published, 30, _at(20, approve=False))
    assert _holding(rejected) == {}
    assert rejected.waiting == frozenset()


def test_held_raise_to_red_withdraws_from_every_holder_at_once() -> None:
    """v2 raised to RED naming FRA withdraws v1 from every post, FRA included, and its
    approval puts nothing on a post (RED never reaches border posts)."""
    published = _v1_then_held_v2(
        IN_1_DAY, expires_at=IN_1_DAY, tlp="RED", release_to_countries=["FRA"]
    )
    assert _holding(_expect(published, 10)) == {}
    assert _holding(_expect(published, 30, _at(20, approve=True))) == {}


def test_widening_waits_for_the_reviewer() -> None:
    """v1 for FRA only, v2 for all held: only FRA holds (v1) until the approval widens it."""
    published = Published()
    _publish(published, 1, 0, expires_at=IN_1_DAY, tlp="AMBER", release_to_countries=["FRA"])
    _publish(published, 2, 5, expires_at=IN_1_DAY, subject=HELD)
    assert _holding(_expect(published, 10)) == {"FRA": 1}
    assert _holding(_expect(published, 30, _at(20, approve=True))) == dict.fromkeys(CODES, 2)


def test_verdict_on_another_version_changes_nothing() -> None:
    """An approval naming version 3 leaves v2 waiting and v1 where it was."""
    published = _v1_then_held_v2(IN_1_DAY, expires_at=IN_1_DAY)
    expectation = _expect(published, 30, _at(20, approve=True, version=3))
    assert _holding(expectation) == dict.fromkeys(CODES, 1)
    assert expectation.waiting == {ALERT}


def test_newer_version_without_review_supersedes_the_hold() -> None:
    """v3 needing no review replaces the hold; a later approval of v2 changes nothing."""
    published = _v1_then_held_v2(IN_1_DAY, expires_at=IN_1_DAY)
    _publish(published, 3, 10, expires_at=IN_1_DAY)
    expectation = _expect(published, 30, _at(20, approve=True))
    assert _holding(expectation) == dict.fromkeys(CODES, 3)
    assert expectation.waiting == frozenset()


def test_cancel_while_held_withdraws_everything() -> None:
    """A cancel (v3) while v2 waits takes v1 from every post and drops the hold."""
    published = _v1_then_held_v2(IN_1_DAY, expires_at=IN_1_DAY)
    _publish(published, 3, 10, msg_type="CANCEL")
    expectation = _expect(published, 30)
    assert _holding(expectation) == {}
    assert expectation.waiting == frozenset()


def test_stale_and_duplicate_versions_change_nothing() -> None:
    """After v2, a repeated v2 and an older v1 (new content) leave v2 where it is."""
    published = Published()
    _publish(published, 2, 0, expires_at=IN_1_DAY)
    _publish(published, 2, 1, expires_at=IN_1_DAY, deny_countries=["FRA"])
    _publish(published, 1, 2, expires_at=IN_1_DAY, deny_countries=["DEU"])
    assert _holding(_expect(published, 10)) == dict.fromkeys(CODES, 2)
    assert published.versions == {(ALERT, 1), (ALERT, 2)}


def test_first_version_held_reaches_nobody_until_approved() -> None:
    """A held first version reaches no post while it waits, every post once approved."""
    published = Published()
    _publish(published, 1, 0, expires_at=IN_1_DAY, subject=HELD)
    assert _holding(_expect(published, 10)) == {}
    approved = _expect(published, 30, _at(20, approve=True, version=1))
    assert _holding(approved) == dict.fromkeys(CODES, 1)


def test_approved_version_keeps_its_own_expiry() -> None:
    """v2 (30 s expiry) approved at 20 s is on every post at 25 s and gone at 31 s."""
    published = _v1_then_held_v2(IN_1_DAY, expires_at=IN_30_S)
    verdict = _at(20, approve=True)
    assert _holding(_expect(published, 25, verdict)) == dict.fromkeys(CODES, 2)
    assert _holding(_expect(published, 31, verdict)) == {}
