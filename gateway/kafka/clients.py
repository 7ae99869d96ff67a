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
    "librdkafka_config",
    "make_admin",
    "make_consumer",
    "make_producer",
    "resolve_bootstrap",
    "ssl_context",
]


def resolve_bootstrap(settings: Settings) -> str:
    """FRONTLINE_BOOTSTRAP_SERVERS, else the local broker under the data folder."""
    if settings.bootstrap_servers:
        return settings.bootstrap_servers
    state = LocalCluster(settings.data_dir / "broker").status()
    if state.state != "stopped" and state.bootstrap:  # a node down still leaves a cluster
        if state.secure and settings.security_protocol is not SecurityProtocol.SASL_SSL:
            raise SetupError(
                f"The local broker at {state.bootstrap} is secured (SASL_SSL, SCRAM-SHA-512) "
                f"but FRONTLINE_SECURITY_PROTOCOL is {settings.security_protocol.value}.",
                hint="Load a principal's settings first, e.g. "
                '`eval "$(frontline access credentials admin --format env)"`.',
            )
        return state.bootstrap
    raise SetupError(
        "No Kafka broker: FRONTLINE_BOOTSTRAP_SERVERS is not set and no local broker runs.",
        hint="Start one with `frontline broker up`, or set FRONTLINE_BOOTSTRAP_SERVERS.",
    )


_TLS = (SecurityProtocol.SSL, SecurityProtocol.SASL_SSL)
_SASL = (SecurityProtocol.SASL_PLAINTEXT, SecurityProtocol.SASL_SSL)


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """A TLS context trusting FRONTLINE_SSL_CAFILE (else the system CAs), with the client
    certificate when one is set; an unreadable or invalid file is a ``SetupError``."""
    try:
        context = ssl.create_default_context(
            cafile=str(settings.ssl_cafile) if settings.ssl_cafile else None
        )
    except (OSError, ssl.SSLError) as error:
        raise SetupError(
            f"FRONTLINE_SSL_CAFILE={settings.ssl_cafile} is not a readable PEM CA certificate "
            f"({type(error).__name__}: {error}).",
            hint="Point it at the cluster's CA certificate "
            "(`frontline access credentials PRINCIPAL` prints its path).",
        ) from None
    if settings.ssl_certfile:
        try:
            context.load_cert_chain(
                str(settings.ssl_certfile),
                str(settings.ssl_keyfile) if settings.ssl_keyfile else None,
            )
        except (OSError, ssl.SSLError) as error:
            raise SetupError(
                f"FRONTLINE_SSL_CERTFILE={settings.ssl_certfile} / FRONTLINE_SSL_KEYFILE="
                f"{settings.ssl_keyfile} is not a readable PEM certificate and key "
                f"({type(error).__name__}: {error}).",
                hint="Fix the paths, or unset them when the broker needs no client certificate.",
            ) from None
    return context


def _sasl(settings: Settings) -> tuple[str, str, str]:
    """Mechanism, user name and password; a ``SetupError`` when the user or password is unset."""
    password = settings.sasl_password.get_secret_value() if settings.sasl_password else None
    if not settings.sasl_username or not password:
        raise SetupError(
            f"FRONTLINE_SECURITY_PROTOCOL={settings.security_protocol.value} needs "
            "FRONTLINE_SASL_USERNAME and FRONTLINE_SASL_PASSWORD.",
            hint="Load a principal's settings: "
            '`eval "$(frontline access credentials PRINCIPAL --format env)"`.',
        )
    return settings.sasl_mechanism or "SCRAM-SHA-512", settings.sasl_username, password


def client_kwargs(settings: Settings) -> dict[str, Any]:
    """Connection and security arguments shared by producers, consumers and admin clients."""
    kwargs: dict[str, Any] = {
        "bootstrap_servers": resolve_bootstrap(settings),
        "security_protocol": settings.security_protocol.value,
    }
    if settings.security_protocol in _TLS:
        kwargs["ssl_context"] = ssl_context(settings)
    if settings.security_protocol in _SASL:
        mechanism, username, password = _sasl(settings)
        kwargs["sasl_mechanism"] = mechanism
        kwargs["sasl_plain_username"] = username
        kwargs["sasl_plain_password"] = password
    return kwargs


def librdkafka_config(settings: Settings) -> dict[str, str]:
    """The same connection in librdkafka/Java property names (confluent_kafka, Kafka tools)."""
    config = {
        "bootstrap.servers": resolve_bootstrap(settings),
        "security.protocol": settings.security_protocol.value,
    }
    if settings.security_protocol in _TLS and settings.ssl_cafile:
        config["ssl.ca.location"] = str(settings.ssl_cafile)
    if settings.security_protocol in _SASL:
        mechanism, username, password = _sasl(settings)
        config |= {"sasl.mechanism": mechanism, "sasl.username": username}
        config["sasl.password"] = password
    return config


def make_producer(
    settings: Settings, *, transactional_id: str | None = None, **overrides: Any
) -> AIOKafkaProducer:
    """An idempotent producer (acks=all); transactional when ``transactional_id`` is given.

    ``overrides`` may tune anything but durability: acks=all (every in-sync replica, at
    least ``min.insync.replicas``, has the record before it counts as written) and
    idempotence (a retried send is written once) always win.
    """
    kwargs = client_kwargs(settings) | {
        "linger_ms": settings.linger_ms,
        "max_batch_size": settings.max_batch_size,
    }
    if transactional_id is not None:
        kwargs["transactional_id"] = transactional_id
    return AIOKafkaProducer(**(kwargs | overrides | _DURABLE))


_DURABLE = {"enable_idempotence": True, "acks": "all"}


def make_consumer(
    settings: Settings, *topics: str, group_id: str | None, **overrides: Any
) -> AIOKafkaConsumer:
    """A read_committed consumer with manual commits, starting at the earliest offset; with
    FRONTLINE_CLIENT_RACK it fetches from the nearest in-sync replica (KIP-392)."""
    kwargs = client_kwargs(settings) | {
        "group_id": group_id,
        "isolation_level": "read_committed",
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
    }
    if settings.client_rack:
        kwargs["client_rack"] = settings.client_rack
    return AIOKafkaConsumer(*topics, **(kwargs | overrides))


def make_admin(settings: Settings, **overrides: Any) -> AIOKafkaAdminClient:
    """An admin client for topic management."""
    return AIOKafkaAdminClient(**(client_kwargs(settings) | overrides))
