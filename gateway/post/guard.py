"""What stands between the network and a post's API: body limits, errors, disconnects.

The post holds the names of wanted and missing persons and answers queries that carry
travellers' names, so nothing a request carries may reach a log, and no request may cost
more than a bounded amount of memory or time:

- a request body is read up to ``MAX_BODY_BYTES`` and refused with 413 past it (a declared
  ``Content-Length`` is refused before reading; a chunked body stops being read at the limit);
  the paths of ``LARGER_BODIES`` (``/screen/batch``: up to 1,000 queries) have a larger bound;
- a client that goes away mid-request is one log line;
- a validation error (422) says which field failed and why, never echoing the value;
- any other error is one log line naming its type and place (500), never its message, which
  may carry request values (a ``ValidationError``'s text quotes its input).
"""

from __future__ import annotations

import json
import traceback
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "LARGER_BODIES",
    "MAX_BODY_BYTES",
    "RequestGuard",
    "install_validation_handler",
    "validation_errors",
]

log = structlog.get_logger(__name__)

MAX_BODY_BYTES = 16 * 1024  # a screening request is a few hundred bytes
# A batch holds up to 1,000 queries of at most ~2 KiB each (three 200-character names in
# UTF-8, a document, a key): its bound, for its path only (relative to a mounted post's root).
LARGER_BODIES: dict[str, int] = {"/screen/batch": 2 * 1024 * 1024}
_MAX_ERRORS = 10  # at most this many field errors in a 422 body
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def _too_large(limit: int) -> dict[str, Any]:
    return {"detail": f"request body larger than {limit} bytes"}


class RequestGuard:
    """ASGI middleware: bounded bodies, quiet disconnects, errors logged without values."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int = MAX_BODY_BYTES,
        larger: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.larger = LARGER_BODIES if larger is None else larger

    def limit_for(self, scope: Scope) -> int:
        """The body bound of this request's path (its own, under a mounted post's root)."""
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        return self.larger.get(path, self.max_body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            if scope["method"] in _WITH_BODY:
                body = await self._read_body(scope, receive, tracked_send)
                if body is None:
                    return
                receive = _replay(body, receive)
            await self.app(scope, receive, tracked_send)
        except OSError as error:  # the socket went away while answering
            log.info("post_client_disconnected", path=scope["path"], error=type(error).__name__)
        except Exception as error:  # the last line of defence, logged
            frame = traceback.extract_tb(error.__traceback__)[-1:]
            where = f"{frame[0].filename.rsplit('/', 1)[-1]}:{frame[0].lineno}" if frame else "?"
            # The type and place only: an exception's text may quote request values.
            log.error(  # noqa: TRY400  # why: a traceback's text may carry request values
                "post_api_error", path=scope["path"], error=type(error).__name__, at=where
            )
            if not started:
                await _send_json(send, 500, {"detail": "internal error (logged by the post)"})

    async def _read_body(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        """The whole body, or None once a 413 was sent or the client left."""
        limit = self.limit_for(scope)
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _send_json(send, 400, {"detail": "invalid Content-Length"})
                    return None
                if declared > limit:
                    await _send_json(send, 413, _too_large(limit))
                    return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                log.info("post_client_disconnected", path=scope["path"], read_bytes=size)
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:  # stop reading: the rest is never buffered
                await _send_json(send, 413, _too_large(limit))
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then the real channel."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def validation_errors(errors: Any) -> list[dict[str, Any]]:
    """Pydantic errors as ``loc``, ``msg`` and ``type`` only: never the input or its context."""
    out: list[dict[str, Any]] = []
    for error in list(errors)[:_MAX_ERRORS]:
        loc = [part if isinstance(part, int) else str(part)[:64] for part in error.get("loc", ())]
        msg = str(error.get("msg", "invalid"))[:300]
        out.append({"loc": loc, "msg": msg, "type": str(error.get("type", ""))[:64]})
    return out


def install_validation_handler(app: FastAPI, known_fields: frozenset[str]) -> None:
    """422 answers that name the field and the rule, never the value sent.

    The log names only ``known_fields``: an unknown key sent in a body may itself be data.
    """

    def logged(loc: list[Any]) -> str:
        parts = [p if isinstance(p, int) or p in known_fields else "<other>" for p in loc[1:]]
        return ".".join(str(p) for p in parts) or "body"

    async def handler(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        details = validation_errors(error.errors())
        fields = sorted({logged(d["loc"]) for d in details})
        log.info("post_request_invalid", path=request.url.path, fields=fields)
        return JSONResponse(status_code=422, content={"detail": details})

    app.add_exception_handler(RequestValidationError, handler)
