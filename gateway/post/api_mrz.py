"""``POST /screen/mrz``: read a document's machine-readable zone and screen holder and document.

The body is ``{"mrz": "<the zone's lines>", "threshold"?, "limit"?}``; the answer is
``{"mrz": <the reading>, "screening": <the screening answer>}``: every check digit with the
digit expected, the reading's warnings (a failed check digit is one: forged documents fail
them, so the screening goes on), and the screening of the holder's name, birth date and
nationality together with the document's number and issuer (``screening.documents`` lists
the travel-document alerts on that document).

A zone that cannot be read (wrong lines, a character outside A-Z, 0-9 and ``<``) is a 422
whose detail names the line, the column and the expected format, never the zone's text.
``screen_mrz`` is the same, callable by the console; ``screen_mrz_blocking`` is for a caller
without an event loop (the CLI on the local store).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict, Field, field_validator

from gateway.errors import FrontlineError
from gateway.post.auth import Authorized
from gateway.post.screening import DEFAULT_THRESHOLD, ScreeningAnswer
from gateway.post.screening.match import PersonQuery
from gateway.post.screening.mrz import MrzError, MrzReading, read_mrz
from gateway.post.service import PostBusyError

if TYPE_CHECKING:
    from gateway.post.service import PostService

__all__ = [
    "MAX_MRZ_CHARS",
    "MrzScreenAnswer",
    "MrzScreenRequest",
    "NothingToScreenError",
    "install",
    "mrz_error_detail",
    "screen_mrz",
    "screen_mrz_blocking",
]

# A zone is at most 90 characters (TD1); room for line breaks, spaces around and a scanner's
# prefix, still far below the request guard's body limit.
MAX_MRZ_CHARS = 400
MAX_LIMIT = 100  # hits per answer, as /screen/person (gateway/post/api.py)
SPECIMEN = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
)


class NothingToScreenError(FrontlineError):
    """A zone read whole that holds neither a name nor a document number."""


class MrzScreenRequest(BaseModel):
    """A zone as pasted or scanned: 2 or 3 lines (CR/LF, spaces around and lower case are fine)."""

    model_config = ConfigDict(extra="forbid")

    mrz: str = Field(
        min_length=1,
        max_length=MAX_MRZ_CHARS,
        description="The machine-readable zone, its lines separated by line breaks",
        examples=[SPECIMEN],
    )
    threshold: float = Field(default=DEFAULT_THRESHOLD, ge=0.0, le=1.0, allow_inf_nan=False)
    limit: int = Field(default=10, ge=1, le=MAX_LIMIT)

    @field_validator("mrz", mode="after")
    @classmethod
    def _text(cls, value: str) -> str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("not valid Unicode text (a lone surrogate)") from None
        return value


class MrzScreenAnswer(BaseModel):
    """What the zone says, with its check digits, and the screening of holder and document."""

    model_config = ConfigDict(frozen=True)

    mrz: MrzReading
    screening: ScreeningAnswer


def _query(text: str) -> tuple[MrzReading, PersonQuery]:
    reading = read_mrz(text)
    query = reading.person_query()
    if not (query.name or query.document_number):
        raise NothingToScreenError(
            "the zone holds neither a name nor a document number",
            hint="check the zone was read whole, or screen by name with /screen/person",
        )
    return reading, query


async def screen_mrz(
    service: PostService,
    text: str,
    *,
    officer: str | None,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = 10,
) -> MrzScreenAnswer:
    """Read a zone and screen its holder and document on the service's worker threads.

    Raises ``MrzError`` (line, column, format) for a zone that cannot be read,
    ``NothingToScreenError`` for one with nothing to screen, ``PostBusyError`` when full.
    """
    reading, query = _query(text)
    answer = await service.screen_person_async(
        query, threshold=threshold, limit=limit, officer=officer
    )
    return MrzScreenAnswer(mrz=reading, screening=answer)


def screen_mrz_blocking(
    service: PostService,
    text: str,
    *,
    officer: str | None,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = 10,
) -> MrzScreenAnswer:
    """``screen_mrz`` in the calling thread, for callers without an event loop (the CLI)."""
    reading, query = _query(text)
    answer = service.screen_person(query, threshold=threshold, limit=limit, officer=officer)
    return MrzScreenAnswer(mrz=reading, screening=answer)


def mrz_error_detail(error: MrzError) -> list[dict[str, Any]]:
    """A 422 detail in FastAPI's shape, plus where the zone went wrong and the fix."""
    return [
        {
            "loc": ["body", "mrz"],
            "msg": error.message,
            "type": "mrz_format",
            "line": error.line,
            "column": error.column,
            "expected": error.expected,
            "hint": error.hint,
        }
    ]


def install(app: FastAPI, service: PostService) -> None:
    """Add ``POST /screen/mrz`` to a post's app."""

    @app.post("/screen/mrz", response_model=MrzScreenAnswer, tags=["screening"])
    async def screen_mrz_route(request: MrzScreenRequest, who: Authorized) -> MrzScreenAnswer:
        """Read a passport's, card's or visa's MRZ and screen the holder and the document.

        Every check digit is reported (document number, birth date, expiry, personal
        number, composite); a failed one is a warning in ``mrz.warnings``, not an error.
        """
        try:
            return await screen_mrz(
                service,
                request.mrz,
                officer=str(who.id),
                threshold=request.threshold,
                limit=request.limit,
            )
        except MrzError as error:
            raise HTTPException(422, mrz_error_detail(error)) from None
        except PostBusyError as error:
            raise HTTPException(503, error.message, headers={"Retry-After": "1"}) from None
        except FrontlineError as error:
            raise HTTPException(422, error.message) from None
