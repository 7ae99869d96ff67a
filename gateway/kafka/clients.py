"""Kafka clients built from the settings, so every component connects the same way."""

from __future__ import annotations

import ssl
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from gateway.broker.local import LocalCluster
from gateway.errors import SetupError
from gateway.settings import SecurityProtocol, Settings

__all__ = [
    "client_kwargs",
    "make_admin",
    "make_consumer",
    "make_producer",
    "resolve_bootstrap",
]


def resolve_bootstrap(settings: Settings) -> str:
    """FRONTLINE_BOOTSTRAP_SERVERS, else the local broker under the data folder."""
    if settings.bootstrap_servers:
        return settings.bootstrap_servers
    state = LocalCluster(settings.data_dir / "broker").status()
    if state.state != "stopped" and state.bootstrap:  # a node down still leaves a cluster
        return state.bootstrap
    raise SetupError(
        "No Kafka broker: FRONTLINE_BOOTSTRAP_SERVERS is not set and no local broker runs.",
        hint="Start one with `frontline broker up`, or set FRONTLINE_BOOTSTRAP_SERVERS.",
    )


def client_kwargs(settings: Settings) -> dict[str, Any]:
    """Connection and security arguments shared by producers, consumers and admin clients."""
    kwargs: dict[str, Any] = {
        "bootstrap_servers": resolve_bootstrap(settings),
        "security_protocol": settings.security_protocol.value,
    }
    if settings.security_protocol in (SecurityProtocol.SSL, SecurityProtocol.SASL_SSL):
        context = ssl.create_default_context(
            cafile=str(settings.ssl_cafile) if settings.ssl_cafile else None
        )
        if settings.ssl_certfile:
            context.load_cert_chain(
                str(settings.ssl_certfile),
                str(settings.ssl_keyfile) if settings.ssl_keyfile else None,
            )
        kwargs["ssl_context"] = context
    if settings.security_protocol in (SecurityProtocol.SASL_PLAINTEXT, SecurityProtocol.SASL_SSL):
        kwargs["sasl_mechanism"] = settings.sasl_mechanism or "PLAIN"
        kwargs["sasl_plain_username"] = settings.sasl_username
        kwargs["sasl_plain_password"] = (
            settings.sasl_password.get_secret_value() if settings.sasl_password else None
        )
    return kwargs


def make_producer(
    settings: Settings, *, transactional_id: str | None = None, **overrides: Any
) -> AIOKafkaProducer:
    """An idempotent producer (acks=all); transactional when ``transactional_id`` is given."""
    kwargs = client_kwargs(settings) | {
        "enable_idempotence": True,
        "acks": "all",
        "linger_ms": settings.linger_ms,
        "max_batch_size": settings.max_batch_size,
    }
    if transactional_id is not None:
        kwargs["transactional_id"] = transactional_id
    return AIOKafkaProducer(**(kwargs | overrides))


def make_consumer(
    settings: Settings, *topics: str, group_id: str | None, **overrides: Any
) -> AIOKafkaConsumer:
    """A read_committed consumer with manual commits, starting at the earliest offset."""
    kwargs = client_kwargs(settings) | {
        "group_id": group_id,
        "isolation_level": "read_committed",
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
    }
    return AIOKafkaConsumer(*topics, **(kwargs | overrides))


def make_admin(settings: Settings, **overrides: Any) -> AIOKafkaAdminClient:
    """An admin client for topic management."""
    return AIOKafkaAdminClient(**(client_kwargs(settings) | overrides))
