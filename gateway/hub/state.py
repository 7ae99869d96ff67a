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
import hashlib
import heapq
import secrets
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
import structlog
from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from gateway.errors import FrontlineError
from gateway.hub.state_index import IdentIndex
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
"""Header of every changelog record: ``<input topic>:<partition>@<writer>``, the partition whose
transaction wrote it and the process (hub instance) that ran that transaction."""
WRITER = secrets.token_hex(4)
"""This process's writer id in :data:`OWNER_HEADER`: a tail skips only its own records."""
_OWNER_HEADERS: dict[tuple[Owner, str], list[tuple[str, bytes]]] = {}


def owner_headers(owner: Owner, writer: str = WRITER) -> list[tuple[str, bytes]]:
    """The changelog record's headers naming its owner partition and writer (one shared list
    per owner)."""
    found = _OWNER_HEADERS.get((owner, writer))
    if found is None:
        value = f"{owner[0]}:{owner[1]}@{writer}".encode()
        found = _OWNER_HEADERS[(owner, writer)] = [(OWNER_HEADER, value)]
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
        return cls.from_raw(raw)

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> AlertState:
        """An entry from a parsed changelog value; raises KeyError/TypeError/ValueError."""
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


_NONE = -(1 << 63)  # a missing expiry or delivery time in a packed entry
# version, live version, expiry, delivered at, seq, profile id, recipient set id, flags; then
# one 8-byte digest per strong identifier.
_HEAD = struct.Struct("<qqqqIIIB")
_SEQ = struct.Struct("<I")
_SEQ_AT = 32
_PROFILE = struct.Struct("<II")  # profile id and recipient set id, at _PROFILE_AT
_PROFILE_AT = _SEQ_AT + 4
_HEAD_SIZE = _HEAD.size
_CANCELLED = 1
_HELD = 2
Profile = tuple[str, str, Owner, str, str, str]  # org, kind, owner, live TLP, policy, origin


def ident_key(ident: str) -> bytes:
    """A hashed identifier as the state packs it: its first 8 bytes (older entries hold 12);
    any other text is hashed to 8 bytes."""
    if len(ident) >= 16:
        try:
            found = bytes.fromhex(ident[:16])
        except ValueError:
            found = b""
        if len(found) == 8:  # (``fromhex`` skips blanks)
            return found
    return hashlib.blake2b(ident.encode(), digest_size=8).digest()


_DAY_MS = 86_400_000


@dataclass(slots=True)
class _Timers:
    """One owner's expiry timers, in two tiers so a far deadline costs a list slot only:
    ``near`` is a heap of (deadline, alert id) due before ``horizon_ms``; ``far`` holds the
    later alert ids per day of their deadline, moved to ``near`` as their day comes near."""

    near: list[tuple[int, str]] = field(default_factory=list)
    far: dict[int, list[str]] = field(default_factory=dict)
    days: list[int] = field(default_factory=list)
    horizon_ms: int = 0

    def arm(self, deadline_ms: int, alert_id: str, previous_ms: int | None = None) -> None:
        """Arm a deadline; ``previous_ms`` (the alert's deadline already armed here) on the same
        far day arms nothing: that day's bucket holds the id and ``coming`` re-reads it."""
        if deadline_ms < self.horizon_ms:
            heapq.heappush(self.near, (deadline_ms, alert_id))
            return
        day = deadline_ms // _DAY_MS
        if (
            previous_ms is not None
            and previous_ms >= self.horizon_ms
            and previous_ms // _DAY_MS == day
        ):
            return  # an update keeping its expiry day: one slot, not one per version
        bucket = self.far.get(day)
        if bucket is None:
            self.far[day] = [alert_id]
            heapq.heappush(self.days, day)
        elif bucket[-1] is not alert_id:
            bucket.append(alert_id)

    def coming(self, now_ms: int) -> list[str]:
        """The alert ids of the days that begin within a day of ``now_ms`` (to be moved to
        ``near`` with their current deadline); ``horizon_ms`` moves past them."""
        out: list[str] = []
        limit = now_ms + _DAY_MS
        while self.days and self.days[0] * _DAY_MS < limit:
            day = heapq.heappop(self.days)
            out.extend(self.far.pop(day, ()))
            self.horizon_ms = max(self.horizon_ms, (day + 1) * _DAY_MS)
        return out


class StateStore:
    """Committed entries, per-owner staged changes, and the identifier index used for linking.

    Committed entries are packed (about 250 bytes an alert in memory with the index and the
    timers, docs/benchmarks.md): one ``bytes`` per alert holding its numbers, the ids of its
    interned recipient set and of its interned profile (organization, kind, owner, TLP, policy
    version, origin) and its identifiers as 8-byte digests; a held version (payload and all)
    is kept apart only while it is held. The identifier index is an :class:`IdentIndex`
    (packed digests, no object per identifier). :meth:`get` and :meth:`committed` unpack an
    :class:`AlertState` on demand.
    """

    def __init__(self, changelog_topic: str) -> None:
        self.changelog_topic = changelog_topic
        self._entries: dict[str, bytes] = {}
        self._held: dict[str, Held] = {}
        self._held_by: dict[Owner, set[str]] = {}
        self._staged: dict[Owner, dict[str, AlertState]] = {}
        self._timers: dict[Owner, _Timers] = {}
        # The owners whose expiry timers this store keeps: None until :meth:`own` is first
        # called (then every owner's are, as a single process needs).
        self._local: set[Owner] | None = None
        self._index = IdentIndex()
        self._strings: dict[str, str] = {}  # one copy of each organization, kind, TLP ...
        self._owners: dict[Owner, Owner] = {}
        self._profiles: list[Profile] = []
        self._profile_ids: dict[Profile, int] = {}
        self._sets: list[frozenset[str]] = []
        self._set_ids: dict[frozenset[str], int] = {}

    def __len__(self) -> int:
        return len(self._entries)

    # -- reading -------------------------------------------------------------------------

    def get(self, owner: Owner, alert_id: str) -> AlertState | None:
        """The entry as this owner's open transaction sees it (staged first, then committed)."""
        staged = self._staged.get(owner)
        if staged is not None:
            found = staged.get(alert_id)
            if found is not None:
                return found
        return self.committed(alert_id)

    def staged(self, owner: Owner, alert_id: str) -> AlertState | None:
        """The change ``owner``'s open transaction staged for the alert, if any."""
        staged = self._staged.get(owner)
        return None if staged is None else staged.get(alert_id)

    def committed(self, alert_id: str) -> AlertState | None:
        """The committed entry, whoever owns it."""
        blob = self._entries.get(alert_id)
        return None if blob is None else self._unpack(alert_id, blob)

    def entries(self) -> Iterator[AlertState]:
        """Every committed entry (unpacked one by one)."""
        for alert_id, blob in self._snapshot():
            yield self._unpack(alert_id, blob)

    def _snapshot(self) -> Iterator[tuple[str, bytes]]:
        """Every committed (alert id, blob), safe against changes while a caller awaits: the
        ids are copied as one list (not a tuple per entry: the periodic scans of a large state
        made the hub's memory grow by whole allocator arenas), an entry gone since is skipped."""
        entries = self._entries
        for alert_id in list(entries):
            blob = entries.get(alert_id)
            if blob is not None:
                yield alert_id, blob

    def delivered_before(
        self, cutoff_ms: int, owners: Iterable[Owner] | None = None
    ) -> Iterator[AlertState]:
        """Committed entries that reach someone and were delivered at or before ``cutoff_ms``
        (of ``owners`` only, when given); only those are unpacked."""
        wanted = None if owners is None else self._profile_owner_ids(set(owners))
        sets, unpack = self._sets, _HEAD.unpack_from
        for alert_id, blob in self._snapshot():
            _, _, _, delivered, _, profile, rset, _ = unpack(blob)
            if delivered == _NONE or delivered > cutoff_ms or not sets[rset]:
                continue
            if wanted is not None and profile not in wanted:
                continue
            yield self._unpack(alert_id, blob)

    def held_count(self, owners: Iterable[Owner] | None = None) -> int:
        """How many committed entries wait for review (of ``owners`` only, when given)."""
        if owners is None:
            return len(self._held)
        return sum(len(self._held_by.get(owner, ())) for owner in owners)

    def _profile_owner_ids(self, owners: set[Owner]) -> frozenset[int]:
        return frozenset(i for i, p in enumerate(self._profiles) if p[2] in owners)

    def _unpack(self, alert_id: str, blob: bytes) -> AlertState:
        version, live, expires, delivered, seq, profile, rset, flags = _HEAD.unpack_from(blob)
        org, kind, owner, tlp, policy_version, origin = self._profiles[profile]
        idents: tuple[str, ...] = ()
        if len(blob) > _HEAD_SIZE:
            idents = tuple(blob[i : i + 8].hex() for i in range(_HEAD_SIZE, len(blob), 8))
        return AlertState(
            alert_id, version, org, kind, owner, self._sets[rset],
            None if expires == _NONE else expires, idents,
            self._held.get(alert_id) if flags & _HELD else None, bool(flags & _CANCELLED), seq,
            live, tlp, policy_version, origin, None if delivered == _NONE else delivered,
        )  # fmt: skip

    # -- staging and committing ------------------------------------------------------------

    def stage(self, owner: Owner, entry: AlertState) -> Output:
        """Stage a change for ``owner``'s transaction; returns the changelog record to send."""
        previous = self._seq(owner, entry.alert_id)
        if previous is not None and entry.seq <= previous:
            entry = replace(entry, seq=previous + 1)  # callers normally bump it themselves
        self._staged.setdefault(owner, {})[entry.alert_id] = entry
        return Output(
            self.changelog_topic, entry.alert_id.encode(), entry.to_bytes(), owner_headers(owner)
        )

    def _seq(self, owner: Owner, alert_id: str) -> int | None:
        staged = self.staged(owner, alert_id)
        if staged is not None:
            return staged.seq
        blob = self._entries.get(alert_id)
        return None if blob is None else int(_SEQ.unpack_from(blob, _SEQ_AT)[0])

    def commit(self, owner: Owner) -> None:
        """The owner's transaction committed: its staged entries become the committed view."""
        staged = self._staged.pop(owner, None)
        if staged:
            for entry in staged.values():
                self.apply(entry)

    def abort(self, owner: Owner) -> None:
        """The owner's transaction aborted: forget what it staged, and re-arm the expiry of
        the entries it touched (``due`` took their timers; the expiry must run again)."""
        staged = self._staged.pop(owner, None)
        if not staged:
            return
        for alert_id in staged:
            entry = self.committed(alert_id)
            deadline = None if entry is None else entry.deadline_ms()
            if entry is not None and deadline is not None:
                self._arm(entry.owner, deadline, alert_id)

    def apply(self, entry: AlertState) -> bool:
        """Make an entry committed (restore or commit); an older ``seq`` is ignored."""
        old = self._entries.get(entry.alert_id)
        if old is not None and _SEQ.unpack_from(old, _SEQ_AT)[0] >= entry.seq:
            return False
        profile = (
            entry.org, entry.kind, entry.owner, entry.live_tlp, entry.policy_version,
            entry.origin,
        )  # fmt: skip
        self._put(
            entry.alert_id, old, version=entry.version, live=entry.live_version,
            expires=entry.expires_at_ms, delivered=entry.delivered_at_ms, seq=entry.seq,
            profile=profile, recipients=entry.recipients, cancelled=entry.cancelled,
            idents=b"".join(ident_key(i) for i in entry.idents), held=entry.held,
        )  # fmt: skip
        return True

    def apply_raw(self, raw: dict[str, Any]) -> bool:
        """:meth:`apply` for a parsed changelog value without building an entry (restore);
        raises KeyError/TypeError/ValueError when malformed."""
        if raw.get("h") is not None:
            return self.apply(AlertState.from_raw(raw))  # held: rare, the full path
        alert_id = raw["id"]
        if not isinstance(alert_id, str):
            raise TypeError("alert id")
        seq = int(raw.get("s", 0))
        old = self._entries.get(alert_id)
        if old is not None and _SEQ.unpack_from(old, _SEQ_AT)[0] >= seq:
            return False
        expires, delivered = raw.get("x"), raw.get("da")
        profile = (
            str(raw["org"]), str(raw["kind"]), (str(raw["t"]), int(raw["p"])),
            str(raw.get("lt", "")), str(raw.get("pv", "")), str(raw.get("oc", "")),
        )  # fmt: skip
        self._put(
            alert_id, old, version=int(raw["v"]), live=int(raw.get("lv", 0)),
            expires=None if expires is None else int(expires),
            delivered=None if delivered is None else int(delivered), seq=seq, profile=profile,
            recipients=frozenset(raw["r"]), cancelled=bool(raw.get("c", False)),
            idents=b"".join(ident_key(i) for i in raw.get("i", ())), held=None,
        )  # fmt: skip
        return True

    def _put(
        self, alert_id: str, old: bytes | None, *, version: int, live: int,
        expires: int | None, delivered: int | None, seq: int, profile: Profile,
        recipients: frozenset[str], cancelled: bool, idents: bytes, held: Held | None,
    ) -> None:  # fmt: skip
        profile_id = self._profile_ids.get(profile)
        if profile_id is None:
            org, kind, owner, tlp, policy_version, origin = profile
            text = self._strings
            profile = (
                text.setdefault(org, org), text.setdefault(kind, kind),
                self._owners.setdefault(owner, owner), text.setdefault(tlp, tlp),
                text.setdefault(policy_version, policy_version), text.setdefault(origin, origin),
            )  # fmt: skip
            profile_id = self._profile_ids[profile] = len(self._profiles)
            self._profiles.append(profile)
        owner = self._profiles[profile_id][2]
        if type(recipients) is not frozenset:
            recipients = frozenset(recipients)  # a caller's plain set
        set_id = self._set_ids.get(recipients)
        if set_id is None:
            set_id = self._set_ids[recipients] = len(self._sets)
            self._sets.append(recipients)
        flags = (_CANCELLED if cancelled else 0) | (_HELD if held is not None else 0)
        self._entries[alert_id] = _HEAD.pack(
            version, live, _NONE if expires is None else expires,
            _NONE if delivered is None else delivered, seq, profile_id, set_id, flags,
        ) + idents  # fmt: skip
        old_idents = b"" if old is None else old[_HEAD_SIZE:]
        if old_idents != idents:
            for i in range(0, len(old_idents), 8):
                self._index.discard(old_idents[i : i + 8], alert_id)
            for i in range(0, len(idents), 8):
                self._index.add(idents[i : i + 8], alert_id)
        previous = None if old is None else self._deadline(alert_id, old, owner)
        if old is not None and old[_HEAD_SIZE - 1] & _HELD:
            old_owner = self._profiles[_HEAD.unpack_from(old)[5]][2]
            self._held_by.get(old_owner, set()).discard(alert_id)
        if held is not None:
            self._held[alert_id] = held
            self._held_by.setdefault(owner, set()).add(alert_id)
        else:
            self._held.pop(alert_id, None)
        found = expires if recipients else None
        if held is not None and held.expires_at_ms is not None:
            found = held.expires_at_ms if found is None else min(found, held.expires_at_ms)
        if found is not None:
            self._arm(owner, found, alert_id, previous)

    def _deadline(self, alert_id: str, blob: bytes, owner: Owner) -> int | None:
        """The deadline a committed entry armed for ``owner`` (None: none, or another owner)."""
        _, _, expires, _, _, profile, rset, flags = _HEAD.unpack_from(blob)
        if self._profiles[profile][2] is not owner:
            return None
        found = expires if expires != _NONE and self._sets[rset] else None
        hold = self._held.get(alert_id) if flags & _HELD else None
        if hold is not None and hold.expires_at_ms is not None:
            found = hold.expires_at_ms if found is None else min(found, hold.expires_at_ms)
        return found

    # -- the identifier index ----------------------------------------------------------------

    def linked(self, idents: Iterable[str], alert_id: str) -> list[str]:
        """Other alerts (committed) sharing a strong identifier with this one: sorted, at most
        ``MAX_LINKED`` so a much-reported document cannot bloat every record's headers."""
        found: set[str] = set()
        for ident in idents:
            found.update(self._index.get(ident_key(ident)))
        found.discard(alert_id)
        return sorted(found)[:MAX_LINKED]

    def holders(self, alert_id: str) -> frozenset[str]:
        """The countries that may be told of ``alert_id`` now: its committed recipients, less
        any a change staged in an open transaction of this instance takes away."""
        blob = self._entries.get(alert_id)
        if blob is None:
            return frozenset()
        found: frozenset[str] = self._sets[_HEAD.unpack_from(blob)[6]]
        for staged in self._staged.values():
            pending = staged.get(alert_id)
            if pending is not None:
                found = found & pending.recipients
        return found

    # -- timers and review ----------------------------------------------------------------

    def own(self, owners: Iterable[Owner]) -> None:
        """This instance now writes these owners' entries: their expiry timers are kept, armed
        again from their committed entries. From the first call on only owned owners' timers
        are kept (an entry another instance's tail brings in arms none); before it, every
        owner's are."""
        wanted = set(owners)
        if self._local is None:  # every owner's timers are armed: keep the owned ones only
            self._local = wanted
            for owner in [o for o in self._timers if o not in wanted]:
                del self._timers[owner]
            return
        fresh = wanted - self._local
        if fresh:
            self._local |= fresh
            self._rearm(fresh)

    def disown(self, owners: Iterable[Owner]) -> None:
        """These owners' partitions moved to another instance: their timers are dropped (that
        instance expires their entries now)."""
        for owner in owners:
            if self._local is not None:
                self._local.discard(owner)
            self._timers.pop(owner, None)

    def armed(self, owner: Owner) -> int:
        """How many expiry timers are armed for ``owner`` (an alert may hold several)."""
        timers = self._timers.get(owner)
        if timers is None:
            return 0
        return len(timers.near) + sum(len(ids) for ids in timers.far.values())

    def _arm(
        self, owner: Owner, deadline_ms: int, alert_id: str, previous_ms: int | None = None
    ) -> None:
        local = self._local
        if local is not None and owner not in local:
            return  # another instance's: it runs their expiry
        timers = self._timers.get(owner)
        if timers is None:
            timers = self._timers[owner] = _Timers()
        timers.arm(deadline_ms, alert_id, previous_ms)

    def _rearm(self, owners: set[Owner]) -> None:
        """Arm the timers of the committed entries of ``owners`` (only theirs are unpacked)."""
        wanted = self._profile_owner_ids(owners)
        if not wanted:
            return
        profiles, sets, held = self._profiles, self._sets, self._held
        profile_of, head = _PROFILE.unpack_from, _HEAD.unpack_from
        for alert_id, blob in self._entries.items():
            if profile_of(blob, _PROFILE_AT)[0] not in wanted:
                continue
            _, _, expires, _, _, profile, rset, flags = head(blob)
            found = expires if expires != _NONE and sets[rset] else None
            hold = held.get(alert_id) if flags & _HELD else None
            if hold is not None and hold.expires_at_ms is not None:
                found = hold.expires_at_ms if found is None else min(found, hold.expires_at_ms)
            if found is not None:
                self._arm(profiles[profile][2], found, alert_id)

    def due(self, owner: Owner, now_ms: int) -> list[AlertState]:
        """Committed entries of ``owner`` whose live expiry or held version's expiry passed."""
        timers = self._timers.get(owner)
        if timers is None:
            return []
        for alert_id in timers.coming(now_ms):
            entry = self.committed(alert_id)
            deadline = None if entry is None else entry.deadline_ms()
            if entry is not None and entry.owner == owner and deadline is not None:
                heapq.heappush(timers.near, (deadline, alert_id))
        heap = timers.near
        out: list[AlertState] = []
        seen: set[str] = set()
        while heap and heap[0][0] <= now_ms:
            deadline, alert_id = heapq.heappop(heap)
            if alert_id in seen:
                continue
            entry = self.committed(alert_id)
            if entry is not None and entry.owner == owner and entry.deadline_ms() == deadline:
                seen.add(alert_id)
                out.append(entry)
        return out

    def held(self, owner: Owner) -> list[AlertState]:
        """Committed entries of ``owner`` waiting for review."""
        ids = self._held_by.get(owner)
        if not ids:
            return []
        return [e for a in list(ids) if (e := self.committed(a)) and e.held is not None]


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

    @property
    def owners(self) -> frozenset[Owner]:
        """The input partitions this instance owns (and is the only writer of)."""
        return frozenset(self._owners)

    def own(self, owners: Iterable[Owner]) -> None:
        """This instance now writes these input partitions' entries: the tail skips the
        records this process wrote for them (another writer's are applied), and the store
        keeps their expiry timers (:meth:`StateStore.own`)."""
        owners = list(owners)
        for owner in owners:
            self._owners.add(owner)
            self._owned.add(owner_headers(owner)[0][1])
        self.store.own(owners)

    def disown(self, owners: Iterable[Owner]) -> None:
        """These input partitions moved away: the tail applies their entries again, and the
        store drops their expiry timers."""
        owners = list(owners)
        for owner in owners:
            self._owners.discard(owner)
            self._owned.discard(owner_headers(owner)[0][1])
        self.store.disown(owners)

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
            target: dict[TopicPartition, int] = await self._consumer.end_offsets(self._partitions)
            return await self._read(target, timeout_s, skip_owned=True)

    async def ends(self) -> dict[TopicPartition, int]:
        """Each changelog partition's end now, open transactions included (high watermark):
        every record committed before this call lies below it."""
        async with self._lock:
            ends: dict[TopicPartition, int] = await self._probe.end_offsets(self._partitions)
            return ends

    async def reached(self, ends: dict[TopicPartition, int]) -> bool:
        """Whether this view has read past ``ends`` (from :meth:`ends`) on every partition:
        then it holds every entry committed before those ends were taken."""
        async with self._lock:
            for tp, end in ends.items():
                if await self._consumer.position(tp) < end:
                    return False
            return True

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
            marked = False
            for name, value in record.headers or ():
                if name == OWNER_HEADER:
                    marked = True
                    if skip_owned and value in owned:
                        return  # written by this process: its view of it is the newest
            # A record of an owned partition by another writer is applied: that writer took
            # the partition while this process was away (a zombie), and its entries are newer.
            if (
                self.side is not None
                and record.key is not None
                and self.side(record.key, record.value)
            ):
                return
            if record.value is None:
                return
            try:
                raw = orjson.loads(record.value)
                if skip_owned and not marked and (raw["t"], raw["p"]) in owners:
                    return  # written before the owner header existed; still ours
                applied += self.store.apply_raw(raw)
            except (ValueError, KeyError, TypeError):
                return  # a foreign or corrupt changelog record: nothing to restore

        await read_to_end(
            self._consumer, self._partitions, apply, target=target, timeout_s=timeout_s
        )
        return applied
