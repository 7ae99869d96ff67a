"""The border post's HTTP API (FastAPI, OpenAPI at /docs): health, watchlist, screening, metrics.

Every field of a request is bounded (``MAX_*`` below, and the body by ``guard``): no request
can cost the post more than a bounded amount of memory and time. Screening runs on the
service's worker threads, never on the event loop that follows the feed and answers
``/health``. The /docs page is served with its assets from the post itself (no CDN).

Every endpoint but ``/health`` and ``/metrics`` needs an officer's bearer token (401 without
one or with a wrong one, 403 with a revoked one); ``/docs`` and ``/openapi.json`` describe
the API and hold no data, so they load without one and /docs' "Authorize" takes the token.
Each screening is written to the post's access log under the officer's id.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import Response, StreamingResponse
from fastapi_offline import FastAPIOffline
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gateway.contract.identifiers import is_iso3
from gateway.contract.messages import HitOutcome
from gateway.errors import FrontlineError
from gateway.post import api_batch, api_mrz, console
from gateway.post.auth import Authorized, bearer, officer_of
from gateway.post.guard import RequestGuard, install_validation_handler
from gateway.post.hits import UnknownAlertError, UnknownScreeningError
from gateway.post.screening import DEFAULT_THRESHOLD, ObjectQuery, PersonQuery, ScreeningAnswer
from gateway.post.screening.normalize import normalize_name, parse_partial_date
from gateway.post.service import FEED_LOST_AFTER_S, PostBusyError, PostService
from gateway.post.store import document_listing_at

__all__ = [
    "MAX_ID_CHARS",
    "MAX_LIMIT",
    "MAX_NAME_CHARS",
    "MAX_NAME_TOKENS",
    "MAX_TOKEN_CHARS",
    "Health",
    "HitRequest",
    "HitsAnswer",
    "ObjectScreenRequest",
    "PersonScreenRequest",
    "WatchlistAnswer",
    "WatchlistItem",
    "bearer",
    "create_app",
    "health_of",
    "officer_of",
]

MAX_NAME_CHARS = 200  # per name field; the longest passport names are well under this
MAX_NAME_TOKENS = 12  # words in the name once normalized (all name fields together)
MAX_TOKEN_CHARS = 64  # one word once transliterated
MAX_ID_CHARS = 40  # document, container, IMO, VIN, plate
MAX_LIMIT = 100  # hits per answer

Name = Annotated[str | None, Field(default=None, max_length=MAX_NAME_CHARS)]
Identifier = Annotated[str | None, Field(default=None, max_length=MAX_ID_CHARS)]
Country = Annotated[
    str | None,
    Field(default=None, max_length=3, description="ISO 3166-1 alpha-3", examples=["FRA"]),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _text(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("not valid Unicode text (a lone surrogate)") from None
        return value


def _country(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    code = value.upper()
    if not is_iso3(code):
        raise ValueError("not an ISO 3166-1 alpha-3 country code (e.g. FRA)")
    return code


class PersonScreenRequest(_In):
    """A traveller: any of the fields may be missing, but a name or a document is needed."""

    name: Name = Field(
        default=None, max_length=MAX_NAME_CHARS, description="Full name in any script and order"
    )
    given_names: Name = None
    family_name: Name = None
    date_of_birth: str | None = Field(
        default=None,
        max_length=10,
        description="YYYY, YYYY-MM or YYYY-MM-DD",
        examples=["1980-05-17"],
    )
    nationality: Country = None
    document_number: Identifier = None
    document_country: Country = None
    threshold: float = Field(default=DEFAULT_THRESHOLD, ge=0.0, le=1.0, allow_inf_nan=False)
    limit: int = Field(default=10, ge=1, le=MAX_LIMIT)

    _countries = field_validator("nationality", "document_country")(_country)

    @model_validator(mode="after")
    def _needs_something(self) -> Self:
        if not (self.name or self.given_names or self.family_name or self.document_number):
            raise ValueError("give a name (name, given_names, family_name) or a document_number")
        if self.date_of_birth:
            parse_partial_date(self.date_of_birth)  # ValueError -> 422 with the format to use
        form = normalize_name(self.name, self.given_names, self.family_name)
        if len(form.tokens) > MAX_NAME_TOKENS:
            raise ValueError(f"a name of more than {MAX_NAME_TOKENS} words")
        if any(len(token) > MAX_TOKEN_CHARS for token in form.tokens):
            raise ValueError(f"a name word of more than {MAX_TOKEN_CHARS} letters")
        return self

    def query(self) -> PersonQuery:
        """The screening query this request asks."""
        parts = [p for p in (self.name, self.given_names, self.family_name) if p]
        return PersonQuery(
            name=" ".join(parts) or None,
            date_of_birth=self.date_of_birth,
            nationality=self.nationality,
            document_number=self.document_number,
            document_country=self.document_country,
        )


class ObjectScreenRequest(_In):
    """A conveyance: one or more of container (ISO 6346), IMO number, VIN, plate."""

    container: Identifier = Field(default=None, max_length=MAX_ID_CHARS, examples=["MWCU6059784"])
    imo: Identifier = Field(default=None, max_length=MAX_ID_CHARS, examples=["9074729"])
    vin: Identifier = Field(default=None, max_length=MAX_ID_CHARS, examples=["1M8GDM9AXKP042788"])
    plate: Identifier = None
    plate_country: Country = None
    limit: int = Field(default=10, ge=1, le=MAX_LIMIT)

    _countries = field_validator("plate_country")(_country)

    @model_validator(mode="after")
    def _needs_something(self) -> Self:
        if not (self.container or self.imo or self.vin or self.plate):
            raise ValueError("give a container, imo, vin or plate")
        return self

    def query(self) -> ObjectQuery:
        """The screening query this request asks."""
        return ObjectQuery(self.container, self.imo, self.vin, self.plate, self.plate_country)


Text = Annotated[str | None, Field(default=None, max_length=2000)]


class HitRequest(_In):
    """An officer's hit report: which alert matched, what was done, and where.

    ``screening_id`` (from the screening's answer) lets the post remember the traveller by
    a keyed digest of that screening's query (never the query itself): a FALSE_MATCH then
    keeps the same traveller from matching that alert version again.
    """

    alert_id: str = Field(min_length=1, max_length=200, examples=["INTERPOL:2025-118422"])
    outcome: HitOutcome
    screening_id: int | None = Field(default=None, ge=1)
    place: Text = None
    conveyance: Text = None
    route: Text = None
    companions: Text = None
    note: Text = None


class HitsAnswer(BaseModel):
    """The hits reported at a post, oldest first, each with how far it got."""

    post: str
    awaiting_ack: int
    hits: list[dict[str, Any]]


HealthStatus = Literal["ok", "stale", "offline", "loading"]


class Health(BaseModel):
    """Whether the post can screen, and how fresh its watchlist is."""

    status: HealthStatus = Field(
        description="ok: in contact with its feed; stale: no contact for "
        f"{FEED_LOST_AFTER_S:.0f} s (broker or network away); offline: never reached its "
        "feed; loading: the local store is still loading"
    )
    post: str
    topic: str
    watchlist_size: int
    documents: int = Field(default=0, description="travel-document alerts held (compact index)")
    staleness_seconds: float | None
    feed_reachable: bool = Field(description="a fetch answer came in the last few seconds")
    caught_up: bool = Field(description="read its feed to the end and still in contact")


class WatchlistItem(BaseModel):
    """One alert held: its id and version, never its personal data."""

    alert_id: str
    version: int
    kind: str
    org: str


class WatchlistAnswer(BaseModel):
    """The alerts a post holds."""

    post: str
    size: int
    documents: int = Field(
        default=0, description="travel-document alerts held (listed last, kind TRAVEL_DOCUMENT)"
    )
    staleness_seconds: float | None
    items: list[WatchlistItem]


_DOCUMENT_KIND = "TRAVEL_DOCUMENT"
_LISTING_CHUNK = 2_000  # watchlist items per streamed chunk


def _listing(
    head: str, items: list[tuple[str, int, str, str]], documents: Path | None
) -> Iterator[str]:
    """A watchlist answer's JSON, its items chunk by chunk, then (``documents``: the store) the
    travel-document alerts (a sync generator: Starlette runs it on a worker thread). The
    items are plain tuples taken on the loop: a model per entry made the posts' memory jump
    by megabytes at every listing, which the soak saw as growth."""
    yield head
    doc_rows = [] if documents is None else document_listing_at(documents)
    chunks = itertools.chain(
        (items[i : i + _LISTING_CHUNK] for i in range(0, len(items), _LISTING_CHUNK)),
        ([(a, v, _DOCUMENT_KIND, o) for a, v, o in rows] for rows in doc_rows),
    )
    comma = False
    for chunk in chunks:
        parts = [
            json.dumps({"alert_id": a, "version": v, "kind": k, "org": o}, separators=(",", ":"))
            for a, v, k, o in chunk
        ]
        yield ("," if comma else "") + ",".join(parts)
        comma = True
    yield "]}"


def health_of(service: PostService) -> Health:
    """A post's health: ``ok`` only while its feed answers (a fetch every half second)."""
    staleness = service.feed.staleness_seconds()
    reachable = staleness is not None and staleness <= FEED_LOST_AFTER_S
    status: HealthStatus
    if service.restored is None:
        status = "loading"
    elif staleness is None:
        status = "offline"
    else:
        status = "ok" if reachable else "stale"
    return Health(
        status=status,
        post=service.name,
        topic=service.topic,
        watchlist_size=len(service.watchlist),
        documents=len(service.documents),
        staleness_seconds=staleness,
        feed_reachable=reachable,
        caught_up=reachable and service.feed.caught_up.is_set(),
    )


_FIELDS = (
    frozenset(PersonScreenRequest.model_fields)
    | frozenset(ObjectScreenRequest.model_fields)
    | frozenset(HitRequest.model_fields)
    | frozenset(api_mrz.MrzScreenRequest.model_fields)
)


def create_app(service: PostService) -> FastAPI:
    """The FastAPI application of one post."""
    app = FastAPIOffline(
        title=f"Frontline border post {service.name}",
        summary="Screen travellers and conveyances against the post's local watchlist.",
        version="1",
    )
    app.add_middleware(RequestGuard)
    install_validation_handler(app, _FIELDS)
    app.state.officers = service.officers

    @app.get("/health", response_model=Health, tags=["status"])
    async def health() -> Health:
        """Screening always works from the local watchlist; status says how complete and fresh."""
        return health_of(service)

    @app.get("/watchlist", response_model=WatchlistAnswer, tags=["status"])
    async def watchlist(
        _: Authorized,
        kind: Annotated[str | None, Query(description="Only this alert kind")] = None,
    ) -> WatchlistAnswer | Response:
        """Alert ids and versions on the watchlist, then the travel-document alerts (streamed
        from the store: there may be millions)."""
        wanted = None if kind is None else kind.upper()
        items = [
            (e.alert_id, e.version, e.kind, e.org)
            for e in service.watchlist.entries()
            if wanted is None or e.kind == wanted
        ]
        answer = WatchlistAnswer(
            post=service.name,
            size=len(service.watchlist),
            documents=len(service.documents),
            staleness_seconds=service.feed.staleness_seconds(),
            items=[],
        )
        with_documents = wanted in (None, _DOCUMENT_KIND) and answer.documents > 0
        head = answer.model_dump_json()
        assert head.endswith("[]}")  # ``items`` is the answer's last field
        return StreamingResponse(
            _listing(head[:-2], items, service.store.path if with_documents else None),
            media_type="application/json",
        )

    @app.post("/screen/person", response_model=ScreeningAnswer, tags=["screening"])
    async def screen_person(request: PersonScreenRequest, who: Authorized) -> ScreeningAnswer:
        """Subjects that may be this traveller, best first, each with why it matched."""
        try:
            return await service.screen_person_async(
                request.query(),
                threshold=request.threshold,
                limit=request.limit,
                officer=str(who.id),
            )
        except PostBusyError as error:
            raise HTTPException(503, error.message, headers={"Retry-After": "1"}) from None
        except ValueError as error:
            raise HTTPException(status_code=422, detail=str(error)) from None

    @app.post("/screen/object", response_model=ScreeningAnswer, tags=["screening"])
    async def screen_object(request: ObjectScreenRequest, who: Authorized) -> ScreeningAnswer:
        """Commodity alerts naming this container, ship, vehicle or plate."""
        try:
            return await service.screen_object_async(
                request.query(), limit=request.limit, officer=str(who.id)
            )
        except PostBusyError as error:
            raise HTTPException(503, error.message, headers={"Retry-After": "1"}) from None

    @app.post("/hits", tags=["hits"])
    async def report_hit(request: HitRequest, who: Authorized) -> dict[str, Any]:
        """Report a hit on an alert the post holds; stored here first, then sent upstream."""
        try:
            report = service.report_hit(
                request.alert_id,
                request.outcome,
                officer=str(who.id),
                screening_id=request.screening_id,
                place=request.place,
                conveyance=request.conveyance,
                route=request.route,
                companions=request.companions,
                note=request.note,
            )
        except (UnknownAlertError, UnknownScreeningError) as error:
            raise HTTPException(404, error.message) from None
        except FrontlineError as error:
            raise HTTPException(422, error.message) from None
        return {**report.model_dump(mode="json"), "status": "stored"}

    @app.get("/hits", response_model=HitsAnswer, tags=["hits"])
    async def hits(_: Authorized) -> HitsAnswer:
        """The post's hits: stored, sent, or acknowledged with the originator's instructions."""
        return HitsAnswer(
            post=service.name,
            awaiting_ack=service.book.awaiting(),
            hits=[hit.to_dict() for hit in service.book.hits()],
        )

    @app.get("/metrics", tags=["status"], response_class=Response)
    async def metrics() -> Response:
        """Prometheus metrics of this post."""
        service.feed.refresh_gauges()
        return Response(generate_latest(service.registry), media_type=CONTENT_TYPE_LATEST)

    api_mrz.install(app, service)
    api_batch.install(app, service)
    console.install(app, service)
    return app
