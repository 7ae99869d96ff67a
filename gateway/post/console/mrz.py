"""The console's MRZ box: a pasted or scanned zone is read, fills the person form, and is screened.

Reading and screening are ``gateway.post.api_mrz.screen_mrz`` (the same as ``POST /screen/mrz``:
ICAO Doc 9303 via ``gateway.post.screening.mrz``). A failed check digit is not an error: the
screening goes on and the console shows it as a warning (forged documents fail them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.post.api_mrz import screen_mrz
from gateway.post.screening import ScreeningAnswer

if TYPE_CHECKING:
    from gateway.post.service import PostService

__all__ = ["MrzCheck", "MrzResult", "screen_zone"]

MrzCheck = tuple[str, bool, str, str]  # field, valid, found, expected
MrzResult = tuple[dict[str, str | None], list[MrzCheck], list[str], ScreeningAnswer]


async def screen_zone(service: PostService, text: str, *, officer: str) -> MrzResult:
    """Read a zone and screen its holder and document: the form's fields as read, the
    check digits, the reader's notes, and the screening's answer.

    Raises the reader's ``MrzError`` (naming line and column) for a zone it cannot read,
    ``NothingToScreenError`` for one with neither name nor document, ``PostBusyError``.
    """
    answer = await screen_mrz(service, text, officer=officer)
    query = answer.mrz.person_query()
    fields: dict[str, str | None] = {
        "name": query.name,
        "date_of_birth": query.date_of_birth,
        "nationality": query.nationality,
        "document_number": query.document_number,
        "document_country": query.document_country,
    }
    checks = [(c.field, c.valid, c.found, c.expected) for c in answer.mrz.checks]
    return fields, checks, list(answer.mrz.warnings), answer.screening
