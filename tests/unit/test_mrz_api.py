"""``POST /screen/mrz`` over an in-process app (no broker, no server), and ``screen_mrz``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.post import PostService, api
from gateway.post.api import create_app
from gateway.post.api_mrz import MAX_LIMIT, screen_mrz, screen_mrz_blocking
from gateway.post.screening.mrz import MrzError
from tests.support.post import service  # noqa: F401  # why: the shared fixture

# ICAO Doc 9303's specimen passport: the holder and document of the shipped wanted-person
# example (INTERPOL:2025-118422, passport L898902C3).
PASSPORT = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\r\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
)
# The same with the birth date's check digit altered (2 -> 3).
FORGED = PASSPORT[:-25] + "3" + PASSPORT[-24:]


@pytest.fixture
async def client(service: PostService) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811  # why: the fixture above
    """An HTTP client talking to the app in process, as an officer of the post."""
    _, token = service.officers.add("Officer Test")
    transport = httpx.ASGITransport(app=create_app(service))
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://post", headers=auth) as http:
        yield http


async def test_passport_zone_screens_holder_and_document(client: httpx.AsyncClient) -> None:
    """The specimen passport's zone is read with its check digits and hits by name and number."""
    response = await client.post("/screen/mrz", json={"mrz": PASSPORT})
    assert response.status_code == 200
    body = response.json()
    reading = body["mrz"]
    assert reading["format"] == "TD3"
    assert (reading["surname"], reading["given_names"]) == ("ERIKSSON", "ANNA MARIA")
    assert [(c["field"], c["found"], c["valid"]) for c in reading["checks"]] == [
        ("document_number", "6", True),
        ("birth_date", "2", True),
        ("expiry_date", "9", True),
        ("personal_number", "1", True),
        ("composite", "0", True),
    ]
    assert "the document expired on 2012-04-15" in reading["warnings"]
    hit = body["screening"]["hits"][0]
    assert hit["subject_id"] == "INTERPOL:2025-118422"
    fields = {reason["field"]: reason["how"] for reason in hit["why"]}
    assert fields["document"] == "exact"
    assert fields["date_of_birth"] == "exact"
    assert fields["name"] == "exact"
    assert "documents" in body["screening"]


async def test_failed_check_digit_is_a_warning_and_screening_goes_on(
    client: httpx.AsyncClient,
) -> None:
    """A forged zone's failing check digits are warnings; the holder is still screened and hit."""
    body = (await client.post("/screen/mrz", json={"mrz": FORGED})).json()
    failed = {c["field"]: c["expected"] for c in body["mrz"]["checks"] if not c["valid"]}
    assert failed == {"birth_date": "2", "composite": "3"}
    assert body["mrz"]["valid"] is False
    assert any("check digit of the birth date fails" in w for w in body["mrz"]["warnings"])
    assert body["screening"]["hits"][0]["subject_id"] == "INTERPOL:2025-118422"


async def test_unreadable_zone_is_422_naming_line_and_column(client: httpx.AsyncClient) -> None:
    """A short second line is a 422 naming line, column and format, without echoing the zone."""
    response = await client.post("/screen/mrz", json={"mrz": PASSPORT[:-1]})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert (detail["line"], detail["column"]) == (2, 44)
    assert detail["expected"] == "TD3: 2 lines of 44 characters"
    assert "ERIKSSON" not in response.text
    assert "L898902C3" not in response.text


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"mrz": ""},
        {"mrz": "P" * 401},
        {"mrz": PASSPORT, "limit": 0},
        {"mrz": PASSPORT, "limit": 101},
        {"mrz": PASSPORT, "threshold": 1.5},
        {"mrz": PASSPORT, "name": "extra"},
        {"mrz": PASSPORT[:20] + "\ud800" + PASSPORT[21:]},
    ],
)
async def test_bad_requests_are_422(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    """A missing, empty or oversized zone, bounds out of range, unknown fields and a lone
    surrogate are refused."""
    response = await client.post(
        "/screen/mrz", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


async def test_zone_without_name_nor_number_is_422(client: httpx.AsyncClient) -> None:
    """A zone of fillers reads but holds nothing to screen: 422 saying so."""
    lines = "P<UTO" + "<" * 39 + "\n" + "<" * 9 + "0UTO7408122F1204159" + "<" * 14 + "<6"
    response = await client.post("/screen/mrz", json={"mrz": lines})
    assert response.status_code == 422
    assert "neither a name nor a document number" in response.text


async def test_needs_an_officer_token(service: PostService) -> None:  # noqa: F811  # why: the fixture
    """Without a token the zone is neither read nor screened: 401."""
    transport = httpx.ASGITransport(app=create_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://post") as http:
        response = await http.post("/screen/mrz", json={"mrz": PASSPORT})
    assert response.status_code == 401
    assert service.access.entries() == []


async def test_screening_is_logged_under_the_officer(
    client: httpx.AsyncClient,
    service: PostService,  # noqa: F811  # why: the fixture
) -> None:
    """The MRZ screening writes one access-log row under the officer, with the query asked."""
    await client.post("/screen/mrz", json={"mrz": PASSPORT, "limit": 5})
    (row,) = service.access.entries()
    assert row.kind == "person"
    assert row.officer == "1"
    assert row.query["document_number"] == "L898902C3"
    assert row.alerts == [("INTERPOL:2025-118422", 1)]


async def test_openapi_lists_the_route(client: httpx.AsyncClient) -> None:
    """The OpenAPI document describes /screen/mrz with the bounds of /screen/person."""
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/screen/mrz" in paths
    assert MAX_LIMIT == api.MAX_LIMIT


async def test_plain_functions_for_the_console_and_cli(service: PostService) -> None:  # noqa: F811  # why: the fixture
    """``screen_mrz`` and ``screen_mrz_blocking`` answer as the route does, and raise MrzError."""
    answer = await screen_mrz(service, PASSPORT, officer=None, threshold=0.8, limit=3)
    assert answer.screening.hits[0].subject_id == "INTERPOL:2025-118422"
    same = screen_mrz_blocking(service, PASSPORT, officer=None, threshold=0.8, limit=3)
    assert same.mrz == answer.mrz
    with pytest.raises(MrzError):
        await screen_mrz(service, "P<UTO", officer=None)
