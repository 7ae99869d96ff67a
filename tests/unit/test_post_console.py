"""The officer's console over an in-process app: sign in, CSRF, revocation, languages, assets."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from importlib import resources
from types import SimpleNamespace

import httpx
import pytest
from aiokafka import TopicPartition
from fastapi import FastAPI

from gateway.contract.enums import Org
from gateway.contract.messages import MESSAGE_HEADER, HitAck, encode_message
from gateway.logconfig import configure_logging
from gateway.post import PostService
from gateway.post.api import create_app
from gateway.post.console.i18n import LANGUAGES
from gateway.post.console.views import SESSION_COOKIE
from gateway.post.screening.results import AlertFlag
from gateway.settings import LogFormat
from tests.support.alerts import make_alert
from tests.support.post import feed_record, service  # noqa: F401  # why: the shared fixture

SPECIMEN_TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
)


@pytest.fixture
def officer(service: PostService) -> tuple[int, str]:  # noqa: F811  # why: the fixture above
    """An officer of the post and its token."""
    added, token = service.officers.add("Officer Dupont")
    return added.id, token


@pytest.fixture
async def web(service: PostService) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811  # why: the fixture above
    """A browser-like client of the post's app (keeps cookies, follows redirects)."""
    transport = httpx.ASGITransport(app=create_app(service))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://post.test", follow_redirects=True
    ) as client:
        yield client


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, "no CSRF field on the page"
    return found.group(1)


async def sign_in(web: httpx.AsyncClient, token: str) -> str:
    """Sign in through the form; returns the console page's CSRF token."""
    page = await web.get("/")
    answer = await web.post("/console/signin", data={"csrf": csrf_of(page.text), "token": token})
    assert answer.status_code == 200, answer.text[:300]
    return csrf_of(answer.text)


def text_of(html: str) -> str:
    """A page's visible text, roughly."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_sign_in_sets_an_opaque_strict_httponly_cookie(
    web: httpx.AsyncClient, officer: tuple[int, str]
) -> None:
    """Signing in sets a SameSite=Strict HttpOnly cookie that is not the token, and greets."""
    page = await web.get("/")
    assert page.status_code == 200
    assert 'name="token"' in page.text
    answer = await web.post(
        "/console/signin",
        data={"csrf": csrf_of(page.text), "token": officer[1]},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    assert officer[1].split(".")[1] not in cookie
    home = await web.get("/")
    assert "Officer Dupont" in home.text
    assert officer[1] not in home.text


async def test_wrong_token_and_missing_csrf_are_refused(
    web: httpx.AsyncClient, officer: tuple[int, str]
) -> None:
    """A wrong token is 401 and a sign-in without the form's CSRF token is 403; no session."""
    page = await web.get("/")
    wrong = await web.post("/console/signin", data={"csrf": csrf_of(page.text), "token": "1.nope"})
    assert wrong.status_code == 401
    forged = await web.post("/console/signin", data={"csrf": "forged", "token": officer[1]})
    assert forged.status_code == 403
    assert SESSION_COOKIE not in web.cookies
    assert 'name="token"' in (await web.get("/")).text


async def test_screening_needs_the_session_csrf_and_is_accounted_to_the_officer(
    web: httpx.AsyncClient,
    officer: tuple[int, str],
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """A form without the session's CSRF token screens nothing; with it, the access log
    names the officer and the page shows the hit, its reasons, action, caution and TLP."""
    csrf = await sign_in(web, officer[1])
    before = len(service.access.entries())
    refused = await web.post("/console/screen/person", data={"csrf": "x", "name": "Anna Eriksson"})
    assert refused.status_code == 403
    assert len(service.access.entries()) == before
    answer = await web.post(
        "/console/screen/person",
        data={"csrf": csrf, "name": "Eriksson Anna", "date_of_birth": "1974-08"},
    )
    assert answer.status_code == 200
    rows = service.access.entries()
    assert len(rows) == before + 1
    assert rows[-1].officer == str(officer[0])
    text = text_of(answer.text)
    assert "INTERPOL:2025-118422" in text
    assert "DETAIN AND CONTACT THE NATIONAL NODE" in text
    assert "within the range" in text  # the date of birth's reason
    assert "Armed" in text
    assert 'class="tlp tlp-amber"' in answer.text


async def test_mrz_fills_the_form_and_a_failed_check_digit_is_a_warning(
    web: httpx.AsyncClient, officer: tuple[int, str]
) -> None:
    """A pasted zone fills the person form and screens; a wrong check digit warns, still hits."""
    csrf = await sign_in(web, officer[1])
    forged = SPECIMEN_TD3.replace("L898902C36", "L898902C37")
    answer = await web.post("/console/screen/mrz", data={"csrf": csrf, "mrz": forged})
    assert answer.status_code == 200
    assert 'id="document_number" name="document_number" value="L898902C3"' in answer.text
    assert "A check digit is wrong" in answer.text
    assert "INTERPOL:2025-118422" in answer.text
    unreadable = await web.post("/console/screen/mrz", data={"csrf": csrf, "mrz": "P<UTO"})
    assert unreadable.status_code == 422


async def test_object_screening_and_report_hit_show_in_my_hits(
    web: httpx.AsyncClient,
    officer: tuple[int, str],
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """A container hits the commodity example; reporting the hit stores it under the officer
    and the hits panel shows it with its status."""
    csrf = await sign_in(web, officer[1])
    goods = next(e for e in service.watchlist.entries() if e.kind == "COMMODITY")
    container = next(o.number for o in goods.objects if o.kind == "CONTAINER")
    answer = await web.post("/console/screen/object", data={"csrf": csrf, "container": container})
    assert goods.alert_id in answer.text
    screening = re.search(r'name="screening_id" value="(\d+)"', answer.text)
    assert screening is not None
    reported = await web.post(
        "/console/hits",
        data={
            "csrf": csrf, "alert_id": goods.alert_id, "outcome": "OBJECT_SEIZED",
            "screening_id": screening.group(1),
        },
    )  # fmt: skip
    assert reported.status_code == 200
    hits = service.book.hits()
    assert [(h.report.alert_id, h.report.officer_id) for h in hits] == [
        (goods.alert_id, str(officer[0]))
    ]
    live = (await web.get("/console/live")).json()
    assert goods.alert_id in live["hits_html"]
    assert "Object seized" in live["hits_html"]


async def test_revoked_officer_is_refused_at_once(
    web: httpx.AsyncClient,
    officer: tuple[int, str],
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """Revoking an officer ends its open session on the next request, page or fragment."""
    csrf = await sign_in(web, officer[1])
    service.officers.revoke(officer[0])
    assert (await web.get("/console/live")).status_code == 401
    page = await web.get("/")
    assert page.status_code == 403
    assert "revoked" in page.text
    screened = await web.post(
        "/console/screen/person", data={"csrf": csrf, "name": "Anna Eriksson"}
    )
    assert 'name="token"' in screened.text
    assert all(row.officer != str(officer[0]) for row in service.access.entries())


async def test_sign_out_ends_the_session(web: httpx.AsyncClient, officer: tuple[int, str]) -> None:
    """After signing out the old session cookie opens nothing."""
    csrf = await sign_in(web, officer[1])
    session = web.cookies[SESSION_COOKIE]
    await web.post("/console/signout", data={"csrf": csrf})
    web.cookies.set(SESSION_COOKIE, session)
    assert 'name="token"' in (await web.get("/")).text
    assert (await web.get("/console/live")).status_code == 401


async def test_status_warns_when_stale_and_changes_since_sign_in(
    web: httpx.AsyncClient,
    officer: tuple[int, str],
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """The status fragment warns past the staleness bound; the changes panel lists alerts
    that arrived or were revoked after the officer signed in, not before."""
    await sign_in(web, officer[1])
    service.feed.last_contact_ms = int((time.time() - 60) * 1000)
    live = (await web.get("/console/live")).json()
    assert live["feed"] == "stale"
    assert "WATCHLIST STALE" in live["status_html"]
    assert "INTERPOL:2025-118422" not in live["changes_html"]
    tp = TopicPartition(service.topic, 0)
    service.feed.apply({tp: [feed_record(9, "INTERPOL:N-9", make_alert("INTERPOL:N-9"), "X")]})
    service.feed.apply({tp: [feed_record(10, "INTERPOL:2025-118422", None, "X")]})  # type: ignore[arg-type]  # why: a tombstone
    changes = (await web.get("/console/live")).json()["changes_html"]
    assert "INTERPOL:N-9" in changes
    assert "Revoked" in changes
    assert "INTERPOL:2025-118422" in changes


async def test_language_is_chosen_and_arabic_is_right_to_left(
    web: httpx.AsyncClient, officer: tuple[int, str]
) -> None:
    """The language link sets a cookie; Arabic pages are lang=ar dir=rtl, French lang=fr."""
    await web.get("/console/lang/ar")
    page = await web.get("/")
    assert '<html lang="ar" dir="rtl">' in page.text
    assert "رمز الضابط" in page.text
    await sign_in(web, officer[1])
    assert "تسجيل الخروج" in (await web.get("/")).text
    await web.get("/console/lang/fr")
    assert '<html lang="fr" dir="ltr">' in (await web.get("/")).text
    await web.get("/console/lang/xx")
    assert '<html lang="en" dir="ltr">' in (await web.get("/")).text


# Words spelled the same in English and the other language (not left-over English).
_SAME = {
    "fr": {"seconds", "source", "sources", "score", "caution_violent", "documents",
           "instructions", "field.document", "doc_type.VISA"},
    "es": {"seconds", "no"},
    "ar": set(),
}  # fmt: skip


async def test_every_catalog_translates_every_label() -> None:
    """Each language has every English key, and none of its labels is the English one."""
    files = resources.files("gateway.post.console").joinpath("catalogs")
    catalogs = {
        lang: json.loads(files.joinpath(f"{lang}.json").read_text("utf-8")) for lang in LANGUAGES
    }
    english = catalogs["en"]
    for lang in ("fr", "es", "ar"):
        assert set(catalogs[lang]) == set(english), lang
        same = {k for k, v in catalogs[lang].items() if v == english[k]}
        assert same <= _SAME[lang], (lang, same - _SAME[lang])
    latin = {  # Latin words left in the Arabic labels, placeholders and the command aside
        k for k, v in catalogs["ar"].items()
        if re.search(r"[A-Za-z]{3}", re.sub(r"\{\w+\}|\(frontline [a-z ]+\)", "", v))
    }  # fmt: skip
    assert not latin


async def test_pages_and_assets_name_no_external_url(
    web: httpx.AsyncClient, officer: tuple[int, str]
) -> None:
    """No page nor asset of the console names an http(s) URL, each asset it links is served
    by the post, and pages forbid other origins (CSP default-src 'self')."""
    pages = [await web.get("/")]
    csrf = await sign_in(web, officer[1])
    pages.append(await web.get("/"))
    pages.append(await web.post("/console/screen/mrz", data={"csrf": csrf, "mrz": SPECIMEN_TD3}))
    assets = set()
    for page in pages:
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert not re.search(r"https?://", page.text)
        assets |= set(re.findall(r'(?:src|href)="(/console/static/[^"]+)"', page.text))
    assert len(assets) >= 2
    for asset in assets:
        body = await web.get(asset)
        assert body.status_code == 200, asset
        assert not re.search(r"https?://", body.text), asset
    for entry in resources.files("gateway.post.console").joinpath("static").iterdir():
        assert not re.search(r"https?://", entry.read_text("utf-8")), entry.name


async def test_no_token_nor_personal_data_in_logs(
    web: httpx.AsyncClient, officer: tuple[int, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Signing in, screening and reporting log neither the token nor the name screened."""
    configure_logging(LogFormat.JSON, "INFO")  # an earlier test may have left WARNING
    csrf = await sign_in(web, officer[1])
    await web.post("/console/screen/person", data={"csrf": csrf, "name": "Eriksson Anna"})
    await web.post("/console/screen/mrz", data={"csrf": csrf, "mrz": SPECIMEN_TD3})
    await web.post("/console/screen/person", data={"csrf": "bad", "name": "Eriksson Anna"})
    logged = capsys.readouterr()
    out = logged.out + logged.err
    assert "post_console_signed_in" in out
    secret = officer[1].split(".")[1]
    for needle in (secret, "ERIKSSON", "Eriksson", "L898902C3", "1974"):
        assert needle not in out, needle


async def test_a_flag_shows_its_substitute_action(
    web: httpx.AsyncClient,
    officer: tuple[int, str],
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """An alert this country flagged shows the flag, its reason and the action that applies."""
    service.feed.flags["INTERPOL:2025-118422"] = AlertFlag(
        country="FRA", action="INFORM", reason="no arrest on our territory"
    )
    csrf = await sign_in(web, officer[1])
    page = await web.post("/console/screen/person", data={"csrf": csrf, "name": "Anna Eriksson"})
    text = text_of(page.text)
    assert "Flagged by FRA: INFORM instead of DETAIN AND CONTACT THE NATIONAL NODE" in text
    assert "no arrest on our territory" in text


async def test_console_works_mounted_under_a_prefix(
    service: PostService,  # noqa: F811  # why: the fixture above
    officer: tuple[int, str],
) -> None:
    """Mounted as `post run --all` mounts a post, links, cookies and redirects keep the prefix."""
    root = FastAPI()
    root.mount("/posts/FRA.CDG", create_app(service))
    transport = httpx.ASGITransport(app=root)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://host.test", follow_redirects=True
    ) as web:
        page = await web.get("/posts/FRA.CDG/")
        assert 'href="/posts/FRA.CDG/console/static/console.css"' in page.text
        assert 'action="/posts/FRA.CDG/console/signin"' in page.text
        assert (await web.get("/posts/FRA.CDG/console/static/console.js")).status_code == 200
        home = await web.post(
            "/posts/FRA.CDG/console/signin",
            data={"csrf": csrf_of(page.text), "token": officer[1]},
        )
        assert "Officer Dupont" in home.text
        assert str(home.url) == "http://host.test/posts/FRA.CDG/"


async def test_the_acknowledgement_shows_in_my_hits(
    web: httpx.AsyncClient,
    officer: tuple[int, str],
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """When the issuer's acknowledgement reaches the post, the hits panel says so with its
    instructions."""
    csrf = await sign_in(web, officer[1])
    await web.post(
        "/console/hits",
        data={"csrf": csrf, "alert_id": "INTERPOL:2025-118422", "outcome": "DETAINED"},
    )
    hit_id = service.book.hits()[0].report.hit_id
    assert "stored at the post" in (await web.get("/console/live")).json()["hits_html"]
    ack = HitAck(
        hit_id=hit_id, alert_id="INTERPOL:2025-118422", org=Org.INTERPOL,
        instructions="hold her, call NCB Lyon", acked_at=datetime.now(UTC),
        acked_by="connector-interpol",
    )  # fmt: skip
    record = SimpleNamespace(
        offset=5, key=f"ack:{hit_id}".encode(), value=encode_message(ack)[0],
        headers=[(MESSAGE_HEADER, b"hit-ack")],
    )  # fmt: skip
    service.feed.apply({TopicPartition(service.topic, 0): [record]})
    panel = (await web.get("/console/live")).json()["hits_html"]
    assert "acknowledged" in panel
    assert "hold her, call NCB Lyon" in panel
    assert "connector-interpol" in panel
