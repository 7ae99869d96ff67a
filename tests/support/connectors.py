"""Helpers the connector tests share: accepted alerts, and the checks every revision test runs.

A revision must map to the same alert id at a higher version with the right message type;
a narrowing must reach fewer countries under the shipped policy (or deny one more); a raise
to RED must name one or two countries; an update must change the details, not the labels;
a withdrawn alert is only ever withdrawn again; a lapsed alert revised (but not withdrawn)
is renewed. The rules are connectors.synthetic.revise's, one for every organization.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar, get_args

from connectors.base import Accepted, Connector, Outcome, Revision, process, process_record
from connectors.synthetic import get_generator
from gateway.contract import AnyAlert, MsgType, Tlp
from gateway.contract.codec import decode_dict
from gateway.contract.identifiers import iso_countries
from gateway.hub.facts import facts_of
from gateway.hub.policy.decide import Decision, load_policy

__all__ = [
    "CHANGES",
    "FakeProducer",
    "accepted_alerts",
    "accepted_as",
    "accepted_of",
    "check_chain",
    "check_lapsed",
    "check_revision",
    "check_revisions",
    "check_withdrawn",
    "decision_of",
    "generated",
    "generated_mix",
    "generated_shares",
    "offences_of",
    "recipients",
    "revise_all",
]

T = TypeVar("T")
CHANGES: tuple[Revision, ...] = get_args(Revision)
_CHAIN: tuple[Revision, ...] = ("update", "narrow", "update", "raise_red", "narrow", "cancel")
_POLICY = load_policy()
_CANDIDATES = frozenset(iso_countries())


def accepted_alerts(outcomes: Iterable[Outcome]) -> dict[str, AnyAlert]:
    """Alert id -> alert, asserting every outcome was accepted (refusals show their reasons)."""
    out: dict[str, AnyAlert] = {}
    for o in outcomes:
        assert isinstance(o, Accepted), getattr(getattr(o, "quarantine", None), "reasons", o)
        out[o.alert.envelope.alert_id] = o.alert
    return out


def accepted_as(outcomes: Iterable[Outcome], kind: type[T]) -> dict[str, T]:
    """Like :func:`accepted_alerts`, asserting every alert is of ``kind``."""
    out: dict[str, T] = {}
    for alert_id, alert in accepted_alerts(outcomes).items():
        assert isinstance(alert, kind), alert
        out[alert_id] = alert
    return out


def accepted_of(connector: Connector, payload: bytes, now: datetime) -> list[Accepted]:
    """Every outcome of the payload, each required to be accepted."""
    outcomes = list(process(connector, payload, "revise-test", now=now))
    refused = [o for o in outcomes if not isinstance(o, Accepted)]
    assert not refused, refused[:1]
    return [o for o in outcomes if isinstance(o, Accepted)]


def generated(connector: Connector, count: int, now: datetime, seed: int = 11) -> list[Accepted]:
    """Accepted outcomes of a generated payload."""
    return accepted_of(
        connector, get_generator(connector.org).generate(random.Random(seed), count, now), now
    )


def decision_of(outcome: Accepted, now: datetime) -> Decision:
    """The shipped policy's decision for an accepted alert over every ISO country."""
    kind, record = decode_dict(outcome.value)
    facts = facts_of(kind.value, record["envelope"], record.get("subject"))
    return _POLICY.decide(facts, _CANDIDATES, now)


def recipients(accepted: Accepted, now: datetime) -> frozenset[str]:
    """The countries the shipped policy delivers this alert to, among every ISO country."""
    return decision_of(accepted, now).recipients


def check_revision(
    connector: Connector, before: Accepted, change: Revision, rng: random.Random, now: datetime
) -> Accepted:
    """Revise ``before`` with ``change``, assert the contract of a revision, return the result."""
    payload = get_generator(connector.org).revise(rng, before.record, now, change)
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
    elif change in ("update", "amend"):
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
    generator = get_generator(connector.org)
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
        # A withdrawal is final: whatever the change asked, only a later withdrawal follows.
        again = accepted_of(connector, generator.revise(rng, current.record, now, "update"), now)
        assert again[0].alert.envelope.msg_type is MsgType.CANCEL
        assert again[0].alert.envelope.version > current.alert.envelope.version
        check_revision(connector, current, "cancel", rng, now)
        # A clock behind the last stamp still gives a higher version.
        stale = original.alert.envelope.issued_at - timedelta(days=1)
        late = accepted_of(connector, generator.revise(rng, original.record, stale, "update"), now)
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


def _one(connector: Connector, payload: bytes, now: datetime) -> Accepted:
    outcomes = list(process(connector, payload, "revision", now=now))
    assert len(outcomes) == 1, outcomes
    (outcome,) = outcomes
    assert isinstance(outcome, Accepted), outcome
    return outcome


def check_revisions(connector: Connector, payload: bytes, now: datetime, seed: int) -> int:
    """Revise every record of a generated payload each way and check what the hub would see.

    Returns how many narrowings left strictly fewer recipients (the rest grew a deny list).
    """
    rng = random.Random(seed)
    generator = get_generator(connector.org)
    shrunk = 0
    for record in connector.split(payload, "generated"):
        before = process_record(connector, record, now)
        assert isinstance(before, Accepted), before
        old = before.alert.envelope
        for change in CHANGES:
            after = _one(connector, generator.revise(rng, record, now, change), now)
            new = after.alert.envelope
            assert new.alert_id == old.alert_id
            assert new.version > old.version
            want = MsgType.CANCEL if change == "cancel" else MsgType.UPDATE
            assert new.msg_type is want, change
            if change in ("update", "amend"):
                assert (new.tlp, new.release_to_countries, new.deny_countries) == (
                    old.tlp, old.release_to_countries, old.deny_countries,
                )  # fmt: skip
                assert (after.alert.subject, new.expires_at) != (
                    before.alert.subject, old.expires_at,
                )  # fmt: skip
            elif change == "raise_red":
                assert new.tlp is Tlp.RED
                assert 1 <= len(new.release_to_countries) <= 2
            elif change == "narrow":
                # Each at its own issue instant: a lapsed alert narrowed is renewed, and
                # reaches fewer countries than it did while it was valid.
                was = recipients(before, old.issued_at)
                now_to = recipients(after, new.issued_at)
                assert now_to <= was, (old, new)
                if now_to < was:
                    shrunk += 1
                else:
                    assert set(new.deny_countries) > set(old.deny_countries)
            else:
                assert after.alert.subject is None
    return shrunk


def check_chain(connector: Connector, payload: bytes, now: datetime, seed: int) -> None:
    """Revise each revision again, all at the same instant: versions still rise every time
    and every narrowing keeps the recipients the same or fewer."""
    rng = random.Random(seed)
    generator = get_generator(connector.org)
    steps: tuple[Revision, ...] = (
        "update", "narrow", "narrow", "raise_red", "narrow", "update", "cancel",
    )  # fmt: skip
    for record in list(connector.split(payload, "generated"))[:10]:
        previous = process_record(connector, record, now)
        assert isinstance(previous, Accepted), previous
        current = record
        for change in steps:
            revised = generator.revise(rng, current, now, change)
            accepted = _one(connector, revised, now)
            assert accepted.alert.envelope.version > previous.alert.envelope.version, change
            if change == "narrow":
                assert recipients(accepted, now) <= recipients(previous, now)
            previous = accepted
            (current,) = connector.split(revised, "chained")


def check_lapsed(connector: Connector, payload: bytes, now: datetime, seed: int) -> int:
    """Alerts revised an hour after they lapsed: any revision but a withdrawal renews them
    (from its own stamp), a withdrawal drops the validity.

    Returns how many lapsed alerts the payload held.
    """
    rng = random.Random(seed)
    generator = get_generator(connector.org)
    later = now + timedelta(hours=1)
    lapsed = 0
    for record in connector.split(payload, "generated"):
        before = process_record(connector, record, now)
        assert isinstance(before, Accepted), before
        expires = before.alert.envelope.expires_at
        if expires is None or expires > now + timedelta(seconds=120):
            continue
        lapsed += 1
        for change in CHANGES:
            after = _one(connector, generator.revise(rng, record, later, change), later)
            new = after.alert.envelope
            assert new.version > before.alert.envelope.version
            if change != "cancel":  # renewed, whatever changed
                assert new.expires_at is not None
                assert new.expires_at > later, change
    return lapsed


def generated_mix(connector: Connector, payload: bytes, now: datetime) -> tuple[int, int, int, int]:
    """(alerts, wanted persons, persons the shipped review holds, alerts expiring in 30-120 s)."""
    alerts = persons = held = short = 0
    for outcome in process(connector, payload, "generated", now=now):
        assert isinstance(outcome, Accepted), outcome
        alerts += 1
        env = outcome.alert.envelope
        if env.expires_at is not None and (
            timedelta(seconds=30) <= env.expires_at - now <= timedelta(seconds=120)
        ):
            short += 1
        kind, record = decode_dict(outcome.value)
        if kind.value == "WANTED_PERSON":
            persons += 1
            facts = facts_of(kind.value, record["envelope"], record.get("subject"))
            held += _POLICY.review_rule(facts) is not None
    return alerts, persons, held, short


def check_withdrawn(connector: Connector, payload: bytes, now: datetime) -> int:
    """A withdrawn record is only ever withdrawn again, at a higher version, whatever the
    change asked; returns how many withdrawn records the payload held."""
    rng = random.Random(0)
    generator = get_generator(connector.org)
    withdrawn = 0
    for record in connector.split(payload, "sample"):
        before = process_record(connector, record, now)
        if not isinstance(before, Accepted) or before.alert.envelope.msg_type is not MsgType.CANCEL:
            continue
        withdrawn += 1
        for change in CHANGES:
            after = _one(connector, generator.revise(rng, record, now, change), now)
            assert after.alert.envelope.msg_type is MsgType.CANCEL
            assert after.alert.envelope.version > before.alert.envelope.version
    return withdrawn


class FakeProducer:
    """A stand-in producer for unit tests of the publisher's bookkeeping (integration tests
    use the real broker): records every send and acknowledges at once."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None, list[tuple[str, bytes]]]] = []
        self.started = False
        self.stopped = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def send(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        *,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> asyncio.Future[Any]:
        self.sent.append((topic, key, value, headers or []))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    def on(self, topic: str) -> list[tuple[str, bytes | None, bytes | None, list[Any]]]:
        return [s for s in self.sent if s[0] == topic]
