"""Neutrality review: what waits in ``<prefix>review`` and the reviewers' decisions.

The hub holds an alert matching a review rule on the compacted review topic (key alert id,
value the original payload, headers saying why). ``frontline review approve|reject`` publish a
:class:`ReviewDecision` to ``<prefix>review.decisions``. Every hub instance tails that topic
(:class:`DecisionTail`); the instance owning the alert's ingress partition applies the decision
inside that partition's transaction, so one writer ever changes an alert's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import orjson
import structlog

from gateway.errors import ConfigError
from gateway.kafka.clients import make_consumer, make_producer
from gateway.kafka.headers import H, headers_to_dict
from gateway.kafka.reading import assign_from_start, read_topic
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings

__all__ = [
    "MAX_NOTE",
    "DecisionTail",
    "HeldAlert",
    "ReviewDecision",
    "checked_note",
    "claimed_reviewer",
    "list_held",
    "publish_decision",
]

log = structlog.get_logger(__name__)

REVIEW_RULE = "fl-review-rule"
REVIEW_RECIPIENTS = "fl-review-recipients"
MAX_NOTE = 2000  # characters of a reviewer's note or reason
MAX_REVIEWER = 64


def checked_note(note: str, *, approve: bool) -> str:
    """The note stripped; ConfigError when a rejection has no reason or the text is too long."""
    text = note.strip()
    if not approve and not text:
        raise ConfigError(
            "a rejection needs a reason",
            hint="Say why it may not circulate: --reason 'Art. 3: political offence'.",
        )
    if len(text) > MAX_NOTE:
        raise ConfigError(
            f"the {'note' if approve else 'reason'} has {len(text)} characters, over {MAX_NOTE}",
            hint="Keep it short; reference a case file for the details.",
        )
    if not text.isprintable():
        raise ConfigError(
            "the note contains control characters",
            hint="Use plain text on one line.",
        )
    return text


def claimed_reviewer(environ: Mapping[str, str]) -> str:
    """The reviewer's name as the environment claims it (LOGNAME, USER, ..., else the account
    name): not authenticated.

    Audit records carry it with ``reviewer_authenticated: false`` until operators are
    authenticated; ConfigError when no name is set or it is not a plain short name.
    """
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):  # getpass.getuser's order
        name = environ.get(variable, "").strip()
        if name:
            break
    else:
        try:
            name = pwd.getpwuid(os.getuid()).pw_name
        except KeyError:
            raise ConfigError(
                "no reviewer name: LOGNAME and USER are unset and the user id has no name",
                hint="Set LOGNAME to your operator name; it is recorded (unauthenticated).",
            ) from None
    if len(name) > MAX_REVIEWER or not name.isprintable():
        raise ConfigError(
            f"the reviewer name in LOGNAME/USER is not a plain name of at most {MAX_REVIEWER}"
            " characters",
            hint="Set LOGNAME to your operator name.",
        )
    return name


@dataclass(frozen=True, slots=True)
class ReviewDecision:
    """A reviewer's verdict on one held version of an alert.

    ``reviewer`` is the name the reviewer's environment claims; nothing authenticates it
    yet, so the record and the hub's audit say ``reviewer_authenticated: false``.
    """

    alert_id: str
    version: int
    approve: bool
    reviewer: str
    note: str = ""
    ts_ms: int = 0

    def to_bytes(self) -> bytes:
        """JSON value of the decision record."""
        return orjson.dumps(
            {
                "alert_id": self.alert_id,
                "version": self.version,
                "decision": "APPROVE" if self.approve else "REJECT",
                "reviewer": self.reviewer,
                "reviewer_authenticated": False,
                "note": self.note,
                "ts": self.ts_ms,
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> ReviewDecision:
        """Parse a decision record; ValueError when it is not one."""
        try:
            raw: dict[str, Any] = orjson.loads(data)
            decision = raw["decision"]
            if decision not in {"APPROVE", "REJECT"}:
                raise ValueError(f"unknown decision {decision!r}")
            return cls(
                alert_id=str(raw["alert_id"]),
                version=int(raw["version"]),
                approve=decision == "APPROVE",
                reviewer=str(raw.get("reviewer", "")),
                note=str(raw.get("note", "")),
                ts_ms=int(raw.get("ts", 0)),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError) as error:
            raise ValueError(f"not a review decision: {type(error).__name__}") from None


@dataclass(frozen=True, slots=True)
class HeldAlert:
    """One alert waiting for review, as ``frontline review list`` shows it (no personal data)."""

    alert_id: str
    version: int
    org: str
    kind: str
    tlp: str
    rule: str
    recipients: tuple[str, ...]
    held_at_ms: int


async def list_held(settings: Settings, *, timeout_s: float = 30.0) -> list[HeldAlert]:
    """The compacted view of the review topic: the latest held record per alert, in order."""
    topic = TopicNames(settings.topic_prefix).review
    latest: dict[str, HeldAlert | None] = {}

    def keep(record: Any) -> None:
        if record.key is not None:
            alert_id = record.key.decode()
            latest[alert_id] = (
                None if record.value is None else _held_view(alert_id, record.headers)
            )

    await read_topic(settings, topic, keep, timeout_s=timeout_s)
    held = [h for h in latest.values() if h is not None]
    return sorted(held, key=lambda h: h.held_at_ms)


def _held_view(alert_id: str, headers: Any) -> HeldAlert:
    values = headers_to_dict(headers)
    recipients = values.get(REVIEW_RECIPIENTS, "")
    return HeldAlert(
        alert_id=alert_id,
        version=int(values.get(H.VERSION, "0") or 0),
        org=values.get(H.ORG, ""),
        kind=values.get(H.KIND, ""),
        tlp=values.get(H.TLP, ""),
        rule=values.get(REVIEW_RULE, ""),
        recipients=tuple(c for c in recipients.split(",") if c),
        held_at_ms=int(values.get(H.TS_HUB, "0") or 0),
    )


async def publish_decision(settings: Settings, decision: ReviewDecision) -> None:
    """Write a decision for the hub; ConfigError if the alert is not waiting in that version
    or a rejection carries no reason."""
    note = checked_note(decision.note, approve=decision.approve)
    held = {h.alert_id: h for h in await list_held(settings)}
    waiting = held.get(decision.alert_id)
    if waiting is None:
        raise ConfigError(
            f"alert {decision.alert_id} is not waiting for review",
            hint="`frontline review list` shows the alerts that wait.",
        )
    if decision.version not in {0, waiting.version}:
        raise ConfigError(
            f"alert {decision.alert_id} waits in version {waiting.version}, not {decision.version}",
            hint="Review the version that waits, or omit --version.",
        )
    decision = replace(decision, note=note, version=decision.version or waiting.version)
    producer = make_producer(settings)
    await producer.start()
    try:
        topic = TopicNames(settings.topic_prefix).review_decisions
        await producer.send_and_wait(topic, decision.to_bytes(), key=decision.alert_id.encode())
    finally:
        await producer.stop()


class DecisionTail:
    """Reads every decision from the start and keeps the latest per alert, for the hub's ticks."""

    def __init__(self, settings: Settings, topic: str) -> None:
        self.settings = settings
        self.topic = topic
        self.latest: dict[str, ReviewDecision] = {}
        self._consumer: Any = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect, assign every partition from the beginning and start tailing."""
        self._consumer = make_consumer(self.settings, group_id=None)
        await self._consumer.start()
        await assign_from_start(self._consumer, self.topic)  # stop() closes it on failure
        await self.poll(timeout_ms=0)
        self._task = asyncio.create_task(self._run())

    async def poll(self, timeout_ms: int = 500) -> int:
        """Read what is available; returns how many decisions arrived."""
        batch = await self._consumer.getmany(timeout_ms=timeout_ms)
        count = 0
        for records in batch.values():
            for record in records:
                if record.value is None:
                    continue
                try:
                    decision = ReviewDecision.from_bytes(record.value)
                except ValueError:
                    log.warning("review_decision_unreadable", offset=record.offset)
                    continue
                self.latest[decision.alert_id] = decision
                count += 1
        return count

    async def _run(self) -> None:
        while True:
            try:
                await self.poll()
            except asyncio.CancelledError:
                raise
            except Exception:  # why: a broker hiccup must not stop reviews; retry shortly
                log.exception("review_tail_failed")
                await asyncio.sleep(1)

    def pending(self, alert_id: str, version: int) -> ReviewDecision | None:
        """The decision on this held version, if one arrived."""
        found = self.latest.get(alert_id)
        return found if found is not None and found.version == version else None

    async def stop(self) -> None:
        """Stop tailing and close the consumer."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()
