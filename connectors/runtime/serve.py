"""HTTP intake for one organization: POST native records, learn what became of each.

``POST /records`` takes one native payload (the organization's own format) with
``Authorization: Bearer <token>`` and answers, per record, either its ``alert_id`` and
``version`` once the broker acknowledged it, or the stage and reasons of its quarantine.
``GET /health`` and ``GET /metrics`` (Prometheus) need no token. The token of each
organization comes from ``FRONTLINE_CONNECTOR_TOKEN_<ORG>`` or a TOML tokens file.
"""

from __future__ import annotations

import hmac
import stat
import tomllib
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import SecretStr

from connectors.runtime.publisher import Publisher, PublishError
from gateway.errors import ConfigError

__all__ = ["MAX_BODY_BYTES", "TOKEN_ENV_PREFIX", "create_app", "load_token"]

log = structlog.get_logger(__name__)

TOKEN_ENV_PREFIX = "FRONTLINE_CONNECTOR_TOKEN_"  # noqa: S105  # a variable name, not a secret
MAX_BODY_BYTES = 16 * 1024 * 1024


def load_token(
    org: str, *, environ: Mapping[str, str], tokens_file: Path | None = None
) -> SecretStr:
    """The bearer token of ``org``: its environment variable first, else the tokens file.

    The tokens file is TOML with one key per organization: ``INTERPOL = "..."``. It holds
    secrets, so a file that its group or others may read is refused.
    """
    key = org.upper()
    value = environ.get(f"{TOKEN_ENV_PREFIX}{key}")
    if not value and tokens_file is not None:
        _refuse_loose(tokens_file)
        try:
            table = tomllib.loads(tokens_file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(
                f"cannot read the tokens file {tokens_file}: {type(exc).__name__}",
                hint='write one line per organization, e.g. INTERPOL = "long-random-token"',
            ) from exc
        found = table.get(key)
        value = found if isinstance(found, str) else None
    if not value or len(value) < 16:
        raise ConfigError(
            f"no token (of at least 16 characters) for {key}",
            hint=f"set {TOKEN_ENV_PREFIX}{key} or pass --tokens-file",
        )
    return SecretStr(value)


def _refuse_loose(path: Path) -> None:
    """A secrets file readable or writable by group or others is a ``ConfigError``."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # reading it reports the problem with its own message
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"the tokens file {path} may be read by others (mode {stat.S_IMODE(mode):04o})",
            hint=f"chmod 600 {path}",
        )


def _authorized(request: Request, token: SecretStr) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(given.strip().encode(), token.get_secret_value().encode())


async def _bounded_body(request: Request) -> bytes | None:
    """The request body, or None as soon as it is known to exceed :data:`MAX_BODY_BYTES`.

    A declared ``Content-Length`` over the limit is refused before reading anything; a chunked
    body is read chunk by chunk and reading stops at the first chunk past the limit, so a
    client streaming gigabytes costs the server at most the limit plus one chunk.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def create_app(publisher: Publisher, token: SecretStr) -> FastAPI:
    """The intake app; its lifespan starts and stops the publisher's producer."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await publisher.start()
        try:
            yield
        finally:
            await publisher.stop()

    org = publisher.connector.org
    app = FastAPI(title=f"Frontline {org} connector", lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, str]:
        """Liveness: the organization this intake serves."""
        return {"status": "ok", "org": org, "format": publisher.connector.format_name}

    @app.get("/metrics")
    async def metrics() -> Response:
        """Prometheus exposition of the connector's metrics."""
        body = generate_latest(publisher.metrics.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    @app.post("/records")
    async def records(request: Request) -> JSONResponse:
        """Publish one native payload; answer per record."""
        if not _authorized(request, token):
            return JSONResponse(
                {"error": "unauthorized", "message": f"a valid {org} bearer token is required"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        body = await _bounded_body(request)
        if body is None:
            log.warning("connector.http_body_too_large", org=org, limit=MAX_BODY_BYTES)
            return JSONResponse(
                {"error": "too_large", "message": f"at most {MAX_BODY_BYTES} bytes per request"},
                status_code=413,
                headers={"Connection": "close"},
            )
        request_id = uuid.uuid4().hex[:12]
        try:
            report = await publisher.publish(body, f"http:{request_id}", keep_results=True)
        except PublishError as exc:
            log.warning("connector.http_publish_failed", org=org, request_id=request_id)
            return JSONResponse(
                {"error": "unavailable", "message": exc.message, "request_id": request_id},
                status_code=503,
            )
        total = report.stats.total
        answer: dict[str, Any] = {
            "org": org,
            "request_id": request_id,
            "summary": {
                "records_in": total.records_in,
                "published": total.published,
                "quarantined": total.quarantined,
            },
            "records": [r.as_json() for r in report.results],
        }
        log.info(
            "connector.http_payload", org=org, request_id=request_id,
            published=total.published, quarantined=total.quarantined,
        )  # fmt: skip
        return JSONResponse(answer)

    return app
