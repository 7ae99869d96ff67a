"""The border post's HTTP API over an in-process app (no broker, no server)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from gateway.post import PostService
from gateway.post.api import create_app
from gateway.settings import Settings
from tests.support.post import service  # noqa: F401  # why: the shared fixture


@pytest.fixture
async def client(service: PostService) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811  # why: the fixture above
    """An HTTP client talking to the app in process, as an officer of the post."""
    _, token = service.officers.add("Officer Test")
    transport = httpx.ASGITransport(app=create_app(service))
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://post", headers=auth) as http:
        yield http


async def test_health_reports_size_and_freshness(client: httpx.AsyncClient) -> None:
    """/health names the post, its watchlist size and a status from the staleness."""
    body = (await client.get("/health")).json()
    assert body["post"] == "FRA.CDG"
    assert body["watchlist_size"] == 2
    assert body["status"] in {"ok", "offline"}


async def test_watchlist_lists_ids_and_versions_only(client: httpx.AsyncClient) -> None:
    """/watchlist gives alert ids and versions and no personal data."""
    response = await client.get("/watchlist")
    body = response.json()
    assert {i["alert_id"] for i in body["items"]} == {
        "INTERPOL:2025-118422",
        body["items"][1]["alert_id"],
    }
    assert "ERIKSSON" not in response.text
    only = (await client.get("/watchlist", params={"kind": "commodity"})).json()
    assert [i["kind"] for i in only["items"]] == ["COMMODITY"]


async def test_person_screening_hits_with_reasons(client: httpx.AsyncClient) -> None:
    """A variant of the example's name and its birth date hit, explained, with staleness."""
    response = await client.post(
        "/screen/person",
        json={"name": "Eriksson Anna", "date_of_birth": "1974-08", "nationality": "SWE"},
    )
    assert response.status_code == 200
    body = response.json()
    assert "staleness_seconds" in body
    hit = body["hits"][0]
    assert hit["subject_id"] == "INTERPOL:2025-118422"
    assert hit["action"] == "DETAIN_AND_CONTACT_NODE"
    assert {r["field"] for r in hit["why"]} == {"name", "date_of_birth", "nationality"}
    assert hit["subject"]["armed"] is True


async def test_document_screening_without_name(client: httpx.AsyncClient) -> None:
    """A document number alone is enough to screen and hits exactly."""
    body = (await client.post("/screen/person", json={"document_number": "L898902C3"})).json()
    assert body["hits"][0]["why"][0] == {
        "field": "document", "how": "exact", "score": 1.0, "detail": "P issued by SWE"
    }  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"date_of_birth": "1974"},
        {"name": "X", "date_of_birth": "12/08/1974"},
        {"name": "X", "bogus": 1},
    ],
)
async def test_bad_person_requests_are_422(client: httpx.AsyncClient, body: dict[str, str]) -> None:
    """Requests without a name or document, with a malformed date or unknown fields get 422."""
    assert (await client.post("/screen/person", json=body)).status_code == 422


async def test_object_screening(client: httpx.AsyncClient) -> None:
    """Empty object requests are 422; a container hits after normalization; unknown ones do not."""
    assert (await client.post("/screen/object", json={})).status_code == 422
    hit = (await client.post("/screen/object", json={"container": "mwcu 605978-4"})).json()
    assert hit["hits"][0]["why"][0]["field"] == "container"
    body = (await client.post("/screen/object", json={"container": "CSQU3054383"})).json()
    assert body["hits"] == []
    assert body["watchlist_size"] == 2


async def test_metrics_and_openapi(client: httpx.AsyncClient) -> None:
    """/metrics exposes the post's gauges and counters; the OpenAPI document lists every route."""
    await client.post("/screen/person", json={"name": "Nobody Known"})
    text = (await client.get("/metrics")).text
    assert 'frontline_post_watchlist_size{post="FRA.CDG"} 2.0' in text
    assert (
        'frontline_post_screenings_total{outcome="clear",post="FRA.CDG",type="person"} 1.0' in text
    )
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {"/health", "/watchlist", "/screen/person", "/screen/object", "/metrics"} <= set(paths)


async def test_post_answers_while_its_store_loads(
    service: PostService,  # noqa: F811  # why: the shared fixture
    tmp_path: Path,
) -> None:
    """A post started without waiting for its store says "loading" and warns in every answer."""
    later = PostService(Settings(data_dir=tmp_path), "FRA", "CDG", restore=False)
    _, token = later.officers.add("Officer Test")
    transport = httpx.ASGITransport(app=create_app(later))
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://post", headers=auth) as http:
        assert (await http.get("/health")).json()["status"] == "loading"
        body = (await http.post("/screen/person", json={"name": "Anna Eriksson"})).json()
        assert any("still loading" in w for w in body["warnings"])
        assert await later.load() == 2
        assert (await http.get("/health")).json()["status"] != "loading"
        found = (await http.post("/screen/person", json={"name": "Anna Eriksson"})).json()
        assert found["hits"][0]["subject_id"] == "INTERPOL:2025-118422"
