"""Many border posts in one process, for one-machine runs (``frontline post run --all``).

Each post keeps its own feed, store and watchlist exactly as ``frontline post run`` does; the
host only shares the event loop and one HTTP server: each post's API is mounted under
``/posts/<ISO3.POST>/``, ``/metrics`` merges every post's metrics (adding the ``post`` label
where a family lacks it), and ``/latency`` returns recent per-delivery latency samples so an
exercise can report exact quantiles. Each mounted API takes its own post's officers' tokens;
``/latency`` takes the token of an officer of any post hosted, ``/health`` and ``/metrics`` none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from typing import Annotated, Any

import structlog
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from gateway.post.api import bearer, create_app, health_of, officer_of
from gateway.post.latency import LatencyRing, latency_sample
from gateway.post.metrics import Hops
from gateway.post.service import PostService
from gateway.settings import Settings
from gateway.topology import Topology

__all__ = ["PostsHost", "latency_sample"]

log = structlog.get_logger(__name__)

SAMPLE_LIMIT = 500_000
"""Latency samples a host keeps (about 17 MB, allocated at start: gateway/post/latency.py)."""


class _MergedMetrics(Collector):
    """Every post's registry as one exposition, each series labelled with its post."""

    def __init__(self, services: Iterable[PostService]) -> None:
        self._services = list(services)

    def collect(self) -> Iterator[Metric]:
        families: dict[str, Metric] = {}
        for service in self._services:
            service.feed.refresh_gauges()
            for family in service.registry.collect():
                merged = families.get(family.name)
                if merged is None:
                    merged = Metric(family.name, family.documentation, family.type, family.unit)
                    families[family.name] = merged
                for sample in family.samples:
                    labels = sample.labels
                    if "post" not in labels:
                        labels = {**labels, "post": service.name}
                    merged.samples.append(sample._replace(labels=labels))
        yield from families.values()


class PostsHost:
    """Runs every post of a topology on one event loop behind one HTTP server."""

    def __init__(self, settings: Settings, topology: Topology) -> None:
        self.services = [PostService(settings, c.code, p.id) for c, p in topology.posts()]
        self.samples = LatencyRing(SAMPLE_LIMIT)
        self.registry = CollectorRegistry()
        self.registry.register(_MergedMetrics(self.services))
        for service in self.services:
            self._sample_deliveries(service)

    def _sample_deliveries(self, service: PostService) -> None:
        # Keep each delivery's exact latency beside the histograms the post already observes.
        observe = service.metrics.delivered

        def delivered(headers: Hops, now_ms: int) -> None:
            observe(headers, now_ms)
            self.samples.append(service.name, headers, now_ms)

        service.metrics.delivered = delivered  # type: ignore[method-assign]  # why: a wrapper, same signature

    def app(self) -> FastAPI:
        """The host's API: one mounted API per post, merged metrics, latency samples."""
        root = FastAPI(title="Frontline border posts", version="1")
        for service in self.services:
            root.mount(f"/posts/{service.name}", create_app(service))

        @root.get("/health")
        async def health() -> dict[str, Any]:
            """Each post's health (as its own /health): status, size, staleness, feed contact."""
            return {"posts": [health_of(s).model_dump(mode="json") for s in self.services]}

        @root.get("/metrics", response_class=Response)
        async def metrics() -> Response:
            """Every post's metrics in one exposition."""
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

        async def any_officer(
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        ) -> None:
            refused: HTTPException | None = None
            for service in self.services:
                try:
                    officer_of(service.officers, credentials)
                except HTTPException as error:
                    refused = refused if refused and refused.status_code == 403 else error
                else:
                    return
            raise refused or HTTPException(401, "no post hosted")

        @root.get("/latency", dependencies=[Depends(any_officer)])
        async def latency(
            since_ms: int = Query(default=0, description="Only samples after this epoch-ms"),
        ) -> dict[str, Any]:
            """Per-delivery latency samples (ms), oldest first."""
            return {"samples": self.samples.since(since_ms)}

        return root

    async def run(self, http_port: int, host: str = "127.0.0.1") -> None:
        """Follow every feed and serve HTTP until stopped."""
        for service in self.services:
            service.store.claim()
        server = uvicorn.Server(
            uvicorn.Config(self.app(), host=host, port=http_port, log_config=None,
                           access_log=False)
        )  # fmt: skip
        tasks = [asyncio.create_task(s.feed.run(), name=f"feed-{s.name}") for s in self.services]
        tasks += [
            asyncio.create_task(s.publisher.run(), name=f"access-{s.name}") for s in self.services
        ]
        tasks.append(asyncio.create_task(server.serve(), name="posts-http"))
        log.info("posts_host_started", posts=len(self.services), port=http_port)
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            for service in self.services:
                service.stop()
            server.should_exit = True
            await asyncio.gather(*tasks, return_exceptions=True)
            for service in self.services:
                service.close()
