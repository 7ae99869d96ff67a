"""What a national bureau does by hand: list hits, confirm or dismiss them, flag alerts.

Nothing here talks to the running node directly: a decision or a flag is a message on the
node's own ``up`` topic (``fl.up.<ISO3>``), which the node consumes in its exactly-once
engine; listings fold the topics the node reads (docs/twoway.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from gateway.contract.messages import (
    Flag,
    FlagAction,
    HitDecision,
    HitDecisionKind,
    HitReport,
    Message,
    decode_as,
    encode_message,
    message_kind,
)
from gateway.errors import ConfigError, QuarantineError
from gateway.kafka.clients import make_producer
from gateway.kafka.reading import read_topic
from gateway.kafka.topic_names import TopicNames
from gateway.node.flags import flag_key
from gateway.node.hits import HitBook, HitEntry, HitStatus, fold_up_records
from gateway.settings import Settings

__all__ = ["decide_hit", "incoming_hits", "list_hits", "publish_flag"]

M = TypeVar("M", bound=Message)


def _build(model: type[M], **fields: Any) -> M:
    """The message, or a ConfigError naming the field that is wrong."""
    try:
        return model(**fields)
    except ValidationError as error:
        where = ".".join(map(str, error.errors()[0]["loc"]))
        raise ConfigError(
            f"invalid {model.kind} message: {where} {error.errors()[0]['msg']}",
            hint="check the value given for it (texts at most 2000 characters)",
        ) from None


async def list_hits(settings: Settings, country: str, *, timeout_s: float = 30.0) -> HitBook:
    """The hits of ``country``'s posts and their state, read from its ``up`` topic to its end."""
    records: list[Any] = []
    topic = TopicNames(settings.topic_prefix).up(country)
    await read_topic(settings, topic, records.append, timeout_s=timeout_s)
    return fold_up_records(records, country)


async def incoming_hits(
    settings: Settings, country: str, *, timeout_s: float = 30.0
) -> list[HitReport]:
    """Hits other countries' posts reported on alerts this country issued (its national topic)."""
    found: dict[str, HitReport] = {}

    def keep(record: Any) -> None:
        if message_kind(record.headers) != HitReport.kind:
            return
        try:
            report = decode_as(HitReport, HitReport.kind, record.value)
        except QuarantineError:
            return
        found[report.hit_id] = report

    topic = TopicNames(settings.topic_prefix).ncb(country)
    await read_topic(settings, topic, keep, timeout_s=timeout_s)
    return sorted(found.values(), key=lambda r: r.reported_at)


async def _publish(settings: Settings, topic: str, key: bytes, message: Message) -> None:
    value, headers = encode_message(message)
    producer = make_producer(settings)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


async def decide_hit(
    settings: Settings,
    country: str,
    hit_id: str,
    *,
    confirm: bool,
    reason: str | None,
    by: str,
) -> HitEntry:
    """Check that the hit waits for a decision, then send the decision to the node."""
    if not confirm and not (reason or "").strip():
        raise ConfigError(
            "a dismissal needs a reason", hint='pass --reason "why the hit is dismissed"'
        )
    book = await list_hits(settings, country)
    entry = book.get(hit_id)
    if entry is None:
        raise ConfigError(
            f"no hit {hit_id!r} from {country}'s posts",
            hint=f"list them with `frontline node hits {country} list`",
        )
    if entry.status is not HitStatus.PENDING:
        raise ConfigError(
            f"hit {hit_id} is already {entry.status.value}",
            hint="only a PENDING hit can be confirmed or dismissed",
        )
    decision = _build(
        HitDecision,
        hit_id=hit_id,
        country=country,
        decision=HitDecisionKind.CONFIRMED if confirm else HitDecisionKind.DISMISSED,
        reason=(reason or "").strip() or None,
        decided_at=datetime.now(UTC),
        decided_by=by,
    )
    topic = TopicNames(settings.topic_prefix).up(country)
    await _publish(settings, topic, hit_id.encode(), decision)
    settled = HitBook.on_decision(entry, decision)
    assert settled is not None  # a PENDING entry always settles
    return settled


async def publish_flag(
    settings: Settings,
    country: str,
    alert_id: str,
    *,
    flagged: bool,
    reason: str | None,
    action: FlagAction,
    by: str,
) -> Flag:
    """Send a flag (or its lifting) on ``alert_id`` to ``country``'s node."""
    if flagged and not (reason or "").strip():
        raise ConfigError("a flag needs a reason", hint='pass --reason "why it is flagged"')
    flag = _build(
        Flag,
        alert_id=alert_id,
        country=country,
        flagged=flagged,
        action=action,
        reason=(reason or "").strip() or None,
        at=datetime.now(UTC),
        by=by,
    )
    topic = TopicNames(settings.topic_prefix).up(country)
    await _publish(settings, topic, flag_key(alert_id), flag)
    return flag
