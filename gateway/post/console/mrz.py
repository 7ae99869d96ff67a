"""The console's MRZ box: a pasted or scanned zone becomes the person form's fields.

The zone is read by ``gateway.post.screening.mrz.read_mrz`` (ICAO Doc 9303). A failed check
digit is not an error: the screening goes on and the console shows it as a warning (forged
documents fail them). Until that reader is installed, the box answers that MRZ reading is
not available and the officer types the fields.
"""

from __future__ import annotations

import importlib
from typing import Any

from gateway.errors import FrontlineError

__all__ = ["MrzCheck", "MrzUnavailableError", "read_mrz_form"]

MrzCheck = tuple[str, bool, str, str]  # field, valid, found, expected


class MrzUnavailableError(FrontlineError):
    """This post has no MRZ reader."""


def _reader() -> Any:
    try:
        return importlib.import_module("gateway.post.screening.mrz").read_mrz
    except (ImportError, AttributeError):
        raise MrzUnavailableError(
            "MRZ reading is not available at this post",
            hint="type the traveller's name, birth date and document in the form",
        ) from None


def read_mrz_form(text: str) -> tuple[dict[str, str | None], list[MrzCheck], list[str]]:
    """The person form's fields read from a zone, its check digits, and the reader's notes.

    Raises ``MrzUnavailableError`` without a reader, and the reader's ``FrontlineError``
    (which names the line and column) for a zone it cannot read.
    """
    reading = _reader()(text)
    query = reading.person_query()
    fields: dict[str, str | None] = {
        "name": query.name,
        "date_of_birth": query.date_of_birth,
        "nationality": query.nationality,
        "document_number": query.document_number,
        "document_country": query.document_country,
    }
    checks = [(c.field, bool(c.valid), str(c.found), str(c.expected)) for c in reading.checks]
    return fields, checks, [str(w) for w in reading.warnings]
