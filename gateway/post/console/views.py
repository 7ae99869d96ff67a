"""The console's routes: sign in and out, screen, report a hit, and the live status fragment.

Pages are rendered on the server (Jinja2, ``templates/``); ``static/console.js`` only
refreshes the status, changes and hits panels every few seconds and submits a complete
scanned MRZ. Every form POST carries the session's CSRF token (the cookie is also
SameSite=Strict); a page of a signed-out, expired or revoked officer is the sign-in page.
Nothing a form carries is logged: screenings go to the access log like the API's.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import ValidationError

from gateway.contract.messages import HitOutcome
from gateway.errors import FrontlineError
from gateway.post.api import ObjectScreenRequest, PersonScreenRequest, health_of
from gateway.post.console.i18n import LANGUAGES, NATIVE, Catalog, catalog, choose
from gateway.post.console.mrz import screen_zone
from gateway.post.console.sessions import Session, Sessions, same_token
from gateway.post.hits import UnknownAlertError, UnknownScreeningError
from gateway.post.officers import Officer, OfficerRevokedError
from gateway.post.screening import ScreeningAnswer
from gateway.post.service import PostBusyError, PostService

__all__ = ["LIVE_EVERY_MS", "SESSION_COOKIE", "install_routes"]

log = structlog.get_logger(__name__)

SESSION_COOKIE = "fl_console"
SIGNIN_COOKIE = "fl_console_signin"  # the sign-in form's CSRF token, before any session
LANG_COOKIE = "fl_lang"
LIVE_EVERY_MS = 3_000
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_PERSON_FIELDS = ("name", "date_of_birth", "nationality", "document_number", "document_country")
_OBJECT_FIELDS = ("container", "imo", "vin", "plate", "plate_country")
_KNOWN_WARNINGS = (
    "the watchlist is still loading",
    "the post has never reached",
    "the watchlist was last",
)

_templates = Environment(
    loader=PackageLoader("gateway.post.console", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _clock(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%H:%M:%S")


_templates.filters["clock"] = _clock


def _invalid(error: ValidationError) -> list[str]:
    """The fields a form got wrong (``__root__``: the form as a whole), never their values."""
    return sorted({str(e["loc"][0]) if e["loc"] else "__root__" for e in error.errors()})


def _path(request: Request) -> str:
    """Where the post's app is mounted, "/"-ended (``post run --all`` mounts under /posts/)."""
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return root + "/"


def _form_text(form: Any, name: str, limit: int = 2_000) -> str | None:
    value = form.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()[:limit]
    return value or None


class _Console:
    """The console of one post's app."""

    def __init__(self, service: PostService) -> None:
        self.service = service
        self.sessions = Sessions()

    # -- rendering ----------------------------------------------------------------------------

    def lang(self, request: Request) -> Catalog:
        return catalog(choose(request.cookies.get(LANG_COOKIE)))

    def render(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        t = self.lang(request)
        base = _path(request).rstrip("/")
        html = _templates.get_template(template).render(
            t=t,
            base=base,
            post=self.service.name,
            languages=[(code, NATIVE[code]) for code in LANGUAGES],
            live_every_ms=LIVE_EVERY_MS,
            **context,
        )
        response = HTMLResponse(html, status_code=status)
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    def cookie(self, request: Request, response: Response, name: str, value: str) -> None:
        response.set_cookie(
            name,
            value,
            path=_path(request),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    def home(self, request: Request) -> RedirectResponse:
        return RedirectResponse(_path(request), 303)

    # -- who is asking ------------------------------------------------------------------------

    def current(self, request: Request) -> tuple[Session, Officer] | str:
        """The session and its officer, or why there is none: ``signed_out`` or ``revoked``."""
        session_id = request.cookies.get(SESSION_COOKIE)
        session = self.sessions.get(session_id)
        if session is None:
            return "signed_out"
        try:
            officer = self.service.officers.get(session.officer_id)
        except FrontlineError:
            officer = None
        if officer is None or officer.revoked:  # the session stays, refused, until it expires
            return "revoked"
        return session, officer

    def signin_page(self, request: Request, reason: str | None = None) -> HTMLResponse:
        token = secrets.token_urlsafe(32)
        status = {None: 200, "signed_out": 200, "refused": 401, "revoked": 403, "csrf": 403}
        response = self.render(
            request, "signin.html", status.get(reason, 200), csrf=token, reason=reason
        )
        self.cookie(request, response, SIGNIN_COOKIE, token)
        return response

    # -- the console page ---------------------------------------------------------------------

    def live(self, session: Session) -> dict[str, Any]:
        """What the status, changes and hits panels show."""
        service = self.service
        health = health_of(service)
        changes, forgotten = service.changes.since(session.changes_seq)
        mine = str(session.officer_id)
        hits = [h for h in service.book.hits() if h.report.officer_id == mine][-10:]
        hits.reverse()
        return {
            "health": health,
            "last_contact": _clock(service.feed.last_contact_ms),
            "loading": service.feed.loading,
            "changes": changes[:50],
            "changes_more": forgotten + max(0, len(changes) - 50),
            "my_hits": hits,
        }

    def page(
        self,
        request: Request,
        session: Session,
        officer: Officer,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        answer: ScreeningAnswer | None = context.get("answer")
        notes = []
        if answer is not None:
            notes = [w for w in answer.warnings if not w.startswith(_KNOWN_WARNINGS)]
        context.setdefault("person", {})
        context.setdefault("object", {})
        context.setdefault("focus", "mrz")
        return self.render(
            request,
            "console.html",
            status,
            officer=officer,
            csrf=session.csrf,
            outcomes=[o.value for o in HitOutcome],
            notes=notes,
            **self.live(session),
            **context,
        )


class _Routes(_Console):
    """The console's request handlers."""

    async def signed_in(self, request: Request) -> tuple[Session, Officer] | Response:
        who = self.current(request)
        if isinstance(who, str):
            return self.signin_page(request, who if who == "revoked" else None)
        return who

    async def checked(self, request: Request) -> tuple[Session, Officer, Any] | Response:
        """A POSTed form of a signed-in officer with the session's CSRF token."""
        who = await self.signed_in(request)
        if isinstance(who, Response):
            return who
        form = await request.form()
        if not same_token(_form_text(form, "csrf", 200), who[0].csrf):
            log.warning("post_console_csrf_refused", post=self.service.name, officer=who[1].id)
            return self.page(request, *who, status=403, error="csrf")
        return who[0], who[1], form

    async def index(self, request: Request) -> Response:
        who = await self.signed_in(request)
        return who if isinstance(who, Response) else self.page(request, *who)

    async def language(self, request: Request, code: str) -> Response:
        response = self.home(request)
        self.cookie(request, response, LANG_COOKIE, choose(code))
        return response

    async def signin(self, request: Request) -> Response:
        form = await request.form()
        expected = request.cookies.get(SIGNIN_COOKIE) or ""
        if not expected or not same_token(_form_text(form, "csrf", 200), expected):
            return self.signin_page(request, "csrf")
        try:
            officer = self.service.officers.verify(_form_text(form, "token", 200))
        except OfficerRevokedError:
            log.info("post_console_signin_refused", post=self.service.name, reason="revoked")
            return self.signin_page(request, "revoked")
        except FrontlineError:
            log.info("post_console_signin_refused", post=self.service.name, reason="refused")
            return self.signin_page(request, "refused")
        session_id, _ = self.sessions.open(officer.id, officer.name, self.service.changes.seq)
        log.info("post_console_signed_in", post=self.service.name, officer=officer.id)
        response = self.home(request)
        self.cookie(request, response, SESSION_COOKIE, session_id)
        response.delete_cookie(SIGNIN_COOKIE, path=_path(request), httponly=True, samesite="strict")
        return response

    async def signout(self, request: Request) -> Response:
        got = await self.checked(request)
        if isinstance(got, Response):
            return got
        self.sessions.close(request.cookies.get(SESSION_COOKIE))
        log.info("post_console_signed_out", post=self.service.name, officer=got[1].id)
        response = self.home(request)
        response.delete_cookie(
            SESSION_COOKIE, path=_path(request), httponly=True, samesite="strict"
        )
        return response

    async def live_fragments(self, request: Request) -> Response:
        who = self.current(request)
        if isinstance(who, str):
            return JSONResponse({"signed_in": False, "reason": who}, status_code=401)
        t = self.lang(request)
        data = self.live(who[0])
        parts = {
            f"{part}_html": _templates.get_template(f"_{part}.html").render(t=t, **data)
            for part in ("status", "changes", "hits")
        }
        return JSONResponse(
            {"signed_in": True, "feed": data["health"].status, **parts},
            headers={"Cache-Control": "no-store"},
        )

    async def screen_person(self, request: Request) -> Response:
        got = await self.checked(request)
        if isinstance(got, Response):
            return got
        session, officer, form = got
        fields = {f: _form_text(form, f, 300) for f in _PERSON_FIELDS}
        return await self._screen_person(request, session, officer, fields, focus="name")

    async def _screen_person(
        self,
        request: Request,
        session: Session,
        officer: Officer,
        fields: dict[str, str | None],
        *,
        focus: str,
        **context: Any,
    ) -> Response:
        try:
            query = PersonScreenRequest.model_validate(
                {k: v for k, v in fields.items() if v is not None}
            )
        except ValidationError as error:
            return self.page(
                request, session, officer, 422, person=fields, focus=focus,
                error="person_invalid", invalid=_invalid(error), **context,
            )  # fmt: skip
        try:
            answer = await self.service.screen_person_async(
                query.query(), threshold=query.threshold, limit=query.limit, officer=str(officer.id)
            )
        except PostBusyError:
            return self.page(request, session, officer, 503, person=fields, error="busy")
        return self.page(
            request, session, officer, person=fields, answer=answer, focus=focus, **context
        )

    async def screen_mrz(self, request: Request) -> Response:
        got = await self.checked(request)
        if isinstance(got, Response):
            return got
        session, officer, form = got
        text = _form_text(form, "mrz", 300) or ""
        try:
            fields, checks, notes, answer = await screen_zone(
                self.service, text, officer=str(officer.id)
            )
        except PostBusyError:
            return self.page(request, session, officer, 503, error="busy", mrz=text)
        except FrontlineError as error:  # MrzError names line and column, never the zone
            return self.page(
                request, session, officer, 422, error="mrz_unreadable",
                error_detail=error.message[:300], mrz=text,
            )  # fmt: skip
        return self.page(
            request, session, officer, person=fields, answer=answer, focus="mrz", mrz=text,
            mrz_checks=checks, mrz_warnings=notes,
        )  # fmt: skip

    async def screen_object(self, request: Request) -> Response:
        got = await self.checked(request)
        if isinstance(got, Response):
            return got
        session, officer, form = got
        fields = {f: _form_text(form, f, 100) for f in _OBJECT_FIELDS}
        try:
            query = ObjectScreenRequest.model_validate(
                {k: v for k, v in fields.items() if v is not None}
            )
        except ValidationError as error:
            return self.page(
                request, session, officer, 422, object=fields, focus="object",
                error="object_invalid", invalid=_invalid(error),
            )  # fmt: skip
        try:
            answer = await self.service.screen_object_async(
                query.query(), limit=query.limit, officer=str(officer.id)
            )
        except PostBusyError:
            return self.page(request, session, officer, 503, object=fields, error="busy")
        return self.page(request, session, officer, object=fields, answer=answer, focus="object")

    async def report_hit(self, request: Request) -> Response:
        got = await self.checked(request)
        if isinstance(got, Response):
            return got
        session, officer, form = got
        screening = _form_text(form, "screening_id", 20)
        try:
            outcome = HitOutcome(_form_text(form, "outcome", 40) or "")
            report = self.service.report_hit(
                _form_text(form, "alert_id", 200) or "",
                outcome,
                officer=str(officer.id),
                screening_id=int(screening) if screening and screening.isdigit() else None,
                note=_form_text(form, "note"),
            )
        except ValueError:
            return self.page(request, session, officer, 422, error="hit_invalid")
        except (UnknownAlertError, UnknownScreeningError):
            return self.page(request, session, officer, 404, error="hit_unknown")
        except FrontlineError:
            return self.page(request, session, officer, 422, error="hit_invalid")
        return self.page(request, session, officer, reported=report)


def install_routes(app: FastAPI, service: PostService) -> None:
    """Add the console's routes and its static files to a post's app."""
    console = _Routes(service)
    app.state.console = console
    app.mount(
        "/console/static",
        StaticFiles(packages=[("gateway.post.console", "static")]),
        name="console-static",
    )
    routes: list[tuple[str, Any, str]] = [
        ("/", console.index, "GET"),
        ("/console/lang/{code}", console.language, "GET"),
        ("/console/live", console.live_fragments, "GET"),
        ("/console/signin", console.signin, "POST"),
        ("/console/signout", console.signout, "POST"),
        ("/console/screen/person", console.screen_person, "POST"),
        ("/console/screen/mrz", console.screen_mrz, "POST"),
        ("/console/screen/object", console.screen_object, "POST"),
        ("/console/hits", console.report_hit, "POST"),
    ]
    for path, endpoint, method in routes:
        app.add_api_route(path, endpoint, methods=[method], include_in_schema=False)
