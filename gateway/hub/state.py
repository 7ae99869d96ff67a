"""The hub's per-alert state: a dict in memory, backed by a compacted changelog topic.

Each alert's entry is owned by the input partition its records arrive on (ingress topics are
keyed by ``alert_id``), so one transactional producer ever writes it at a time. Changes are
staged per input partition, written to the changelog inside that partition's transaction, and
applied to the committed view only when the transaction commits. On start and on every
reassignment the store catches up from the changelog (read_committed) before processing; in
between, :meth:`ChangelogReader.tail` applies what other instances committed every
``TAIL_INTERVAL_S``, so linking sees every instance's committed identifiers within a bounded
delay. Records written for input partitions this instance owns are never taken from the tail:
this instance is their only writer, so its own view is the newest.
"""

from __future__ import annotations

import asyncio
import base64
import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
import structlog
from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from gateway.errors import FrontlineError
from gateway.kafka.clients import make_consumer
from gateway.kafka.eos import Output
from gateway.kafka.reading import assign_from_start, read_to_end
from gateway.settings import Settings

__all__ = [
    "OWNER_HEADER",
    "TAIL_INTERVAL_S",
    "AlertState",
    "ChangelogReader",
    "Held",
    "Owner",
    "StateStore",
    "owner_headers",
]

log = structlog.get_logger(__name__)

Owner = tuple[str, int]  # (input topic, input partition) that owns an alert
MAX_LINKED = 10
TAIL_INTERVAL_S = 0.5
"""How often every instance applies what the other instances committed to the changelog."""
OWNER_HEADER = "fl-owner"
"""Header of every changelog record: ``<input topic>:<partition>``, the partition that wrote it."""
_OWNER_HEADERS: dict[Owner, list[tuple[str, bytes]]] = {}


def owner_headers(owner: Owner) -> list[tuple[str, bytes]]:
    """The changelog record's headers naming its writer (one shared list per owner)."""
    found = _OWNER_HEADERS.get(owner)
    if found is None:
        found = _OWNER_HEADERS[owner] = [(OWNER_HEADER, f"{owner[0]}:{owner[1]}".encode())]
    return found


@dataclass(frozen=True, slots=True)
class Held:
    """A version waiting for neutrality review, with what an approval releases."""

    version: int
    rule: str
    recipients: frozenset[str]
    payload: bytes
    headers: tuple[tuple[str, str], ...]
    held_at_ms: int
    expires_at_ms: int | None = None  # the held version's own expiry


@dataclass(frozen=True, slots=True)
class AlertState:
    """What the hub remembers about one alert; no personal data (identifiers are hashed)."""

    alert_id: str
    version: int
    org: str
    kind: str
    owner: Owner
    recipients: frozenset[str] = frozenset()
    expires_at_ms: int | None = None
    idents: tuple[str, ...] = ()
    held: Held | None = None
    cancelled: bool = False
    seq: int = 0  # bumped on every change; a catch-up never applies an older one
    # What the holders (``recipients``) hold: its version and TLP; ``expires_at_ms`` is its
    # expiry, shortened (never lengthened) by a held version's restriction.
    live_version: int = 0
    live_tlp: str = ""
    policy_version: str = ""  # the policy version of the last decision on this alert
    origin: str = ""  # the originating country (alpha-3): where hits on this alert go
    delivered_at_ms: int | None = None  # when the live version was delivered (receipts)

    def deadline_ms(self) -> int | None:
        """When the expiry timer must next look at this entry: the live expiry (while someone
        holds the alert) or the held version's own expiry, whichever comes first."""
        found = self.expires_at_ms if self.recipients else None
        held = self.held
        if held is not None and held.expires_at_ms is not None:
            found = held.expires_at_ms if found is None else min(found, held.expires_at_ms)
        return found

    def to_bytes(self) -> bytes:
        """The changelog value (JSON)."""
        held = self.held
        return orjson.dumps(
            {
                "id": self.alert_id,
                "v": self.version,
                "org": self.org,
                "kind": self.kind,
                "t": self.owner[0],
                "p": self.owner[1],
                "r": sorted(self.recipients),
                "x": self.expires_at_ms,
                "i": list(self.idents),
                "c": self.cancelled,
                "s": self.seq,
                "lv": self.live_version,
                "lt": self.live_tlp,
                "pv": self.policy_version,
                "oc": self.origin,
                "da": self.delivered_at_ms,
                "h": None
                if held is None
                else {
                    "v": held.version,
                    "rule": held.rule,
                    "r": sorted(held.recipients),
                    "payload": base64.b64encode(held.payload).decode(),
                    "hdr": [list(pair) for pair in held.headers],
                    "at": held.held_at_ms,
                    "x": held.expires_at_ms,
                },
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> AlertState:
        """Parse a changelog value; raises ValueError/KeyError/TypeError when malformed."""
        raw: dict[str, Any] = orjson.loads(data)
        h = raw.get("h")
        held = (
            None
            if h is None
            else Held(
                version=int(h["v"]),
                rule=str(h["rule"]),
                recipients=frozenset(h["r"]),
                payload=base64.b64decode(h["payload"]),
                headers=tuple((str(k), str(v)) for k, v in h["hdr"]),
                held_at_ms=int(h["at"]),
                expires_at_ms=None if h.get("x") is None else int(h["x"]),
            )
        )
        return cls(
            alert_id=str(raw["id"]),
            version=int(raw["v"]),
            org=str(raw["org"]),
            kind=str(raw["kind"]),
            owner=(str(raw["t"]), int(raw["p"])),
            recipients=frozenset(raw["r"]),
            expires_at_ms=raw.get("x"),
            idents=tuple(raw.get("i", ())),
            held=held,
            cancelled=bool(raw.get("c", False)),
            seq=int(raw.get("s", 0)),
            live_version=int(raw.get("lv", 0)),
            live_tlp=str(raw.get("lt", "")),
            policy_version=str(raw.get("pv", "")),
            origin=str(raw.get("oc", "")),
            delivered_at_ms=None if raw.get("da") is None else int(raw["da"]),
        )


@dataclass(slots=True)
class _Owned:
    """Per-owner indexes: the alerts it owns, an expiry heap, and the alerts held for review."""

    alerts: set[str] = field(default_factory=set)
    expiry: list[tuple[int, str]] = field(default_factory=list)
    held: set[str] = field(default_factory=set)


class StateStore:
    """Committed entries, per-owner staged changes, and the identifier index used for linking."""

    def __init__(self, changelog_topic: str) -> None:
        self.changelog_topic = changelog_topic
        self._entries: dict[str, AlertState] = {}
        self._staged: dict[Owner, dict[str, AlertState]] = {}
        self._owned: dict[Owner, _Owned] = {}
        self._index: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, owner: Owner, alert_id: str) -> AlertState | None:
        """The entry as this owner's open transaction sees it (staged first, then committed)."""
        staged = self._staged.get(owner)
        if staged is not None:
            found = staged.get(alert_id)
            if found is not None:
                return found
        return self._entries.get(alert_id)

    def committed(self, alert_id: str) -> AlertState | None:
        """The committed entry, whoever owns it."""
        return self._entries.get(alert_id)

    def stage(self, owner: Owner, entry: AlertState) -> Output:
        """Stage a change for ``owner``'s transaction; returns the changelog record to send."""
        previous = self.get(owner, entry.alert_id)
        if previous is not None and entry.seq <= previous.seq:
            entry = replace(entry, seq=previous.seq + 1)  # callers normally bump it themselves
        self._staged.setdefault(owner, {})[entry.alert_id] = entry
        return Output(
            self.changelog_topic, entry.alert_id.encode(), entry.to_bytes(), owner_headers(owner)
        )

    def commit(self, owner: Owner) -> None:
        """The owner's transaction committed: its staged entries become the committed view."""
        staged = self._staged.pop(owner, None)
        if staged:
            for entry in staged.values():
                self.apply(entry)

    def abort(self, owner: Owner) -> None:
        """The owner's transaction aborted: forget what it staged, and re-arm the expiry of
        the entries it touched (``due`` popped their timers; the expiry must run again)."""
        staged = self._staged.pop(owner, None)
        if not staged:
            return
        owned = self._owned.get(owner)
        if owned is None:
            return
        for alert_id in staged:
            entry = self._entries.get(alert_id)
            deadline = None if entry is None else entry.deadline_ms()
            if deadline is not None:
                heapq.heappush(owned.expiry, (deadline, alert_id))

    def apply(self, entry: AlertState) -> bool:
        """Make an entry committed (restore or commit); an older ``seq`` is ignored."""
        old = self._entries.get(entry.alert_id)
        if old is not None and old.seq >= entry.seq:
            return False
        self._entries[entry.alert_id] = entry
        if old is not None:
            for ident in old.idents:
                ids = self._index.get(ident)
                if ids is not None:
                    ids.discard(entry.alert_id)
                    if not ids:
                        del self._index[ident]
            if old.owner != entry.owner:
                gone = self._owned.get(old.owner)
                if gone is not None:
                    gone.alerts.discard(entry.alert_id)
                    gone.held.discard(entry.alert_id)
        for ident in entry.idents:
            self._index.setdefault(ident, set()).add(entry.alert_id)
        owned = self._owned.setdefault(entry.owner, _Owned())
        owned.alerts.add(entry.alert_id)
        if entry.held is not None:
            owned.held.add(entry.alert_id)
        else:
            owned.held.discard(entry.alert_id)
        deadline = entry.deadline_ms()
        if deadline is not None:
            heapq.heappush(owned.expiry, (deadline, entry.alert_id))
        return True

    def linked(self, idents: Iterable[str], alert_id: str) -> list[str]:
        """Other alerts (committed) sharing a strong identifier with this one: sorted, at most
        ``MAX_LINKED`` so a much-reported document cannot bloat every record's headers."""
        found: set[str] = set()
        for ident in idents:
            found.update(self._index.get(ident, ()))
        found.discard(alert_id)
        return sorted(found)[:MAX_LINKED]

    def holders(self, alert_id: str) -> frozenset[str]:
        """The countries that may be told of ``alert_id`` now: its committed recipients, less
        any a change staged in an open transaction of this instance takes away."""
        entry = self._entries.get(alert_id)
        if entry is None:
            return frozenset()
        found = entry.recipients
        for staged in self._staged.values():
            pending = staged.get(alert_id)
            if pending is not None:
                found = found & pending.recipients
        return found

    def due(self, owner: Owner, now_ms: int) -> list[AlertState]:
        """Committed entries of ``owner`` whose live expiry or held version's expiry passed."""
        owned = self._owned.get(owner)
        if owned is None:
            return []
        heap = owned.expiry
        out: list[AlertState] = []
        while heap and heap[0][0] <= now_ms:
            expires, alert_id = heapq.heappop(heap)
            entry = self._entries.get(alert_id)
            if entry is not None and entry.owner == owner and entry.deadline_ms() == expires:
                out.append(entry)
        return out

    def held(self, owner: Owner) -> list[AlertState]:
        """Committed entries of ``owner`` waiting for review."""
        owned = self._owned.get(owner)
        if owned is None:
            return []
        return [e for a in list(owned.held) if (e := self._entries.get(a)) and e.held is not None]

    def entries(self) -> Iterator[AlertState]:
        """Every committed entry."""
        return iter(list(self._entries.values()))


class ChangelogReader:
    """Reads the compacted changelog into a store: fully on start and on every assignment,
    then every ``tail_interval_s`` what the other instances committed (:meth:`tail`)."""

    def __init__(
        self, settings: Settings, store: StateStore, side: Callable[[bytes, bytes | None], bool]
        | None = None, *, tail_interval_s: float = TAIL_INTERVAL_S,
    ) -> None:  # fmt: skip
        self.settings = settings
        self.store = store
        # Restores the entries of the way back (``SideStore.restore``): True when it took one.
        self.side = side
        self.tail_interval_s = tail_interval_s
        self._consumer: Any = None
        self._probe: Any = None
        self._partitions: list[TopicPartition] = []
        self._lock = asyncio.Lock()  # one reader of the consumer at a time
        self._owned: set[bytes] = set()  # OWNER_HEADER values of the partitions we write
        self._owners: set[Owner] = set()
        self.last_tail_ms = 0.0  # how long the last tail pass took (ms)

    async def start(self) -> None:
        """Connect and assign every changelog partition from the beginning."""
        self._consumer = make_consumer(self.settings, group_id=None)
        self._probe = make_consumer(
            self.settings, group_id=None, isolation_level="read_uncommitted"
        )
        await self._consumer.start()
        await self._probe.start()
        self._partitions = await assign_from_start(self._consumer, self.store.changelog_topic)

    async def stop(self) -> None:
        """Close both consumers."""
        for consumer in (self._consumer, self._probe):
            if consumer is not None:
                await consumer.stop()

    def own(self, owners: Iterable[Owner]) -> None:
        """This instance now writes these input partitions' entries: the tail skips them."""
        for owner in owners:
            self._owners.add(owner)
            self._owned.add(owner_headers(owner)[0][1])

    def disown(self, owners: Iterable[Owner]) -> None:
        """These input partitions moved away: the tail applies their entries again."""
        for owner in owners:
            self._owners.discard(owner)
            self._owned.discard(owner_headers(owner)[0][1])

    async def catch_up(self, *, wait_for_open: bool = True, timeout_s: float = 90.0) -> int:
        """Apply the changelog records not applied yet; returns how many changed the store.

        With ``wait_for_open`` it reads up to the high watermark, so it waits for transactions
        open now to end: partitions taken over (whose zombies the new producers just fenced)
        start from their previous owner's final state. The timeout exceeds the producers'
        transaction timeout (60 s), after which the broker aborts any zombie's transaction.
        Without it (on start, before fencing) it reads to the last stable offset only.
        """
        async with self._lock:
            consumer = self._probe if wait_for_open else self._consumer
            target: dict[TopicPartition, int] = await consumer.end_offsets(self._partitions)
            return await self._read(target, timeout_s, skip_owned=False)

    async def tail_once(self, timeout_s: float = 30.0) -> int:
        """Apply what was committed since the last read (to the last stable offset), except
        the records of partitions this instance owns; returns how many changed the store."""
        async with self._lock:
            started = asyncio.get_running_loop().time()
            target: dict[TopicPartition, int] = await self._consumer.end_offsets(self._partitions)
            applied = await self._read(target, timeout_s, skip_owned=True)
            self.last_tail_ms = (asyncio.get_running_loop().time() - started) * 1000
            return applied

    async def tail(self) -> None:
        """Run :meth:`tail_once` every ``tail_interval_s`` until cancelled; a failed pass is
        logged and retried at the next one (the view only gets older meanwhile)."""
        while True:
            await asyncio.sleep(self.tail_interval_s)
            try:
                await self.tail_once()
            except (KafkaError, FrontlineError) as error:
                log.warning("hub_state_tail_failed", error=type(error).__name__)

    async def _read(
        self, target: dict[TopicPartition, int], timeout_s: float, *, skip_owned: bool
    ) -> int:
        applied = 0
        owned, owners = self._owned, self._owners

        def apply(record: Any) -> None:
            nonlocal applied
            if skip_owned and owned:
                for name, value in record.headers or ():
                    if name == OWNER_HEADER and value in owned:
                        return  # ours: this instance's view of it is the newest
            if (
                self.side is not None
                and record.key is not None
                and self.side(record.key, record.value)
            ):
                return
            if record.value is None:
                return
            try:
                entry = AlertState.from_bytes(record.value)
            except (ValueError, KeyError, TypeError):
                return  # a foreign or corrupt changelog record: nothing to restore
            if skip_owned and entry.owner in owners:
                return  # written before the owner header existed; still ours
            applied += self.store.apply(entry)

        await read_to_end(
            self._consumer, self._partitions, apply, target=target, timeout_s=timeout_s
        )
        return applied
