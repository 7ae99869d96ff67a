"""The exercise's accounting of the way down: organizations, audit trail, watchlists."""

from __future__ import annotations

from collections.abc import Mapping

from gateway.simulate.collect import BrokerFacts
from gateway.simulate.expected import Expectation
from gateway.simulate.report import AccountingCheck, OrgCounts

__all__ = ["core_checks"]


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
    published version audited, every watchlist what policy allows."""
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
    return checks
