"""``POST /screen/batch``: up to 1,000 screenings in one call, each under the client's key.

A flight's manifest, a bus at a land border, a ship's crew list: the client sends
``{"queries": {"<key>": {"person": {...}} | {"object": {...}}, ...}}`` with the fields of
``/screen/person`` and ``/screen/object``, and gets each answer under its key. Keys are the
client's (up to 64 letters, digits and ``_.:-``): a seat, a row number, never needed to be
a name. Every query is validated as its single endpoint validates it (422 naming the key and
the field); more than ``MAX_BATCH`` queries is a 422 naming the limit, and the request guard
bounds the body (``guard.LARGER_BODIES``).

Each query is one screening like any other: it runs on the service's worker threads (never
on the event loop that follows the feed), at most ``SCREEN_WORKERS`` of a batch at once, so
an officer's single screening at the booth waits for at most one query of a batch; and it
is written to the access log under the officer's id, one row per query, whose
``screening_id`` the answer carries.
"""

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Self

from fastapi import FastAPI, HTTPException
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from gateway.post.auth import Authorized
from gateway.post.screening import ScreeningAnswer
from gateway.post.service import SCREEN_WORKERS, PostBusyError, local_officer

if TYPE_CHECKING:
    from gateway.post.api import ObjectScreenRequest, PersonScreenRequest
    from gateway.post.service import PostService

__all__ = ["MAX_BATCH", "MAX_KEY_CHARS", "BatchAnswer", "install", "screen_all", "screen_all_async"]

MAX_BATCH = 1000  # queries in one call: a wide-body flight with its crew
MAX_KEY_CHARS = 64
KEY_PATTERN = r"^[A-Za-z0-9_.:-]+$"
Key = Annotated[str, StringConstraints(min_length=1, max_length=MAX_KEY_CHARS, pattern=KEY_PATTERN)]


class BatchAnswer(BaseModel):
    """Every query's answer under its key; ``hits`` lists the keys with a hit, best first."""

    model_config = ConfigDict(frozen=True)

    answers: dict[str, ScreeningAnswer]
    hits: list[str] = Field(
        description="Keys whose answer holds a hit or a travel-document alert, best first"
    )
    queries: int
    took_ms: float
    watchlist_size: int
    staleness_seconds: float | None = None
    warnings: list[str] = []


def _call(
    service: "PostService",
    request: "PersonScreenRequest | ObjectScreenRequest",
    officer: str | None,
) -> Callable[[], ScreeningAnswer]:
    """The service call screening one request (logged under ``officer``)."""
    from gateway.post.api import PersonScreenRequest  # noqa: PLC0415  # why: api imports this module

    if isinstance(request, PersonScreenRequest):
        query, threshold, limit = request.query(), request.threshold, request.limit
        return lambda: service.screen_person(
            query, threshold=threshold, limit=limit, officer=officer
        )
    obj, obj_limit = request.query(), request.limit
    return lambda: service.screen_object(obj, limit=obj_limit, officer=officer)


def batch_answer(answers: Mapping[str, ScreeningAnswer], started: float) -> BatchAnswer:
    """The answers under their keys, with the keys that hit ranked and the shared freshness."""
    hits = sorted(
        (key for key, a in answers.items() if a.found),
        key=lambda key: -answers[key].best_score,
    )
    first = next(iter(answers.values()), None)
    warnings = sorted({w for a in answers.values() for w in a.warnings})
    return BatchAnswer(
        answers=dict(answers),
        hits=hits,
        queries=len(answers),
        took_ms=round((time.perf_counter() - started) * 1000, 3),
        watchlist_size=first.watchlist_size if first else 0,
        staleness_seconds=first.staleness_seconds if first else None,
        warnings=warnings,
    )


def screen_all(
    service: "PostService",
    requests: Sequence[tuple[str, "PersonScreenRequest | ObjectScreenRequest"]],
    *,
    officer: str | None = None,
) -> BatchAnswer:
    """Screen every request on this thread, in order (the CLI's offline batch); without an
    officer, each is logged as ``local:<user>``."""
    started = time.perf_counter()
    officer = officer if officer is not None else local_officer()  # looked up once
    answers = {key: _call(service, request, officer)() for key, request in requests}
    return batch_answer(answers, started)


async def screen_all_async(
    service: "PostService",
    requests: Sequence[tuple[str, "PersonScreenRequest | ObjectScreenRequest"]],
    *,
    officer: str | None = None,
) -> BatchAnswer:
    """Screen every request on the service's worker threads, ``SCREEN_WORKERS`` at a time."""
    started = time.perf_counter()
    answers: dict[str, ScreeningAnswer] = {}
    pending = iter(requests)

    async def lane() -> None:
        for key, request in pending:
            answers[key] = await service._offload(
                _call(service, request, officer)
            )  # the service's admission

    async with asyncio.TaskGroup() as group:
        for _ in range(min(SCREEN_WORKERS, len(requests))):
            group.create_task(lane())
    return batch_answer({key: answers[key] for key, _ in requests}, started)


def install(app: FastAPI, service: "PostService") -> None:
    """Add ``POST /screen/batch`` to a post's app."""
    from gateway.post import api  # noqa: PLC0415  # why: api imports this module

    class BatchQuery(BaseModel):
        """One query of a batch: a traveller (``person``) or a conveyance (``object``)."""

        model_config = ConfigDict(extra="forbid")

        person: api.PersonScreenRequest | None = None
        object: api.ObjectScreenRequest | None = None

        @model_validator(mode="after")
        def _one(self) -> Self:
            if (self.person is None) == (self.object is None):
                raise ValueError("give exactly one of person or object")
            return self

    class BatchRequest(BaseModel):
        """Up to ``MAX_BATCH`` queries, each under a key the client chooses."""

        model_config = ConfigDict(extra="forbid")

        queries: dict[Key, BatchQuery] = Field(
            description=f"1 to {MAX_BATCH} queries by key (letters, digits, _.:-)",
            examples=[{"12A": {"person": {"name": "Anna Eriksson", "date_of_birth": "1974"}}}],
        )

        @field_validator("queries", mode="before")
        @classmethod
        def _bounded(cls, value: Any) -> Any:
            if isinstance(value, dict) and not 1 <= len(value) <= MAX_BATCH:
                raise ValueError(
                    f"a batch holds 1 to {MAX_BATCH} queries, not {len(value)}: split it"
                )
            return value

    @app.post("/screen/batch", response_model=BatchAnswer, tags=["screening"])
    async def screen_batch(request: BatchRequest, who: Authorized) -> BatchAnswer:
        """Screen up to 1,000 travellers and conveyances; answers under the same keys."""
        items: list[tuple[str, api.PersonScreenRequest | api.ObjectScreenRequest]] = []
        for key, query in request.queries.items():
            asked = query.person if query.person is not None else query.object
            assert asked is not None  # checked by BatchQuery
            items.append((key, asked))
        try:
            return await screen_all_async(service, items, officer=str(who.id))
        except* PostBusyError as group:
            error = group.exceptions[0]
            assert isinstance(error, PostBusyError)
            raise HTTPException(503, error.message, headers={"Retry-After": "1"}) from None
        except* ValueError as group:
            raise HTTPException(422, str(group.exceptions[0])) from None
