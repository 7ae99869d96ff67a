"""The exercise's accounting of the way down: organizations, audit trail, watchlists."""

from __future__ import annotations

from collections.abc import Mapping

from gateway.simulate.collect import BrokerFacts
from gateway.simulate.expected import DOCUMENT, Expectation
from gateway.simulate.report import AccountingCheck, OrgCounts

__all__ = ["core_checks", "document_check"]


def core_checks(
    posts: list[str],
    published: set[tuple[str, int]],
    *,
    watchlists: Mapping[str, Mapping[str, int]],
    orgs: Mapping[str, OrgCounts],
    facts: BrokerFacts,
    expectation: Expectation,
) -> list[AccountingCheck]:
    """Per organization issued = published + quarantined as the broker holds them, every
    published version audited, every watchlist what policy allows, and its travel
    documents apart (:func:`document_check`)."""
    checks: list[AccountingCheck] = []
    for org, counts in orgs.items():
        ok = counts.issued == counts.published + counts.quarantined
        on_broker = facts.ingress[org] == counts.published and (
            facts.quarantined[org] == counts.quarantined
        )
        checks.append(AccountingCheck(
            name=f"{org}: issued = published + quarantined, as the broker holds them",
            ok=ok and on_broker,
            detail=(f"issued {counts.issued} = published {counts.published} + quarantined "
                    f"{counts.quarantined}; on the broker: ingress {facts.ingress[org]}, "
                    f"quarantine {facts.quarantined[org]}"),
        ))  # fmt: skip
    missing_audit = published - facts.audited
    checks.append(AccountingCheck(
        name="every published alert version has an audit record",
        ok=not missing_audit,
        detail=(f"{len(published)} versions published, "
                f"{len(missing_audit)} without audit"
                + (f" (e.g. {sorted(missing_audit)[:3]})" if missing_audit else "")),
    ))  # fmt: skip
    differing = []
    for post in posts:
        want, have = expectation.posts[post], watchlists.get(post, {})
        if want != have:
            extra, missing = set(have) - set(want), set(want) - set(have)
            differing.append(f"{post}: {len(missing)} missing, {len(extra)} unexpected")
    held_total = sum(len(w) for w in expectation.posts.values())
    checks.append(AccountingCheck(
        name="every watchlist equals what policy allows",
        ok=not differing,
        detail=(f"{len(posts)} posts, {held_total} expected entries, "
                f"{len(expectation.held)} alerts held for review "
                f"({len(expectation.waiting)} still waiting)"
                + (f"; differing: {'; '.join(differing[:5])}" if differing else "")),
    ))  # fmt: skip
    checks.append(document_check(posts, published, watchlists=watchlists, expectation=expectation))
    return checks


def document_check(
    posts: list[str],
    published: set[tuple[str, int]],
    *,
    watchlists: Mapping[str, Mapping[str, int]],
    expectation: Expectation,
) -> AccountingCheck:
    """Every post's travel-document alerts (id and version, from its listing) equal the
    replay's: the subscribed posts hold exactly what policy allows, the others none."""
    kinds = expectation.kinds
    versions = sum(1 for alert_id, _ in published if kinds.get(alert_id) == DOCUMENT)
    alerts = sum(1 for kind in kinds.values() if kind == DOCUMENT)
    expected = held = 0
    differing: list[str] = []
    for post in posts:
        want = expectation.of_kind(expectation.posts[post], DOCUMENT)
        have = expectation.of_kind(watchlists.get(post, {}), DOCUMENT)
        expected += len(want)
        held += len(have)
        if want == have:
            continue
        missing = sum(1 for a, v in want.items() if have.get(a) != v)
        extra = sum(1 for a, v in have.items() if want.get(a) != v)
        where = "" if post in expectation.document_posts else " (not subscribed)"
        differing.append(f"{post}{where}: {missing} missing, {extra} unexpected")
    return AccountingCheck(
        name="every post's travel documents equal what policy allows",
        ok=not differing,
        detail=(f"{versions} document versions of {alerts} alerts published; "
                f"{len(expectation.document_posts)} of {len(posts)} posts subscribe; "
                f"{expected} expected, {held} listed"
                + (f"; differing: {'; '.join(differing[:5])}" if differing else "")),
    )  # fmt: skip
