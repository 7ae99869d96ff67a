"""The border post's HTTP API (FastAPI, OpenAPI at /docs): health, watchlist, screening, metrics."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field, model_validator

from gateway.post.service import PostService
from gateway.screening import DEFAULT_THRESHOLD, ObjectQuery, PersonQuery, ScreeningAnswer
from gateway.screening.normalize import parse_partial_date

__all__ = [
    "Health",
    "ObjectScreenRequest",
    "PersonScreenRequest",
    "WatchlistAnswer",
    "WatchlistItem",
    "create_app",
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PersonScreenRequest(_In):
    """A traveller: any of the fields may be missing, but a name or a document is needed."""

    name: str | None = Field(default=None, description="Full name in any script and order")
    given_names: str | None = None
    family_name: str | None = None
    date_of_birth: str | None = Field(
        default=None, description="YYYY, YYYY-MM or YYYY-MM-DD", examples=["1980-05-17"]
    )
    nationality: str | None = Field(default=None, description="ISO 3166-1 alpha-3")
    document_number: str | None = None
    document_country: str | None = Field(default=None, description="ISO 3166-1 alpha-3")
    threshold: float = Field(default=DEFAULT_THRESHOLD, ge=0.0, le=1.0)
    limit: int = Field(default=10, ge=1, le=100)

    @model_validator(mode="after")
    def _needs_something(self) -> Self:
        if not (self.name or self.given_names or self.family_name or self.document_number):
            raise ValueError("give a name (name, given_names, family_name) or a document_number")
        if self.date_of_birth:
            parse_partial_date(self.date_of_birth)  # ValueError -> 422 with the format to use
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

    container: str | None = Field(default=None, examples=["MWCU6059784"])
    imo: str | None = Field(default=None, examples=["9074729"])
    vin: str | None = Field(default=None, examples=["1M8GDM9AXKP042788"])
    plate: str | None = None
    plate_country: str | None = Field(default=None, description="ISO 3166-1 alpha-3")
    limit: int = Field(default=10, ge=1, le=100)

    @model_validator(mode="after")
    def _needs_something(self) -> Self:
        if not (self.container or self.imo or self.vin or self.plate):
            raise ValueError("give a container, imo, vin or plate")
        return self

    def query(self) -> ObjectQuery:
        """The screening query this request asks."""
        return ObjectQuery(self.container, self.imo, self.vin, self.plate, self.plate_country)


class Health(BaseModel):
    """Whether the post can screen, and how fresh its watchlist is."""

    status: Literal["ok", "stale", "offline", "loading"]
    post: str
    topic: str
    watchlist_size: int
    staleness_seconds: float | None
    caught_up: bool


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
    staleness_seconds: float | None
    items: list[WatchlistItem]


STALE_AFTER_S = 60.0


def create_app(service: PostService) -> FastAPI:
    """The FastAPI application of one post."""
    app = FastAPI(
        title=f"Frontline border post {service.name}",
        summary="Screen travellers and conveyances against the post's local watchlist.",
        version="1",
    )

    @app.get("/health", response_model=Health, tags=["status"])
    async def health() -> Health:
        """Screening always works from the local watchlist; status says how complete and fresh."""
        staleness = service.feed.staleness_seconds()
        status: Literal["ok", "stale", "offline", "loading"]
        if service.restored is None:
            status = "loading"
        elif staleness is None:
            status = "offline"
        else:
            status = "ok" if staleness <= STALE_AFTER_S else "stale"
        return Health(
            status=status,
            post=service.name,
            topic=service.topic,
            watchlist_size=len(service.watchlist),
            staleness_seconds=staleness,
            caught_up=service.feed.caught_up.is_set(),
        )

    @app.get("/watchlist", response_model=WatchlistAnswer, tags=["status"])
    async def watchlist(
        kind: Annotated[str | None, Query(description="Only this alert kind")] = None,
    ) -> WatchlistAnswer:
        """Alert ids and versions on the watchlist."""
        items = [
            WatchlistItem(alert_id=e.alert_id, version=e.version, kind=e.kind, org=e.org)
            for e in service.watchlist.entries()
            if kind is None or e.kind == kind.upper()
        ]
        return WatchlistAnswer(
            post=service.name,
            size=len(service.watchlist),
            staleness_seconds=service.feed.staleness_seconds(),
            items=items,
        )

    @app.post("/screen/person", response_model=ScreeningAnswer, tags=["screening"])
    async def screen_person(request: PersonScreenRequest) -> ScreeningAnswer:
        """Subjects that may be this traveller, best first, each with why it matched."""
        try:
            return service.screen_person(
                request.query(), threshold=request.threshold, limit=request.limit
            )
        except ValueError as error:
            raise HTTPException(status_code=422, detail=str(error)) from None

    @app.post("/screen/object", response_model=ScreeningAnswer, tags=["screening"])
    async def screen_object(request: ObjectScreenRequest) -> ScreeningAnswer:
        """Commodity alerts naming this container, ship, vehicle or plate."""
        return service.screen_object(request.query(), limit=request.limit)

    @app.get("/metrics", tags=["status"], response_class=Response)
    async def metrics() -> Response:
        """Prometheus metrics of this post."""
        service.feed.refresh_gauges()
        return Response(generate_latest(service.registry), media_type=CONTENT_TYPE_LATEST)

    return app
