"""What the organizations issue during an exercise: native payloads at realistic proportions.

Each organization's generator (``connectors.synthetic``) writes its own native format, so
the exercise feeds the real parsers. About one percent of payloads are damaged on the way
(cut short, as a broken transfer would leave them) and must end in quarantine or, where
the damage happens to leave a valid record, be published: either way they are counted.

INTERPOL and ASEANAPOL also export stolen and lost travel documents (SLTD, e-ADS): a share
of their new records (``DOCUMENT_SHARES``) is a document export instead, taken out of the
same rate, so the exercise issues as many records as before.

A steady phase (``steady_after_s``, the soak's: docs/simulate.md) keeps the population of
alerts constant from that point of the traffic on, at the same rate: no new alerts or travel
documents and no withdrawals or narrowing, only amendments (new versions that change details
in place and add none, ``Revision`` "amend") of the live alerts, plus the damaged payloads as
before. A leak test needs both: with new alerts every second, the hub, the nodes and the posts
grow with the alerts alive, leak or not; and an ordinary update adds a detail (an alias, a
plate, an offence), so alerts updated for ever grow, and the processes holding them too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from connectors.base import Connector, RawRecord, Revision
from connectors.synthetic import get_generator
from gateway.simulate.livepool import LivePool

__all__ = [
    "DOCUMENT_SHARES",
    "ORG_SHARES",
    "REVISION_SHARE",
    "REVISION_WEIGHTS",
    "STEADY_CARRY_S",
    "Issue",
    "TrafficPlan",
]

# Share of records per organization: INTERPOL's notices dominate, the EU agencies follow,
# ECO and Frontex send mostly commodities, the observers only occasional assessments.
ORG_SHARES: dict[str, float] = {
    "INTERPOL": 0.26,
    "EUROPOL": 0.14,
    "FRONTEX": 0.10,
    "AFRIPOL": 0.08,
    "AMERIPOL": 0.08,
    "ASEANAPOL": 0.07,
    "GCCPOL": 0.06,
    "AIMC": 0.06,
    "ECO": 0.11,
    "SCO": 0.02,
    "UNODC": 0.02,
}


# Share of an organization's new records that are stolen or lost travel documents: SLTD is
# INTERPOL's largest database by far, and e-ADS carries ASEANAPOL members' lost passports.
DOCUMENT_SHARES: dict[str, float] = {"INTERPOL": 0.3, "ASEANAPOL": 0.25}

# A quarter of the traffic revises alerts already out: mostly updates, some withdrawals,
# some narrowed releasability and a few raised to TLP:RED.
REVISION_SHARE = 0.25
REVISION_WEIGHTS: dict[Revision, float] = {
    "update": 0.55,
    "narrow": 0.15,
    "raise_red": 0.08,
    "cancel": 0.22,
}

# In the steady phase, updates an organization could not issue (each of its live alerts is
# already being revised in this tick) are issued later: at most this many seconds' worth.
STEADY_CARRY_S = 5.0


@dataclass(frozen=True)
class Issue:
    """One payload an organization hands to its connector, and how many records it holds."""

    org: str
    payload: bytes
    records: int
    broken: bool
    source: str
    change: Revision | None = None  # None for newly issued alerts
    documents: bool = False  # a travel-document export (TRAVEL_DOCUMENT records)


@dataclass
class TrafficPlan:
    """Turns a rate into payloads per tick, carrying fractional records over between ticks.

    From ``steady_after_s`` seconds of traffic on (None: never), only amendments of live alerts
    and damaged payloads are issued (see the module's docstring).
    """

    connectors: dict[str, Connector]
    rate: float
    seed: int
    broken_share: float = 0.01
    steady_after_s: float | None = None
    _carry: dict[str, float] = field(default_factory=dict)
    _clock: float = 0.0  # seconds of traffic ticked so far
    _sequence: int = 0
    _live: dict[str, LivePool] = field(default_factory=dict)  # org -> its revisable alerts

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._generators = {o: get_generator(o) for o in self.connectors}
        total = sum(ORG_SHARES[o] for o in self.connectors)
        self._shares = {o: ORG_SHARES[o] / total for o in self.connectors}

    def remember(self, org: str, alert_id: str, record: RawRecord, *, final: bool) -> None:
        """Note a published record so later ticks can revise it (``final``: no more changes)."""
        live = self._live.setdefault(org, LivePool())
        if final:
            live.discard(alert_id)
        else:
            live.put(alert_id, record)

    def steady(self, elapsed_s: float) -> bool:
        """Whether traffic ``elapsed_s`` seconds in is in the steady phase."""
        return self.steady_after_s is not None and elapsed_s >= self.steady_after_s

    def tick(self, seconds: float, now: datetime, *, elapsed_s: float | None = None) -> list[Issue]:
        """The payloads issued during the next ``seconds``: new alerts and revisions.

        ``elapsed_s``: seconds of traffic so far (the steady phase's clock); by default the
        sum of the ``seconds`` ticked before.
        """
        elapsed = self._clock if elapsed_s is None else elapsed_s
        self._clock = elapsed + seconds
        steady = self.steady(elapsed)
        issues: list[Issue] = []
        for org, connector in self.connectors.items():
            due = self._carry.get(org, 0.0) + self.rate * self._shares[org] * seconds
            count = int(due)
            self._carry[org] = due - count
            if count == 0:
                continue
            if steady:
                issues.extend(self._steady(connector, count, now))
                continue
            revisions = sum(1 for _ in range(count) if self._rng.random() < REVISION_SHARE)
            for _ in range(revisions):
                revision = self._revision(connector, now)
                if revision is None:
                    break
                issues.append(revision)
                count -= 1
            broken = sum(1 for _ in range(count) if self._rng.random() < self.broken_share)
            good = count - broken
            documents = 0
            if self._generators[org].generate_documents is not None:
                share = DOCUMENT_SHARES.get(org, 0.0)
                documents = sum(1 for _ in range(good) if self._rng.random() < share)
            if documents:
                issues.append(self._issue(connector, documents, now, broken=False, documents=True))
            if good - documents:
                issues.append(self._issue(connector, good - documents, now, broken=False))
            issues.extend(self._issue(connector, 1, now, broken=True) for _ in range(broken))
        return issues

    def _steady(self, connector: Connector, count: int, now: datetime) -> list[Issue]:
        """``count`` records of the steady phase: amendments of live alerts and damaged payloads
        (which never yield a record: cut short, they end in quarantine)."""
        org = connector.org
        broken = sum(1 for _ in range(count) if self._rng.random() < self.broken_share)
        issues: list[Issue] = []
        for _ in range(count - broken):
            update = self._revision(connector, now, change="amend")
            if update is None:  # every live alert is being revised: issue it later
                break
            issues.append(update)
        short = count - broken - len(issues)
        if short:
            limit = self.rate * self._shares[org] * STEADY_CARRY_S
            self._carry[org] = min(self._carry[org] + short, max(limit, 1.0))
        issues.extend(self._issue(connector, 1, now, broken=True) for _ in range(broken))
        return issues

    def _revision(
        self, connector: Connector, now: datetime, change: Revision | None = None
    ) -> Issue | None:
        live = self._live.get(connector.org)
        # Out of the pool until its revision is published: revised again only then.
        record = live.draw(self._rng) if live is not None else None
        if record is None:
            return None
        if change is None:
            weights = list(REVISION_WEIGHTS.values())
            change = self._rng.choices(list(REVISION_WEIGHTS), weights)[0]
        payload = self._generators[connector.org].revise(self._rng, record, now, change)
        self._sequence += 1
        source = f"sim-{connector.org.lower()}-{self._sequence:06d}-{change}"
        return Issue(connector.org, payload, 1, False, source, change)

    def _issue(
        self, connector: Connector, count: int, now: datetime, *, broken: bool,
        documents: bool = False,
    ) -> Issue:  # fmt: skip
        self._sequence += 1
        generator = self._generators[connector.org]
        generate = generator.generate_documents if documents else generator.generate
        assert generate is not None, f"{connector.org} exports no travel documents"
        payload = generate(self._rng, count, now)
        if broken:
            cut = max(1, int(len(payload) * self._rng.uniform(0.2, 0.8)))
            payload = payload[:cut]
        suffix = "-documents" if documents else ""
        source = f"sim-{connector.org.lower()}-{self._sequence:06d}{suffix}"
        return Issue(connector.org, payload, count, broken, source, documents=documents)
