"""A broker's refusals as clear errors naming the principal and the topic, group or id.

On a secured broker (``broker up --secure``) aiokafka reports a refusal in several ways:
``TopicAuthorizationFailedError``, ``GroupAuthorizationFailedError`` and
``TransactionalIdAuthorizationFailed`` from a request, a topic silently missing from metadata
(a consumer that may not even describe it just logs), and a failed SASL login only as
"Unable to bootstrap". :func:`refusals` turns all of them into :class:`AccessDeniedError` or
:class:`AuthenticationRefusedError`, and :func:`check_topics` asks the broker up front.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaClient
from aiokafka.cluster import ClusterMetadata
from aiokafka.conn import create_conn
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
)

from gateway.errors import FrontlineError, SetupError
from gateway.kafka.clients import client_kwargs
from gateway.kafka.internals import fetch_topic_metadata
from gateway.settings import SecurityProtocol, Settings

__all__ = [
    "AccessDeniedError",
    "AuthenticationRefusedError",
    "check_topics",
    "diagnose_connection",
    "principal_of",
    "refusal",
    "refusals",
]

_HINT = (
    "Run it as the principal that owns this {kind} (`frontline access credentials PRINCIPAL "
    "--format env`), or grant it in the topology and run `frontline access apply`."
)


class AccessDeniedError(FrontlineError):
    """The broker's authorizer refused ``principal`` an operation on a topic, group or id."""

    def __init__(self, principal: str, kind: str, name: str, *, doing: str | None = None) -> None:
        what = f" ({doing})" if doing else ""
        super().__init__(
            f"Kafka refused principal User:{principal} access to {kind} {name!r}{what}.",
            hint=_HINT.format(kind=kind),
        )
        self.principal = principal
        self.kind = kind
        self.name = name


class AuthenticationRefusedError(FrontlineError):
    """The broker refused the login itself (wrong password, unknown user, no SASL)."""


def principal_of(settings: Settings) -> str:
    """The principal ``settings`` log in as: the SASL user name, else ``ANONYMOUS``."""
    sasl = settings.security_protocol in (
        SecurityProtocol.SASL_SSL,
        SecurityProtocol.SASL_PLAINTEXT,
    )
    return settings.sasl_username if sasl and settings.sasl_username else "ANONYMOUS"


def _name(error: KafkaError, fallback: str | None) -> str:
    args = [a for a in error.args if a]
    if args:
        first = args[0]
        return ", ".join(sorted(first)) if isinstance(first, set | list | tuple) else str(first)
    return fallback or "?"


def refusal(
    error: BaseException,
    settings: Settings,
    *,
    topic: str | None = None,
    group: str | None = None,
    transactional_id: str | None = None,
    doing: str | None = None,
) -> AccessDeniedError | None:
    """The :class:`AccessDeniedError` an aiokafka authorization error means, else None."""
    principal = principal_of(settings)
    if isinstance(error, TopicAuthorizationFailedError):
        return AccessDeniedError(principal, "topic", _name(error, topic), doing=doing)
    if isinstance(error, GroupAuthorizationFailedError):
        return AccessDeniedError(principal, "group", _name(error, group), doing=doing)
    if isinstance(error, TransactionalIdAuthorizationFailed):
        return AccessDeniedError(
            principal, "transactional id", _name(error, transactional_id), doing=doing
        )
    if isinstance(error, ClusterAuthorizationFailedError):
        return AccessDeniedError(principal, "cluster", "kafka-cluster", doing=doing)
    return None


async def diagnose_connection(settings: Settings) -> FrontlineError | None:
    """Why a client with ``settings`` cannot connect: a login or TLS refusal, else None."""
    kwargs = client_kwargs(settings)
    host, _, port = kwargs.pop("bootstrap_servers").split(",")[0].strip().rpartition(":")
    principal = principal_of(settings)
    try:
        conn = await create_conn(host, int(port), request_timeout_ms=10_000, **kwargs)
    except SaslAuthenticationFailed:
        return AuthenticationRefusedError(
            f"Kafka refused the SASL login of principal User:{principal} "
            f"({kwargs.get('sasl_mechanism')}): wrong password or unknown user.",
            hint="Load the principal's current credentials "
            "(`frontline access credentials PRINCIPAL --format env`).",
        )
    except ssl.SSLError as error:
        return AuthenticationRefusedError(
            f"TLS handshake with {host}:{port} failed for User:{principal}: {error}.",
            hint="FRONTLINE_SSL_CAFILE must be the cluster's CA certificate.",
        )
    except (KafkaError, OSError):
        if settings.security_protocol is SecurityProtocol.PLAINTEXT:
            return AuthenticationRefusedError(
                f"Kafka at {host}:{port} closed an unauthenticated (PLAINTEXT) connection.",
                hint="The broker may be secured: load a principal's settings "
                "(`frontline access credentials PRINCIPAL --format env`).",
            )
        return None
    # Wait for the close (a TLS shutdown takes a round trip), so no socket outlives the loop.
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(conn.close(), timeout=5)
    return None


@asynccontextmanager
async def refusals(
    settings: Settings,
    *,
    topic: str | None = None,
    group: str | None = None,
    transactional_id: str | None = None,
    doing: str | None = None,
) -> AsyncIterator[None]:
    """Re-raise a broker refusal in the block as AccessDeniedError or AuthenticationRefusedError."""
    try:
        yield
    except KafkaConnectionError:
        diagnosed = await diagnose_connection(settings)
        if diagnosed is not None:
            raise diagnosed from None
        raise
    except KafkaError as error:
        denied = refusal(
            error, settings, topic=topic, group=group, transactional_id=transactional_id,
            doing=doing,
        )  # fmt: skip
        if denied is not None:
            raise denied from None
        raise


async def check_topics(settings: Settings, topics: Iterable[str], *, doing: str) -> None:
    """Raise AccessDeniedError for the first of ``topics`` the principal may not even describe.

    A principal with READ or WRITE on a topic may describe it; one without any ACL on it
    sees it as unauthorized in metadata, which aiokafka's consumers only log.
    """
    wanted = list(topics)
    kwargs: dict[str, Any] = client_kwargs(settings)
    client = AIOKafkaClient(request_timeout_ms=15_000, **kwargs)
    try:
        async with refusals(settings, doing=doing):
            await client.bootstrap()
            metadata = ClusterMetadata()
            if not await fetch_topic_metadata(client, metadata, wanted):
                raise SetupError(
                    f"Kafka did not answer a metadata request for {', '.join(wanted)}.",
                    hint="Check that the broker runs.",
                )
    finally:
        await client.close()
    for topic in wanted:
        if topic in metadata.unauthorized_topics:
            raise AccessDeniedError(principal_of(settings), "topic", topic, doing=doing)
