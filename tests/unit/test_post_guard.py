"""The post API under hostile input: bounded bodies and fields, no values in logs, no CDN."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import httpx
import pytest
from starlette.types import Message

from gateway.kafka.clock import now_ms
from gateway.post import PostService, guard
from gateway.post import service as service_module
from gateway.post.api import create_app
from gateway.post.guard import MAX_BODY_BYTES, RequestGuard
from gateway.post.screening import match
from tests.support.post import service  # noqa: F401  # why: the shared fixture

TRAVELLER = "KARIMSECRET"
Logs = list[MutableMapping[str, Any]]


@pytest.fixture
async def client(service: PostService) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811  # why: the fixture above
    """An HTTP client talking to the app in process, as an officer of the post."""
    _, token = service.officers.add("Officer Test")
    transport = httpx.ASGITransport(app=create_app(service))
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://post", headers=auth) as http:
        yield http
    service.close()


class _Recorder:
    """Stands in for the guard's logger: keeps each event and its fields."""

    def __init__(self) -> None:
        self.events: Logs = []

    def _keep(self, event: str, **fields: Any) -> None:
        self.events.append({"event": event, **fields})

    info = warning = error = _keep


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> Logs:
    """Every event the API's guard logs during the test, whatever the logging configuration."""
    recorder = _Recorder()
    monkeypatch.setattr(guard, "log", recorder)
    return recorder.events


async def test_a_one_megabyte_name_is_refused_unread(client: httpx.AsyncClient) -> None:
    """A body over the limit is answered 413 from its Content-Length, without parsing it."""
    body = '{"name": "' + "Karim " * 175_000 + '"}'
    started = time.perf_counter()
    response = await client.post(
        "/screen/person", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert time.perf_counter() - started < 1.0


async def test_a_chunked_body_stops_being_read_at_the_limit(client: httpx.AsyncClient) -> None:
    """A chunked body (no Content-Length) is read only up to the limit, then refused."""
    pulled = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal pulled
        yield b'{"name": "'
        for _ in range(100_000):  # 100 MB if it were all read
            pulled += 1
            yield b"Karim " * 170

    response = await client.post("/screen/person", content=endless())
    assert response.status_code == 413
    assert pulled * 1020 < 2 * MAX_BODY_BYTES


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Karim " * 2_000}, "name"),  # 12 KB: under the body limit, over the field's
        ({"name": "K" * 190}, "body"),  # one 190-letter word
        ({"name": " ".join(["Karim"] * 13)}, "body"),  # 13 words
        ({"given_names": "A " * 90, "family_name": "B " * 90}, "body"),
        ({"name": "Karim", "nationality": "ZZZ"}, "nationality"),
        ({"name": "Karim", "document_country": "XX"}, "document_country"),
        ({"name": "Karim", "document_number": "9" * 41}, "document_number"),
        ({"name": "Karim", "date_of_birth": "1980-05-17" * 3}, "date_of_birth"),
        ({"name": "Karim", "limit": 101}, "limit"),
    ],
)
async def test_oversized_or_invalid_fields_are_422(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    """Every field is bounded: names, words, countries, documents, dates and the hit limit."""
    response = await client.post("/screen/person", json=body)
    assert response.status_code == 422, response.text
    locs = [d["loc"] for d in response.json()["detail"]]
    assert any(loc[-1] == field for loc in locs), locs


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
async def test_a_non_finite_threshold_is_422_not_500(
    client: httpx.AsyncClient, number: str
) -> None:
    """NaN and infinities in a number field are refused with a 422 the client can read."""
    body = '{"name": "Karim", "threshold": ' + number + "}"
    response = await client.post(
        "/screen/person", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "threshold"]


async def test_lowercase_countries_are_accepted(client: httpx.AsyncClient) -> None:
    """A valid country in lower case is taken as its ISO code."""
    response = await client.post("/screen/person", json={"name": "Karim", "nationality": "fra"})
    assert response.status_code == 200


async def test_a_422_never_echoes_nor_logs_the_values(
    client: httpx.AsyncClient, logs: Logs, capsys: pytest.CaptureFixture[str]
) -> None:
    """A refused request's answer names the field, and neither it nor the log carries values."""
    bodies = [
        '{"name": "\\ud800' + TRAVELLER + '"}',  # a lone surrogate
        '{"name": "' + TRAVELLER * 30 + '"}',  # too long
        '{"name": "' + TRAVELLER + '", "date_of_birth": "' + TRAVELLER[:10] + '"}',
        '{"name": "' + TRAVELLER + '", "' + TRAVELLER + '": 1}',  # an unknown key
        '{"name": "' + TRAVELLER + '", "threshold": NaN}',
    ]
    for body in bodies:
        response = await client.post(
            "/screen/person", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422
        assert TRAVELLER not in response.text.replace(f'"{TRAVELLER}"]', "")  # the key's own name
        assert len(response.content) < 2_000
    printed = capsys.readouterr()
    assert TRAVELLER not in printed.out + printed.err
    assert TRAVELLER not in repr(logs)
    assert [e["event"] for e in logs].count("post_request_invalid") == len(bodies)


async def test_an_internal_error_logs_its_type_not_its_text(
    client: httpx.AsyncClient,
    service: PostService,  # noqa: F811  # why: the fixture above
    logs: Logs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The 500 path logs the error's type and place, never its message (which may hold data)."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"cannot screen {TRAVELLER}")

    monkeypatch.setattr(service_module, "screen_person", broken)
    response = await client.post("/screen/person", json={"name": TRAVELLER})
    assert response.status_code == 500
    assert TRAVELLER not in response.text
    errors = [e for e in logs if e["event"] == "post_api_error"]
    assert len(errors) == 1
    assert errors[0]["error"] == "RuntimeError"
    assert TRAVELLER not in repr(logs)


async def test_a_client_leaving_mid_body_is_one_log_line(logs: Logs) -> None:
    """A disconnect while the body is read is logged once and never reaches the app."""
    reached = False

    async def app(scope: Any, receive: Any, send: Any) -> None:
        nonlocal reached
        reached = True

    messages: list[Message] = [
        {"type": "http.request", "body": b'{"name": "Ka', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/screen/person", "headers": []}
    await RequestGuard(app)(scope, receive, send)
    assert not reached
    assert not sent
    assert [e["event"] for e in logs] == ["post_client_disconnected"]


async def test_screening_runs_off_the_event_loop(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a slow screening runs, /health still answers at once."""
    real = match.screen_person

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(1.0)  # a worst-case screening, holding its thread
        return real(*args, **kwargs)

    monkeypatch.setattr(service_module, "screen_person", slow)
    screening = asyncio.create_task(client.post("/screen/person", json={"name": "Karim"}))
    await asyncio.sleep(0.1)
    started = time.perf_counter()
    health = await client.get("/health")
    took = time.perf_counter() - started
    assert health.status_code == 200
    assert took < 0.3, f"/health took {took:.2f} s behind a screening"
    assert (await screening).status_code == 200


async def test_too_many_screenings_at_once_are_503(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the admission limit a screening is answered 503 with Retry-After, not queued."""
    real = match.screen_person

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(service_module, "screen_person", slow)
    monkeypatch.setattr(service_module, "SCREEN_QUEUE", 2)
    answers = await asyncio.gather(
        *(client.post("/screen/person", json={"name": "Karim"}) for _ in range(4))
    )
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 200, 503, 503]
    assert next(a for a in answers if a.status_code == 503).headers["retry-after"] == "1"


async def test_health_reports_a_lost_feed(
    client: httpx.AsyncClient,
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """20 s without an answer from the feed is not "ok": stale, unreachable, not caught up."""
    service.feed.caught_up.set()
    service.feed.last_contact_ms = now_ms()
    fresh = (await client.get("/health")).json()
    assert (fresh["status"], fresh["feed_reachable"], fresh["caught_up"]) == ("ok", True, True)
    service.feed.last_contact_ms = now_ms() - 20_000
    lost = (await client.get("/health")).json()
    assert (lost["status"], lost["feed_reachable"], lost["caught_up"]) == ("stale", False, False)


async def test_the_docs_page_needs_no_cdn(client: httpx.AsyncClient) -> None:
    """/docs loads Swagger UI's script and style from the post itself."""
    page = (await client.get("/docs")).text
    assert "cdn." not in page
    urls = re.findall(r"""["']([^"']*(?:swagger-ui-bundle\.js|swagger-ui\.css))["']""", page)
    assert len(urls) == 2, urls
    for url in urls:
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 10_000
