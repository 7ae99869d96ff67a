"""One border post: its store, watchlist, feed and screening, shared by the API and the CLI."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import getpass
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
import uvicorn
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from gateway.contract.messages import HitOutcome, HitReport
from gateway.errors import ConfigError, FrontlineError
from gateway.kafka.clock import now_ms
from gateway.kafka.topic_names import TopicNames
from gateway.post.access_log import AccessLog, AccessSource
from gateway.post.changes import ChangeRing
from gateway.post.feed import PostFeed
from gateway.post.feed_documents import DocumentPlan
from gateway.post.hits import (
    HitBook,
    UnknownAlertError,
    UnknownScreeningError,
    new_hit_id,
    subject_key,
)
from gateway.post.metrics import PostMetrics
from gateway.post.officers import Officers
from gateway.post.outbox import Outbox, OutboxPublisher
from gateway.post.receipts import Receipts
from gateway.post.screening import (
    DEFAULT_THRESHOLD,
    Hit,
    ObjectQuery,
    PersonQuery,
    ScreeningAnswer,
    Watchlist,
    screen_object,
    screen_person,
)
from gateway.post.screening.documents import action_for
from gateway.post.screening.entry import ACTION_SEVERITY, Entry
from gateway.post.screening.results import AlertRef, DismissedMatch, DocumentHit
from gateway.post.store import DocumentRow, DocumentRows, PostStore
from gateway.settings import Settings
from gateway.signals import run_until_signalled
from gateway.topology import Topology

__all__ = [
    "FEED_LOST_AFTER_S",
    "SCREEN_QUEUE",
    "SCREEN_WORKERS",
    "PostBusyError",
    "PostService",
    "local_officer",
    "resolve_post",
    "store_path",
]

log = structlog.get_logger(__name__)

# The feed fetches every half second when idle: this long without an answer, it is lost.
FEED_LOST_AFTER_S = 10.0
SCREEN_WORKERS = 2  # screenings at once, on threads off the event loop that follows the feed
SCREEN_QUEUE = 64  # screenings admitted at once (running or waiting); past it: busy (503)


def _strictest(alerts: list[AlertRef]) -> str:
    """The strictest action among alerts (a flagged one counts with its substitute action)."""
    return min((a.action for a in alerts), key=lambda a: ACTION_SEVERITY.get(a, 9))


class PostBusyError(FrontlineError):
    """Too many screenings in progress: the caller should retry in a moment."""


def resolve_post(topology: Topology, post_id: str) -> tuple[str, str]:
    """``ISO3.POST`` or a post id unique across countries -> (country, post); KeyError if not."""
    country, post = topology.post(post_id)
    return country.code, post.id


def store_path(settings: Settings, country: str, post: str) -> Path:
    """Where a post keeps its local store: ``<data_dir>/posts/<ISO3>.<POST>.sqlite``."""
    return settings.data_dir / "posts" / f"{country}.{post}.sqlite"


def local_officer() -> str:
    """How the access log names a screening made on this machine without a token."""
    try:
        return f"local:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for this uid
        return "local:?"


class _PositionedFeed(PostFeed):
    """The feed, also noting (under the watchlist gate) the offsets its watchlist reached.

    The store's offsets are written after the gate opens again, so a screening may see a
    batch the store does not count yet: the access log takes these instead.
    """

    positions: dict[int, int]
    changes: ChangeRing  # the latest changes, for the officer's console

    def _update_watchlist(self, staged: Any) -> None:
        held = self.changes.held(self.watchlist, staged.entries)
        super()._update_watchlist(staged)
        self.changes.note(held, staged.entries, staged.changes, staged.now_ms)
        self.positions.update({p: o for (_, p), o in staged.offsets.items()})

    def _store(self, staged: Any) -> DocumentPlan:
        plan = super()._store(staged)
        if plan.puts or plan.gone:  # travel documents changed too (committed now)
            self.changes.note_documents(plan, staged.now_ms)
        return plan


class PostService:
    """A border post's state and operations; ``run`` follows the feed and serves HTTP."""

    def __init__(
        self,
        settings: Settings,
        country: str,
        post: str,
        *,
        registry: CollectorRegistry | None = None,
        store: PostStore | None = None,
        retry_s: float = 1.0,
        restore: bool = True,
    ) -> None:
        self.settings = settings
        self.country = country
        self.post = post
        self.name = f"{country}.{post}"
        names = TopicNames(settings.topic_prefix)
        self.topic = names.post(country, post)
        self.access_topic = names.access(country)
        self.up_topic = names.up(country)
        self.registry = registry or CollectorRegistry()
        self.metrics = PostMetrics(self.registry, self.name)
        self.store = store or PostStore(store_path(settings, country, post))
        self.officers = Officers(self.store.path)
        self.access = AccessLog(self.store.path, self.name)
        self.watchlist = Watchlist()
        self.feed = _PositionedFeed(
            settings, self.topic, self.store, self.watchlist, self.metrics, retry_s=retry_s
        )
        self.feed.positions = self.store.offsets(self.topic)
        self.documents = self.feed.documents  # travel documents: a compact index of their own
        self.document_rows = DocumentRows(self.store.path)
        self.changes = self.feed.changes = ChangeRing()
        self.outbox = Outbox(self.store.path, f"up:{self.name}")
        self.book = HitBook(self.store.path)
        if settings.receipts:
            self.feed.receipts = Receipts(self.up_topic, country, post)
        self.publisher = OutboxPublisher(
            settings, [AccessSource(self.access, self.access_topic), self.outbox]
        )
        salt = settings.subject_salt
        self._salt = (
            salt.get_secret_value() if salt is not None else f"frontline-subject:{country}"
        ).encode()
        self.metrics.hits_awaiting.labels(self.name).set_function(self.book.awaiting)
        self.metrics.outbox_backlog.labels(self.name).set_function(self.outbox.pending)
        # restore=False leaves the loading to ``run``, which serves HTTP meanwhile.
        self.restored = self.feed.restore() if restore else None
        if self.restored is None:  # counted here: screenings must not touch the store
            self.feed.loading = (0, self.store.count())
        self._screeners: ThreadPoolExecutor | None = None  # started on first use
        self._admitted = 0

    # -- screening ----------------------------------------------------------------------------

    def screen_person(
        self,
        query: PersonQuery,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        limit: int = 10,
        officer: str | None = None,
    ) -> ScreeningAnswer:
        """Screen a traveller and log it (``officer`` None: a local screening, see
        ``local_officer``); the answer carries the watchlist's staleness."""
        asked = {**dataclasses.asdict(query), "threshold": threshold, "limit": limit}
        documents: list[DocumentHit] = []

        def search() -> list[Hit]:
            if query.document_number:
                documents.extend(self._documents(query.document_number, query.document_country))
            return screen_person(self.watchlist, query, threshold=threshold, limit=limit)

        return self._screen("person", search, asked, officer, documents=documents)

    def _documents(self, number: str, country: str | None) -> list[DocumentHit]:
        """Travel-document alerts on this number (under the read gate), confirmed against
        their store rows: the number as printed, dates, alert id and version."""
        matches = self.documents.lookup(number, country)
        if not matches:
            return []
        rows = self.document_rows.get([m.slot for m in matches])
        now = now_ms()
        found = []
        for match in matches:
            row = rows.get(match.slot)
            if row is None or row.issuer != match.issuer:
                continue  # changed since the index was read: the next batch settles it
            if row.expires_at is not None and row.expires_at <= now:
                continue  # expired: the hub's tombstone is on its way
            reported = row.reported_at
            found.append(
                DocumentHit(
                    alert_id=row.alert_id, version=row.version, org=row.org,
                    document_number=row.number, issuing_country=row.issuer,
                    document_type=row.doc_type, status=row.status,
                    reported_at=None if reported is None
                    else datetime.fromtimestamp(reported / 1000, UTC).date().isoformat(),
                    action=action_for(row.status), tlp=row.tlp,
                    issuer_matches=match.issuer_matches,
                )
            )  # fmt: skip
        return found

    def screen_object(
        self, query: ObjectQuery, *, limit: int = 10, officer: str | None = None
    ) -> ScreeningAnswer:
        """Screen a container, ship, vehicle or plate, and log it."""
        asked = {**dataclasses.asdict(query), "limit": limit}
        return self._screen(
            "object", lambda: screen_object(self.watchlist, query, limit=limit), asked, officer
        )

    def _screen(
        self,
        kind: str,
        search: Callable[[], list[Hit]],
        asked: dict[str, Any],
        officer: str | None,
        *,
        documents: list[DocumentHit] | None = None,
    ) -> ScreeningAnswer:
        """Search the watchlist under the feed's read gate (the hits and the feed positions
        they were read at agree), log the access, then answer; ``documents`` is filled by
        ``search`` with the travel-document alerts found."""
        started = time.perf_counter()
        with self.feed.gate.read():
            hits = search()
            positions = dict(self.feed.positions)
            if hits and self.feed.flags:
                hits = [self._flagged(hit) for hit in hits]
        dismissed: list[DismissedMatch] = []
        key = subject_key(self._salt, kind, asked) if hits else None
        if key is not None:
            hits, dismissed = self._dismiss(hits, key)
        documents = documents or []
        seq = self._log_access(
            kind, asked, hits, positions, officer, dismissed=dismissed, documents=documents
        )
        answer = self._answer(kind, hits, started, found=bool(hits or documents))
        update = {"screening_id": seq, "dismissed_false_matches": dismissed, "documents": documents}
        return answer.model_copy(update=update)

    def _flagged(self, hit: Hit) -> Hit:
        """A hit whose flagged alerts show the flag and the action that applies here."""
        flags = self.feed.flags
        if not any(a.alert_id in flags for a in hit.alerts):
            return hit
        alerts = [
            a.model_copy(
                update={
                    "action": flags[a.alert_id].action,
                    "flag": flags[a.alert_id].model_copy(update={"replaces": a.action}),
                }
            )
            if a.alert_id in flags
            else a
            for a in hit.alerts
        ]
        return hit.model_copy(update={"alerts": alerts, "action": _strictest(alerts)})

    def _dismiss(self, hits: list[Hit], key: str) -> tuple[list[Hit], list[DismissedMatch]]:
        """Take out the alert versions this traveller was found a FALSE_MATCH for."""
        pairs = {(a.alert_id, a.version) for hit in hits for a in hit.alerts}
        known = self.book.false_matches(key, pairs)
        if not known:
            return hits, []
        kept: list[Hit] = []
        dismissed: list[DismissedMatch] = []
        for hit in hits:
            gone = [a for a in hit.alerts if (a.alert_id, a.version) in known]
            left = [a for a in hit.alerts if (a.alert_id, a.version) not in known]
            if gone:
                versions = ", ".join(f"{a.alert_id} v{a.version}" for a in gone)
                dismissed.append(
                    DismissedMatch(
                        subject_id=hit.subject_id,
                        alerts=gone,
                        reason=f"this traveller was reported a FALSE_MATCH for {versions}",
                    )
                )
            if left:
                update = {"alerts": left, "action": _strictest(left)}
                kept.append(hit if not gone else hit.model_copy(update=update))
        return kept, dismissed

    def _log_access(
        self,
        kind: str,
        asked: dict[str, Any],
        hits: list[Hit],
        positions: dict[int, int],
        officer: str | None,
        *,
        dismissed: list[DismissedMatch],
        documents: list[DocumentHit],
    ) -> int:
        """One access-log row, committed before the answer leaves (no row, no answer); it
        names the alerts answered, dismissed FALSE_MATCHes included. Returns its number."""
        return self.access.append(
            officer=officer or local_officer(),
            kind=kind,
            query={k: v for k, v in asked.items() if v is not None},
            alerts=[(a.alert_id, a.version) for hit in hits for a in hit.alerts]
            + [(a.alert_id, a.version) for d in dismissed for a in d.alerts]
            + [(d.alert_id, d.version) for d in documents],
            feed_topic=self.topic,
            feed_offsets=positions,
        )

    # -- hits ---------------------------------------------------------------------------------

    def report_hit(  # why: the report's optional free-text fields, by keyword
        self,
        alert_id: str,
        outcome: HitOutcome,
        *,
        officer: str | None = None,
        screening_id: int | None = None,
        place: str | None = None,
        conveyance: str | None = None,
        route: str | None = None,
        companions: str | None = None,
        note: str | None = None,
    ) -> HitReport:
        """Store a hit on the alert version the post holds now; the publisher sends it."""
        with self.feed.gate.read():
            entry: Entry | DocumentRow | None = self.watchlist.get(alert_id)
        if entry is None:  # a travel-document alert is held in the store, not the watchlist
            entry = self.document_rows.by_alert(alert_id)
        if entry is None:
            raise UnknownAlertError(
                f"alert {alert_id[:200]} is not on the watchlist of post {self.name}",
                hint="name an alert id of the screening's answer (`frontline post watchlist`)",
            )
        key = None
        if screening_id is not None:
            rows = self.access.entries(after_seq=screening_id - 1, limit=1)
            if not rows or rows[0].seq != screening_id:
                raise UnknownScreeningError(
                    f"no screening {screening_id} in the access log of post {self.name}",
                    hint="use the screening_id of the screening's answer, or leave it out",
                )
            key = subject_key(self._salt, rows[0].kind, rows[0].query)
        try:
            report = HitReport(
                hit_id=new_hit_id(),
                alert_id=alert_id,
                alert_version=entry.version,
                org=entry.org,
                tlp=entry.tlp or "AMBER",
                country=self.country,
                post_id=self.post,
                officer_id=officer or local_officer(),
                outcome=outcome,
                reported_at=datetime.now(UTC),
                place=place,
                conveyance=conveyance,
                route=route,
                companions=companions,
                note=note,
                subject_key=key,
            )
        except ValidationError as error:
            where = ".".join(str(p) for p in error.errors()[0]["loc"])
            raise ConfigError(
                f"invalid hit report: {where}: {error.errors()[0]['msg']}",
                hint="free-text fields take up to 2000 characters",
            ) from None
        self.book.record(report, self.up_topic)
        self.metrics.hits.labels(self.name, outcome.value).inc()
        self.publisher.wake()
        log.info(
            "post_hit_reported", post=self.name, hit_id=report.hit_id, alert_id=alert_id,
            version=entry.version, outcome=outcome.value,
        )  # fmt: skip
        return report

    async def screen_person_async(
        self,
        query: PersonQuery,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        limit: int = 10,
        officer: str | None = None,
    ) -> ScreeningAnswer:
        """``screen_person`` on a worker thread: the event loop keeps following the feed."""
        call = functools.partial(
            self.screen_person, query, threshold=threshold, limit=limit, officer=officer
        )
        return await self._offload(call)

    async def screen_object_async(
        self, query: ObjectQuery, *, limit: int = 10, officer: str | None = None
    ) -> ScreeningAnswer:
        """``screen_object`` on a worker thread."""
        call = functools.partial(self.screen_object, query, limit=limit, officer=officer)
        return await self._offload(call)

    async def _offload(self, call: Callable[[], ScreeningAnswer]) -> ScreeningAnswer:
        if self._admitted >= SCREEN_QUEUE:
            raise PostBusyError(
                f"{self._admitted} screenings in progress at post {self.name}",
                hint="send again in a second",
            )
        if self._screeners is None:
            self._screeners = ThreadPoolExecutor(SCREEN_WORKERS, f"screen-{self.name}")
        self._admitted += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._screeners, call)
        finally:
            self._admitted -= 1

    def _answer(
        self, kind: str, hits: list[Hit], started: float, *, found: bool | None = None
    ) -> ScreeningAnswer:
        took = time.perf_counter() - started
        self.metrics.screening_seconds.labels(kind).observe(took)
        hit = bool(hits) if found is None else found
        self.metrics.screenings.labels(self.name, kind, "hit" if hit else "clear").inc()
        staleness = self.feed.staleness_seconds()
        warnings = []
        if self.restored is None:
            done, total = self.feed.loading or (0, 0)
            warnings.append(
                f"the watchlist is still loading from the local store: {done} of {total} alerts"
            )
        if staleness is None:
            warnings.append("the post has never reached its feed: the watchlist may be empty")
        elif staleness > FEED_LOST_AFTER_S:
            warnings.append(f"the watchlist was last refreshed {staleness:.0f} s ago")
        return ScreeningAnswer(
            hits=hits,
            watchlist_size=len(self.watchlist),
            staleness_seconds=None if staleness is None else round(staleness, 3),
            took_ms=round(took * 1000, 3),
            warnings=warnings,
        )

    # -- running ------------------------------------------------------------------------------

    async def run(self, *, http_port: int | None = None, host: str = "127.0.0.1") -> None:
        """Follow the feed and, with ``http_port``, serve the API on the same event loop."""
        if http_port is None:  # uvicorn handles the signals when it serves
            await run_until_signalled(self._run(None, host), self.stop)
        else:
            await self._run(http_port, host)

    async def _run(self, http_port: int | None, host: str) -> None:
        from gateway.post.api import create_app  # noqa: PLC0415  # why: the CLI's offline commands need no web stack

        self.store.claim()  # one writer per store: a second `post run` stops here
        tasks: list[asyncio.Task[None]] = []
        server: uvicorn.Server | None = None
        if http_port is not None:
            config = uvicorn.Config(
                create_app(self), host=host, port=http_port, log_config=None, access_log=False
            )
            server = uvicorn.Server(config)
            tasks.append(asyncio.create_task(server.serve(), name="post-http"))
        try:
            await self.load()  # the API answers (flagged "loading") meanwhile
            log.info("post_started", post=self.name, topic=self.topic, restored=self.restored)
            # The feed starts after the store is loaded: a stored version must never land
            # on top of a newer one, or resurrect an alert the feed has since removed.
            tasks.append(asyncio.create_task(self.feed.run(), name="post-feed"))
            tasks.append(asyncio.create_task(self.publisher.run(), name="post-access"))
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            self.stop()
            if server is not None:
                server.should_exit = True
            await asyncio.gather(*tasks, return_exceptions=True)
            self.close()

    async def load(self) -> int:
        """Load the local store without blocking the loop (for ``restore=False``)."""
        if self.restored is None:
            self.restored = await self.feed.restore_async()
        return self.restored

    def stop(self) -> None:
        """Ask ``run`` to return."""
        self.feed.stop()
        self.publisher.stop()

    def close(self) -> None:
        """Stop the screening threads and close the store (and its lock)."""
        if self._screeners is not None:
            self._screeners.shutdown(wait=False, cancel_futures=True)
            self._screeners = None
        self.officers.close()
        self.access.close()
        self.book.close()
        self.document_rows.close()
        self.outbox.close()
        self.store.close()
