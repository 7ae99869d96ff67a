"""How the exactly-once engine tells a write it may retry from one it never can.

A send that fails for a passing reason (a leader moving, a broker restarting, a sequence gap
after it) is retried with a new transaction and, if need be, a new producer. A send the
broker refuses as it is (a record over the topic's ``max.message.bytes``, no permission)
fails the same way every time: the engine stops with :class:`TopicRefusedError`, which names
the topic and the fix, and commits nothing of that transaction.
"""

from __future__ import annotations

import asyncio

from aiokafka import errors as kafka_errors

from gateway.errors import FrontlineError

__all__ = ["REFUSED", "PartitionFailingError", "TopicRefusedError", "refused", "unasked_cancel"]


class PartitionFailingError(FrontlineError):
    """One input partition keeps failing: the engine stops rather than loop for ever."""


class TopicRefusedError(FrontlineError):
    """The broker refuses a write for good (too large, not allowed): retrying cannot help."""


# Errors that no retry can fix: the record or the topic is refused as it is.
REFUSED: tuple[type[BaseException], ...] = (
    kafka_errors.MessageSizeTooLargeError,
    kafka_errors.RecordListTooLargeError,
    kafka_errors.RecordTooLargeError,
    kafka_errors.InvalidTopicError,
    kafka_errors.TopicAuthorizationFailedError,
    kafka_errors.ClusterAuthorizationFailedError,
    kafka_errors.TransactionalIdAuthorizationFailed,
    kafka_errors.GroupAuthorizationFailedError,
    kafka_errors.UnsupportedForMessageFormatError,
    kafka_errors.PolicyViolationError,
)


def refused(topic: str, error: BaseException) -> TopicRefusedError:
    """The error that stops the engine, with the fix for the operator."""
    name = type(error).__name__
    topic = topic or "the transaction"
    if isinstance(error, (kafka_errors.MessageSizeTooLargeError,
                          kafka_errors.RecordListTooLargeError,
                          kafka_errors.RecordTooLargeError)):  # fmt: skip
        hint = (
            f"Raise max.message.bytes of topic {topic} above its largest record "
            f"(kafka-configs.sh --alter --entity-type topics --entity-name {topic} "
            "--add-config max.message.bytes=<bytes>) and start again: nothing was committed, "
            "the same input is read again."
        )
    elif "Authorization" in name:
        hint = f"Grant this client's principal write access to {topic} and start again."
    else:
        hint = f"Check topic {topic}'s configuration on the broker, then start again."
    return TopicRefusedError(
        f"The broker refused a write to {topic} ({name}); the transaction was aborted and "
        "its input offsets were not committed.",
        hint=hint,
    )


def unasked_cancel(error: object) -> bool:
    """Whether ``error`` (a result or an exception) is a ``CancelledError`` nobody asked the
    current task for.

    A future that the Kafka client cancels inside (a request dropped with its connection, a
    producer closed under it) raises ``CancelledError`` in whoever awaits it, though that task
    was never cancelled. For the engine that is a failed send or commit like any other: abort
    and re-read the partition. A real cancellation (``Task.cancel()``, which ``cancelling()``
    counts) is not one of these and still propagates.
    """
    if not isinstance(error, asyncio.CancelledError):
        return False
    task = asyncio.current_task()
    return task is not None and task.cancelling() == 0
