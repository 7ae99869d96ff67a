"""Checks every revision test of the INTERPOL ... ASEANAPOL connectors shares.

A revision must map to the same alert id at a higher version with the right message type;
a narrowing must reach fewer countries under the shipped policy (or deny one more); a raise
to RED must name one or two countries; an update must change the details, not the labels.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, get_args

import pytest

from connectors.base import Accepted, Connector, Revision, process
from gateway.contract import MsgType, Tlp
from gateway.contract.codec import decode_dict
from gateway.contract.identifiers import iso_countries
from gateway.hub.policy.decide import Decision, load_policy
from gateway.hub.route import facts_of

__all__ = [
    "CHANGES",
    "accepted_of",
    "check_revision",
    "decision_of",
    "generated",
    "generated_shares",
    "offences_of",
    "revise_all",
]

CHANGES: tuple[Revision, ...] = get_args(Revision)
_CHAIN: tuple[Revision, ...] = ("update", "narrow", "update", "raise_red", "narrow", "cancel")
_POLICY = load_policy()
_CANDIDATES = frozenset(iso_countries())


def accepted_of(connector: Connector, payload: bytes, now: datetime) -> list[Accepted]:
    """Every outcome of the payload, each required to be accepted."""
    outcomes = list(process(connector, payload, "revise-test", now=now))
    refused = [o for o in outcomes if not isinstance(o, Accepted)]
    assert not refused, refused[:1]
    return [o for o in outcomes if isinstance(o, Accepted)]


def generated(connector: Connector, count: int, now: datetime, seed: int = 11) -> list[Accepted]:
    """Accepted outcomes of a generated payload."""
    return accepted_of(connector, connector.generate(random.Random(seed), count, now), now)


def decision_of(outcome: Accepted, now: datetime) -> Decision:
    """The shipped policy's decision for an accepted alert over every ISO country."""
    kind, record = decode_dict(outcome.value)
    facts = facts_of(kind.value, record["envelope"], record.get("subject"))
    return _POLICY.decide(facts, _CANDIDATES, now)


def check_revision(
    connector: Connector, before: Accepted, change: Revision, rng: random.Random, now: datetime
) -> Accepted:
    """Revise ``before`` with ``change``, assert the contract of a revision, return the result."""
    payload = connector.revise(rng, before.record, now, change)
    outcomes = accepted_of(connector, payload, now)
    assert len(outcomes) == 1, f"{change}: {len(outcomes)} records in the revision"
    after = outcomes[0]
    old, new = before.alert.envelope, after.alert.envelope
    assert new.alert_id == old.alert_id
    assert new.version > old.version, (change, old.version, new.version)
    want = MsgType.CANCEL if change == "cancel" else MsgType.UPDATE
    assert new.msg_type is want, (change, new.msg_type)
    if change == "cancel":
        assert after.alert.subject is None
    elif change == "update":
        labels = (old.tlp, old.release_to_countries, old.deny_countries)
        assert (new.tlp, new.release_to_countries, new.deny_countries) == labels
        assert (after.alert.subject, new.expires_at) != (before.alert.subject, old.expires_at)
    elif change == "raise_red":
        assert new.tlp is Tlp.RED
        assert 1 <= len(new.release_to_countries) <= 2
        assert not decision_of(after, now).recipients - set(new.release_to_countries)
    else:
        was, now_ = decision_of(before, now).recipients, decision_of(after, now).recipients
        grew = set(new.deny_countries) > set(old.deny_countries)
        assert now_ < was or (grew and now_ <= was), (old, new)
    return after


def revise_all(
    connector: Connector, originals: list[Accepted], now: datetime, seed: int = 3
) -> Counter[str]:
    """Every change on every live original, then a chain of all four on each; counts outcomes."""
    rng = random.Random(seed)
    seen: Counter[str] = Counter()
    live = [o for o in originals if o.alert.envelope.msg_type is not MsgType.CANCEL]
    assert live
    for original in live:
        for change in CHANGES:
            after = check_revision(connector, original, change, rng, now)
            seen[change] += 1
            seen[f"tlp:{after.alert.envelope.tlp.value}"] += 1
        current = original
        for change in _CHAIN:
            current = check_revision(connector, current, change, rng, now)
        seen["chains"] += 1
        # A withdrawal is final: only another withdrawal may follow it.
        with pytest.raises(ValueError, match="withdrawn"):
            connector.revise(rng, current.record, now, "update")
        check_revision(connector, current, "cancel", rng, now)
        # A clock behind the last stamp still gives a higher version.
        stale = original.alert.envelope.issued_at - timedelta(days=1)
        late = accepted_of(connector, connector.revise(rng, original.record, stale, "update"), now)
        assert late[0].alert.envelope.version > original.alert.envelope.version
    return seen


def generated_shares(connector: Connector, now: datetime, count: int = 2000) -> tuple[float, float]:
    """Of generated alerts: the share of wanted persons the review holds, of short expiries.

    A short expiry is one within 30-120 s of ``now`` (whole seconds, so from 29 s).
    """
    outcomes = generated(connector, count, now, seed=5)
    persons = [o for o in outcomes if o.kind.value == "WANTED_PERSON" and o.alert.subject]
    held = sum(1 for o in persons if decision_of(o, now).hold_for_review is not None)
    expiries = [o.alert.envelope.expires_at for o in outcomes]
    short = sum(1 for e in expiries if e is not None and 29 <= (e - now).total_seconds() <= 120)
    return held / max(1, len(persons)), short / len(outcomes)


def offences_of(outcome: Accepted) -> tuple[str, ...]:
    """A wanted person's offences (empty for commodities and cancels)."""
    subject: Any = outcome.alert.subject
    return tuple(getattr(subject, "offences", ()) or ())
