"""The exercise's travel documents: issued from the same rate, replayed to the subscribed posts
only, accounted apart, and one stolen document picked for screening (issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from connectors.registry import all_connectors
from gateway.contract import AlertKind
from gateway.contract.codec import decode_dict
from gateway.contract.document import DocumentReport
from gateway.hub.policy.decide import Policy, load_policy
from gateway.simulate.accounting import document_check
from gateway.simulate.documents import pick_planted
from gateway.simulate.expected import DOCUMENT, Expectation, Published, expected_watchlists
from gateway.simulate.traffic import DOCUMENT_SHARES, TrafficPlan
from gateway.topology import Topology, load_topology
from tests.support.alerts import make_alert

DOC = "INTERPOL:SLTD-1"
PERSON = "INTERPOL:P-1"
T0 = datetime(2027, 1, 15, 8, 0, 0, tzinfo=UTC)
SUBSCRIBED = "FRA.CDG"  # takes TRAVEL_DOCUMENT
OTHERS = ("FRA.FRLEH", "GRC.ATH")  # wanted persons and commodities only


@cache
def _policy() -> Policy:
    return load_policy()


@cache
def _topology() -> Topology:
    """France (CDG subscribes to travel documents, FRLEH not) and Greece (ATH, not)."""
    full = load_topology()
    keep = {"FRA": ("CDG", "FRLEH"), "GRC": ("ATH",)}
    countries = tuple(
        c.model_copy(update={"posts": tuple(p for p in c.posts if p.id in keep[c.code])})
        for c in full.countries
        if c.code in keep
    )
    return full.model_copy(update={"countries": countries})


def _publish(published: Published, alert_id: str, version: int, at_s: float, **kw: Any) -> None:
    kind, record = decode_dict(make_alert(alert_id, version, **kw))
    published.add(kind.value, record, T0 + timedelta(seconds=at_s))


def _document(published: Published, version: int, at_s: float, **kw: Any) -> None:
    _publish(published, DOC, version, at_s, kind=AlertKind.TRAVEL_DOCUMENT, **kw)


def _expect(published: Published, at_s: float = 10) -> Expectation:
    now = T0 + timedelta(seconds=at_s)
    return expected_watchlists(published, _topology(), _policy(), now)


def _documents_held(expectation: Expectation) -> dict[str, dict[str, int]]:
    return {p: expectation.of_kind(w, DOCUMENT) for p, w in expectation.posts.items()}


def test_document_alerts_reach_only_the_posts_subscribed_to_them() -> None:
    """A travel-document alert is expected at CDG only, while a wanted person is at all three."""
    published = Published()
    _document(published, 1, 0)
    _publish(published, PERSON, 1, 0)
    expectation = _expect(published)
    assert expectation.document_posts == {SUBSCRIBED}
    assert expectation.kinds == {DOC: DOCUMENT, PERSON: "WANTED_PERSON"}
    assert _documents_held(expectation) == {SUBSCRIBED: {DOC: 1}, OTHERS[0]: {}, OTHERS[1]: {}}
    assert all(expectation.posts[p].get(PERSON) == 1 for p in (SUBSCRIBED, *OTHERS))


def test_document_update_replaces_and_cancel_removes_it() -> None:
    """v2 (an update) replaces v1 at the subscribed post, and a v3 CANCEL leaves no post with it."""
    published = Published()
    _document(published, 1, 0)
    _document(published, 2, 5, subject={"status": "STOLEN"})
    assert _expect(published).posts[SUBSCRIBED] == {DOC: 2}
    _document(published, 3, 8, msg_type="CANCEL")
    assert all(DOC not in w for w in _expect(published).posts.values())


def test_red_or_expired_document_reaches_no_post() -> None:
    """A TLP:RED document and one whose expiry passed are on no watchlist."""
    published = Published()
    _document(published, 1, 0, tlp="RED", release_to_countries=["FRA"])
    _publish(published, "INTERPOL:SLTD-2", 1, 0, kind=AlertKind.TRAVEL_DOCUMENT,
             expires_at="2027-01-15T08:00:05Z")  # fmt: skip
    expectation = _expect(published, 10)
    assert _documents_held(expectation)[SUBSCRIBED] == {}


def _check(listings: dict[str, dict[str, int]]) -> tuple[bool, str]:
    published = Published()
    _document(published, 1, 0)
    _publish(published, PERSON, 1, 0)
    expectation = _expect(published)
    posts = [SUBSCRIBED, *OTHERS]
    check = document_check(posts, published.versions, watchlists=listings, expectation=expectation)
    return check.ok, check.detail


def test_document_check_passes_on_exact_listings() -> None:
    """Listings holding exactly the replay's documents pass, and the detail counts them."""
    ok, detail = _check({SUBSCRIBED: {DOC: 1, PERSON: 1}, OTHERS[0]: {PERSON: 1}})
    assert ok, detail
    assert "1 document versions of 1 alerts published; 1 of 3 posts subscribe" in detail
    assert "1 expected, 1 listed" in detail


def test_document_check_fails_on_a_lost_document() -> None:
    """A subscribed post whose listing lacks the document fails the check."""
    ok, detail = _check({SUBSCRIBED: {PERSON: 1}})
    assert not ok
    assert f"{SUBSCRIBED}: 1 missing, 0 unexpected" in detail


def test_document_check_fails_on_a_document_at_an_unsubscribed_post() -> None:
    """A document listed at a post that does not take the kind fails, naming the post."""
    ok, detail = _check({SUBSCRIBED: {DOC: 1}, OTHERS[1]: {DOC: 1}})
    assert not ok
    assert f"{OTHERS[1]} (not subscribed): 0 missing, 1 unexpected" in detail


def test_document_check_fails_on_a_stale_version() -> None:
    """A subscribed post still listing an older version than the replay's fails the check."""
    published = Published()
    _document(published, 1, 0)
    _document(published, 2, 5)
    expectation = _expect(published)
    check = document_check([SUBSCRIBED], published.versions,
                           watchlists={SUBSCRIBED: {DOC: 1}}, expectation=expectation)  # fmt: skip
    assert not check.ok
    assert "1 missing, 1 unexpected" in check.detail


def _report(status: str) -> DocumentReport:
    return DocumentReport.model_validate({
        "document_number": "C01X00T47", "issuing_country": "DEU", "document_type": "PASSPORT",
        "status": status, "reported_at": "2025-10-01T16:20:00Z",
    })  # fmt: skip


def test_planted_document_is_a_stolen_one_the_subscribed_post_holds() -> None:
    """Of a lost and a stolen document held at CDG, the stolen one is screened there."""
    published = Published()
    _document(published, 1, 0)
    _publish(published, "INTERPOL:SLTD-2", 1, 0, kind=AlertKind.TRAVEL_DOCUMENT)
    expectation = _expect(published)
    reports = {DOC: _report("LOST"), "INTERPOL:SLTD-2": _report("STOLEN")}
    for seed in range(5):
        planted = pick_planted(expectation, published, reports, T0, seed)
        assert planted is not None
        assert (planted.post, planted.alert_id, planted.version) == (
            SUBSCRIBED,
            "INTERPOL:SLTD-2",
            1,
        )
    assert pick_planted(_expect(Published()), Published(), {}, T0, 1) is None


def test_traffic_issues_documents_out_of_the_same_rate() -> None:
    """INTERPOL and ASEANAPOL issue document exports at about their share, and every
    organization's record count is what the rate gives, documents included."""
    connectors = {c.org: c for c in all_connectors()}
    plan = TrafficPlan(connectors, rate=200, seed=3, broken_share=0.0)
    records: dict[str, int] = {}
    documents: dict[str, int] = {}
    for _ in range(40):  # 10 s, no revisions possible: nothing was remembered
        for issue in plan.tick(0.25, T0):
            records[issue.org] = records.get(issue.org, 0) + issue.records
            if issue.documents:
                documents[issue.org] = documents.get(issue.org, 0) + issue.records
    assert set(documents) == set(DOCUMENT_SHARES)
    total = sum(records.values())
    assert 2000 - len(connectors) <= total <= 2000
    for org, share in DOCUMENT_SHARES.items():
        assert abs(documents[org] / records[org] - share) < 0.12, (org, documents, records)
