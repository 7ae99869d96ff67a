"""The engine's producers: transactional ids, starting with retries, stopping within a bound."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from gateway.kafka.clients import make_producer
from gateway.kafka.eos.errors import PartitionFailingError
from gateway.settings import Settings

__all__ = [
    "ABORT_TIMEOUT_S",
    "RENEW_DEADLINE_S",
    "START_TIMEOUT_S",
    "start_producer",
    "stop_within",
    "transactional_id",
]

log = structlog.get_logger(__name__)

# How long an abort, a producer's close or a new producer's start may take before retrying.
ABORT_TIMEOUT_S = 15.0
START_TIMEOUT_S = 30.0
# How long the engine keeps re-creating a partition's producer before it gives up.
RENEW_DEADLINE_S = 120.0


def transactional_id(app_id: str, tp: TopicPartition) -> str:
    """The id bound to one input partition: whoever owns the partition next fences a zombie."""
    return f"{app_id}-{tp.topic}-{tp.partition}"


async def stop_within(producer: AIOKafkaProducer) -> None:
    """Stop a producer, giving up (quietly) after ABORT_TIMEOUT_S or on a Kafka error."""
    with contextlib.suppress(KafkaError, TimeoutError):
        await asyncio.wait_for(producer.stop(), ABORT_TIMEOUT_S)


async def start_producer(
    settings: Settings, tid: str | None, overrides: dict[str, Any]
) -> AIOKafkaProducer:
    """A started producer (transactional when ``tid`` is set), retried until RENEW_DEADLINE_S."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RENEW_DEADLINE_S
    delay = 0.5
    while True:
        producer = make_producer(settings, transactional_id=tid, **overrides)
        try:
            await asyncio.wait_for(producer.start(), START_TIMEOUT_S)
        except (KafkaError, TimeoutError) as error:
            await stop_within(producer)
            if loop.time() + delay > deadline:
                where = "the shared producer" if tid is None else tid
                raise PartitionFailingError(
                    f"Could not start a producer for {where}: {type(error).__name__}",
                    hint="Check that the brokers run and answer, then start again.",
                ) from error
            log.warning("eos_producer_start_failed", error=type(error).__name__)
            await asyncio.sleep(delay)
            delay = min(5.0, delay * 2)
            continue
        return producer
