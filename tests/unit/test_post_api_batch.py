"""POST /screen/batch over an in-process app: keys, limits, body bound, threads, access log."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.post import PostService
from gateway.post.api import create_app
from gateway.post.api_batch import MAX_BATCH
from gateway.post.guard import MAX_BODY_BYTES
from tests.support.post import service  # noqa: F401  # why: the shared fixture


@pytest.fixture
async def client(service: PostService) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811  # why: the fixture above
    """An HTTP client talking to the app in process, as an officer of the post."""
    _, token = service.officers.add("Officer Batch")
    transport = httpx.ASGITransport(app=create_app(service))
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://post", headers=auth) as http:
        yield http


def _clear(i: int) -> dict[str, object]:
    return {"person": {"name": f"Nobody Known{i}", "date_of_birth": "1990"}}


async def test_answers_come_back_under_the_clients_keys(client: httpx.AsyncClient) -> None:
    """Person and object queries answer under their keys; the keys with hits are listed."""
    body = {
        "queries": {
            "12A": {"person": {"name": "Eriksson Anna", "date_of_birth": "1974-08-12"}},
            "12B": _clear(1),
            "box-1": {"object": {"container": "MWCU6059784"}},
        }
    }
    response = await client.post("/screen/batch", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer["answers"]) == {"12A", "12B", "box-1"}
    assert answer["answers"]["12A"]["hits"][0]["subject_id"] == "INTERPOL:2025-118422"
    assert answer["answers"]["12B"]["hits"] == []
    assert answer["answers"]["box-1"]["hits"][0]["subject_id"] == "EUROPOL:OP-2025-0457"
    assert set(answer["hits"]) == {"12A", "box-1"}
    assert answer["queries"] == 3
    assert answer["watchlist_size"] == 2


async def test_every_query_is_one_access_log_row_under_the_officer(
    client: httpx.AsyncClient,
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """Each query of a batch is logged once, under the officer, with its screening id."""
    before = len(service.access.entries())
    queries = {f"k{i}": _clear(i) for i in range(5)}
    answer = (await client.post("/screen/batch", json={"queries": queries})).json()
    rows = service.access.entries()[before:]
    assert len(rows) == 5
    assert {row.officer for row in rows} == {rows[0].officer}
    assert not rows[0].officer.startswith("local:")
    assert sorted(a["screening_id"] for a in answer["answers"].values()) == [r.seq for r in rows]


async def test_a_full_batch_passes_the_body_guard(client: httpx.AsyncClient) -> None:
    """A batch of MAX_BATCH queries (well over the 16 KiB single bound) is answered."""
    queries = {f"seat-{i:04d}": _clear(i) for i in range(MAX_BATCH)}
    body = {"queries": queries}
    assert len(httpx.Request("POST", "/", json=body).content) > MAX_BODY_BYTES
    response = await client.post("/screen/batch", json=body, timeout=120)
    assert response.status_code == 200, response.text[:300]
    assert len(response.json()["answers"]) == MAX_BATCH


async def test_too_many_queries_is_refused_naming_the_limit(client: httpx.AsyncClient) -> None:
    """MAX_BATCH + 1 queries is a 422 that names the limit; none is screened."""
    queries = {f"k{i}": _clear(i) for i in range(MAX_BATCH + 1)}
    response = await client.post("/screen/batch", json={"queries": queries})
    assert response.status_code == 422
    assert f"1 to {MAX_BATCH} queries" in response.text


async def test_the_larger_bound_is_for_the_batch_path_only(client: httpx.AsyncClient) -> None:
    """A single screening still refuses a body over 16 KiB; the batch's bound is 2 MiB."""
    big = {"name": "x" * (MAX_BODY_BYTES + 10)}
    assert (await client.post("/screen/person", json=big)).status_code == 413
    huge = {"queries": {"k": {"person": {"name": "x" * (3 * 1024 * 1024)}}}}
    assert (await client.post("/screen/batch", json=huge)).status_code == 413


@pytest.mark.parametrize(
    ("queries", "where"),
    [
        ({"bad key!": {"person": {"name": "a b"}}}, "queries"),
        ({"k": {"person": {"name": "a b"}, "object": {"imo": "9074729"}}}, "exactly one"),
        ({"k": {}}, "exactly one"),
        ({"k": {"person": {"name": "a b", "date_of_birth": "12/08/1974"}}}, "YYYY-MM-DD"),
        ({}, "1 to 1000 queries"),
    ],
)
async def test_invalid_queries_are_422_naming_the_key_and_field(
    client: httpx.AsyncClient, queries: dict[str, object], where: str
) -> None:
    """A bad key, a query with both or neither kind, a bad field: 422 saying where."""
    response = await client.post("/screen/batch", json={"queries": queries})
    assert response.status_code == 422
    assert where in response.text


async def test_batch_needs_an_officer(service: PostService) -> None:  # noqa: F811  # why: the fixture above
    """Without a token the batch is 401, like every screening endpoint."""
    transport = httpx.ASGITransport(app=create_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://post") as http:
        response = await http.post("/screen/batch", json={"queries": {"k": _clear(0)}})
    assert response.status_code == 401


async def test_screenings_run_off_the_event_loop(
    client: httpx.AsyncClient,
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """Every query of a batch runs on the service's worker threads, not the loop's thread."""
    seen: set[str] = set()
    original = service.screen_person

    def spy(*args: object, **kwargs: object) -> object:
        seen.add(threading.current_thread().name)
        return original(*args, **kwargs)  # type: ignore[arg-type]  # why: passed through

    service.screen_person = spy  # type: ignore[method-assign,assignment]  # why: a spy
    queries = {f"k{i}": _clear(i) for i in range(6)}
    assert (await client.post("/screen/batch", json={"queries": queries})).status_code == 200
    assert seen
    assert all(name.startswith("screen-") for name in seen)


async def test_a_mounted_posts_batch_has_the_larger_bound(service: PostService) -> None:  # noqa: F811  # why: the fixture above
    """Under `post run --all` (a post's API mounted under /posts/ISO3.POST) the bound holds too."""
    from starlette.applications import Starlette  # noqa: PLC0415  # why: only here
    from starlette.routing import Mount  # noqa: PLC0415  # why: only here

    _, token = service.officers.add("Officer Mounted")
    root = Starlette(routes=[Mount("/posts/FRA.CDG", app=create_app(service))])
    transport = httpx.ASGITransport(app=root)
    queries = {f"seat-{i:04d}": _clear(i) for i in range(300)}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://host", headers={"Authorization": f"Bearer {token}"}
    ) as http:
        response = await http.post("/posts/FRA.CDG/screen/batch", json={"queries": queries})
    assert response.status_code == 200, response.text[:300]
    assert len(response.json()["answers"]) == 300


async def test_a_busy_post_answers_503_to_a_batch(
    client: httpx.AsyncClient,
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """Past the post's screening queue a batch is refused with 503 and Retry-After."""
    from gateway.post.service import SCREEN_QUEUE  # noqa: PLC0415  # why: only here

    service._admitted = SCREEN_QUEUE  # every screening slot taken
    response = await client.post("/screen/batch", json={"queries": {"k": _clear(0)}})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
