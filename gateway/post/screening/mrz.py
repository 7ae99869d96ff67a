"""Reading a machine-readable zone (MRZ, ICAO Doc 9303): TD1, TD2, TD3, MRV-A and MRV-B.

Pure: text in, a reading out, no I/O. The zone's format follows from its shape: TD1 cards
are 3 lines of 30 characters, TD2 cards 2 of 36, TD3 passports 2 of 44, visas (first
letter ``V``) MRV-A 2 of 44 and MRV-B 2 of 36. The characters are A-Z, 0-9 and the filler
``<``. Every check digit (weights 7, 3, 1 repeating, sum mod 10; ``<`` = 0, A-Z = 10-35)
is reported valid or not with the digit expected; a failed one is a warning, never the end
of the reading: forged documents fail them, and the holder is screened all the same.

Pasted text may have CR/LF or ``|`` between lines, spaces around them, lower case, the
lines all on one, and a few OCR slips where only one reading is possible: a letter in a
digit-only field (``O`` -> ``0``) or a digit in a letter-only field (``0`` -> ``O``),
``«`` for ``<<``. Each slip is reported (``corrections`` and a warning), never silently
changed. Anything else that is not the MRZ alphabet, or a wrong number or length of
lines, raises :class:`MrzError` naming the line, the column and the expected format.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.contract.icao import ICAO_SPECIAL_CODES, icao_to_iso3
from gateway.contract.identifiers import icao_check_digit, is_icao_document_code, is_iso3
from gateway.errors import FrontlineError
from gateway.post.screening.match import PersonQuery

__all__ = [
    "FORMATS",
    "ICAO_SPECIAL_CODES",
    "CheckDigit",
    "Correction",
    "MrzError",
    "MrzFormat",
    "MrzReading",
    "icao_to_iso3",
    "read_mrz",
]

MrzFormat = Literal["TD1", "TD2", "TD3", "MRV-A", "MRV-B"]

#: Each format's number of lines and their width.
FORMATS: dict[MrzFormat, tuple[int, int]] = {
    "TD1": (3, 30),
    "TD2": (2, 36),
    "TD3": (2, 44),
    "MRV-A": (2, 44),
    "MRV-B": (2, 36),
}
_SHAPES = "TD1 3 lines of 30, TD2 2 of 36, TD3 2 of 44, MRV-A 2 of 44, MRV-B 2 of 36"
_HINT = "paste the zone's lines as printed (" + _SHAPES + "), characters A-Z, 0-9 and <"

# OCR slips with one possible reading: a letter where only a digit may stand, and back.
_TO_DIGIT = {
    **{"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1"},
    **{"Z": "2", "S": "5", "G": "6", "B": "8"},
}
_TO_LETTER = {"0": "O", "1": "I", "2": "Z", "5": "S", "6": "G", "8": "B"}
_ALPHABET = re.compile(r"[A-Z0-9<]")
_LINES = re.compile(r"\r\n|\r|\n")
_SEX: dict[str, Literal["F", "M", "X"]] = {"M": "M", "F": "F", "<": "X", "X": "X"}


class MrzError(FrontlineError):
    """A zone that cannot be read: wrong lines or characters, named by line and column."""

    def __init__(self, problem: str, *, line: int, column: int, expected: str) -> None:
        super().__init__(
            f"MRZ line {line}, column {column}: {problem} (expected {expected})", hint=_HINT
        )
        self.line = line
        self.column = column
        self.expected = expected


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class CheckDigit(_Out):
    """One check digit of the zone: where it is, what it says and what it should say."""

    field: str = Field(
        description="document_number, birth_date, expiry_date, personal_number or composite"
    )
    line: int = Field(description="1-based line of the check digit")
    column: int = Field(description="1-based column of the check digit")
    found: str = Field(description="the character in the zone")
    expected: str = Field(description="the digit the data gives")
    valid: bool


class Correction(_Out):
    """An OCR slip read one way because the field allows only that reading."""

    line: int
    column: int
    found: str
    read_as: str
    why: str


class MrzReading(_Out):
    """What a zone says, its check digits, and what an officer should know about it."""

    format: MrzFormat
    document_code: str = Field(description="P, PD, I, ID, AC, V ... ('<' fillers dropped)")
    issuing_state: str = Field(description="ICAO code as printed: ISO alpha-3, D, UTO, XXA ...")
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: str | None = Field(description="YYYY-MM-DD, YYYY-MM or YYYY; None if unknown")
    sex: Literal["F", "M", "X"] | None = Field(description="X: unspecified ('<' or 'X')")
    expiry_date: str | None
    optional_data: str = Field(description="TD3: personal number; TD1: line 1's optional data")
    optional_data_2: str | None = Field(default=None, description="TD1 line 2's optional data")
    checks: list[CheckDigit]
    valid: bool = Field(description="every check digit agrees with its data")
    corrections: list[Correction] = []
    warnings: list[str] = []
    lines: list[str] = Field(description="the zone as read, slips corrected")

    def person_query(self) -> PersonQuery:
        """The holder and the document as a screening query (ICAO codes mapped to ISO)."""
        name = " ".join(part for part in (self.given_names, self.surname) if part)
        return PersonQuery(
            name=name or None,
            date_of_birth=self.birth_date,
            nationality=icao_to_iso3(self.nationality),
            document_number=self.document_number or None,
            document_country=icao_to_iso3(self.issuing_state),
        )


# -- layouts --------------------------------------------------------------------------------

Span = tuple[int, int, int]  # line, start, end (0-based, end excluded)
Kind = Literal["alpha", "digit", "alnum", "sex", "name"]


@dataclass(frozen=True)
class _Layout:
    code: Span
    state: Span
    name: Span
    number: Span
    number_check: Span
    nationality: Span
    birth: Span
    birth_check: Span
    sex: Span
    expiry: Span
    expiry_check: Span
    optional: Span
    optional_check: Span | None = None
    optional_2: Span | None = None
    composite: Span | None = None
    composite_covers: tuple[Span, ...] = ()

    def kinds(self) -> list[tuple[Span, Kind]]:
        """Every field with what it may hold."""
        fields: list[tuple[Span | None, Kind]] = [
            (self.code, "alpha"),
            (self.state, "alpha"),
            (self.name, "name"),
            (self.number, "alnum"),
            (self.number_check, "digit"),
            (self.nationality, "alpha"),
            (self.birth, "digit"),
            (self.birth_check, "digit"),
            (self.sex, "sex"),
            (self.expiry, "digit"),
            (self.expiry_check, "digit"),
            (self.optional, "alnum"),
            (self.optional_check, "digit"),
            (self.optional_2, "alnum"),
            (self.composite, "digit"),
        ]
        return [(span, kind) for span, kind in fields if span is not None]


def _two_lines(width: int, *, composite: bool, optional_check: bool) -> _Layout:
    """TD2, TD3 and the visas: code, state and name, then number, nationality, dates, data."""
    opt_end = width - (1 if composite else 0) - (1 if optional_check else 0)
    return _Layout(
        code=(0, 0, 2),
        state=(0, 2, 5),
        name=(0, 5, width),
        number=(1, 0, 9),
        number_check=(1, 9, 10),
        nationality=(1, 10, 13),
        birth=(1, 13, 19),
        birth_check=(1, 19, 20),
        sex=(1, 20, 21),
        expiry=(1, 21, 27),
        expiry_check=(1, 27, 28),
        optional=(1, 28, opt_end),
        optional_check=(1, opt_end, opt_end + 1) if optional_check else None,
        composite=(1, width - 1, width) if composite else None,
        composite_covers=((1, 0, 10), (1, 13, 20), (1, 21, width - 1)) if composite else (),
    )


_LAYOUTS: dict[MrzFormat, _Layout] = {
    "TD1": _Layout(
        code=(0, 0, 2),
        state=(0, 2, 5),
        number=(0, 5, 14),
        number_check=(0, 14, 15),
        optional=(0, 15, 30),
        birth=(1, 0, 6),
        birth_check=(1, 6, 7),
        sex=(1, 7, 8),
        expiry=(1, 8, 14),
        expiry_check=(1, 14, 15),
        nationality=(1, 15, 18),
        optional_2=(1, 18, 29),
        composite=(1, 29, 30),
        composite_covers=((0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29)),
        name=(2, 0, 30),
    ),
    "TD2": _two_lines(36, composite=True, optional_check=False),
    "TD3": _two_lines(44, composite=True, optional_check=True),
    "MRV-A": _two_lines(44, composite=False, optional_check=False),
    "MRV-B": _two_lines(36, composite=False, optional_check=False),
}


# -- text to lines --------------------------------------------------------------------------


def _fits(lines: list[str]) -> bool:
    return any((len(lines), len(lines[0])) == shape for shape in FORMATS.values()) and all(
        len(line) == len(lines[0]) for line in lines
    )


def _split_lines(text: str, notes: list[str]) -> list[str]:
    """The zone's lines (split at line breaks and '|'): trimmed, upper case, NFKC-folded."""
    text = unicodedata.normalize("NFKC", text).upper().replace("\u2039", "<")  # single angle quote
    lines = [line.strip() for line in _LINES.split(text.replace("|", "\n")) if line.strip()]
    if any(any(c.isspace() for c in line) for line in lines):
        split = [part for line in lines for part in line.split()]
        joined = ["".join(line.split()) for line in lines]
        if split and _fits(split):
            lines = split
        elif joined and _fits(joined):
            notes.append("spaces inside a line of the zone were dropped")
            lines = joined
    if len(lines) == 1 and any(len(lines[0]) == n * w for n, w in FORMATS.values()):
        width = next(w for n, w in FORMATS.values() if len(lines[0]) == n * w)
        lines = [lines[0][i : i + width] for i in range(0, len(lines[0]), width)]
    return lines


def _widen_guillemets(lines: list[str], width: int, notes: list[str]) -> list[str]:
    """'«' read as '<<' where that, and only that, gives the line its width."""
    out = []
    for number, line in enumerate(lines, 1):
        wide = line.replace("«", "<<")
        if "«" in line and len(wide) == width and len(line) != width:
            notes.append(f"line {number}: '«' read as '<<'")
            out.append(wide)
        else:
            out.append(line)
    return out


def _shape(lines: list[str]) -> MrzFormat:
    """The format the lines' number, width and first letter say, or MrzError."""
    if len(lines) not in {2, 3}:
        missing = len(lines) < 2
        raise MrzError(
            f"{len(lines)} line(s) in the zone",
            line=len(lines) + 1 if missing else 4,
            column=1,
            expected="2 lines (TD2, TD3, MRV-A, MRV-B) or 3 (TD1)",
        )
    for number, line in enumerate(lines, 1):
        for column, char in enumerate(line, 1):
            if _ALPHABET.fullmatch(char) is None and char != "«":
                raise MrzError(
                    f"{char!r} is not an MRZ character",
                    line=number,
                    column=column,
                    expected="A-Z, 0-9 or <",
                )
    if len(lines) == 3:  # TD1 is the one 3-line format
        fmt: MrzFormat = "TD1"
    else:
        widths = {len(line) for line in lines}
        # The width of line 1 decides when neither line has a format's width.
        wide = 44 in widths or (36 not in widths and len(lines[0]) > 40)
        visa = lines[0].startswith("V")
        fmt = ("MRV-A" if visa else "TD3") if wide else ("MRV-B" if visa else "TD2")
    count, width = FORMATS[fmt]
    for number, line in enumerate(lines, 1):
        if len(line) != width:
            raise MrzError(
                f"{len(line)} characters",
                line=number,
                column=min(len(line), width) + 1,
                expected=f"{fmt}: {count} lines of {width} characters",
            )
        if "«" in line:
            raise MrzError(
                "'«' is not an MRZ character",
                line=number,
                column=line.index("«") + 1,
                expected="A-Z, 0-9 or <",
            )
    return fmt


def _correct(grid: list[list[str]], layout: _Layout) -> list[Correction]:
    """Fix the slips that have one reading in their field, and list them."""
    fixes: list[Correction] = []
    for (line, start, end), kind in layout.kinds():
        table = _TO_DIGIT if kind == "digit" else _TO_LETTER if kind in {"alpha", "name"} else {}
        for col in range(start, end):
            char = grid[line][col]
            if char in table:
                why = "a digit-only field" if kind == "digit" else "a letter-only field"
                fixes.append(Correction(line=line + 1, column=col + 1, found=char,
                                        read_as=table[char], why=why))  # fmt: skip
                grid[line][col] = table[char]
    return fixes


# -- fields ---------------------------------------------------------------------------------


def _text(lines: list[str], span: Span) -> str:
    line, start, end = span
    return lines[line][start:end]


def _names(field: str, notes: list[str]) -> tuple[str, str]:
    """Surname and given names: '<<' between them, '<' between words."""
    if not field.endswith("<"):
        notes.append("the name fills its whole field: it may be truncated")
    primary, _, secondary = field.rstrip("<").partition("<<")
    surname = " ".join(primary.split("<")).strip()
    given = " ".join(part for part in secondary.split("<") if part)
    return surname, given


def _date(raw: str, what: str, *, birth: bool, today: dt.date, notes: list[str]) -> str | None:
    """YYMMDD as YYYY-MM-DD (or YYYY-MM, YYYY when parts are '<<' or '00'), century inferred.

    A birth date is in the past (the latest century that keeps it so); an expiry date lies
    within 49 years before or 50 years after today.
    """
    yy, mm, dd = raw[0:2], raw[2:4], raw[4:6]
    if yy == "<<":
        return None
    if not (yy.isdigit() and mm in {"<<", "00"} | {f"{m:02d}" for m in range(1, 13)}):
        notes.append(f"the {what} {raw!r} is not a date")
        return None
    month = int(mm) if mm.isdigit() and mm != "00" else None
    day = int(dd) if month and dd.isdigit() and dd != "00" else None
    if day is None and dd not in {"<<", "00"}:
        notes.append(f"the {what} {raw!r} is not a date")
        return None
    year = 2000 + int(yy)
    if birth and (year, month or 1, day or 1) > (today.year, today.month, today.day):
        year -= 100
    if not birth and year > today.year + 50:
        year -= 100
    try:
        full = dt.date(year, month or 1, day or 1)
    except ValueError:
        notes.append(f"the {what} {raw!r} is not a date")
        return None
    if day is not None:
        return full.isoformat()
    return f"{year:04d}-{month:02d}" if month is not None else f"{year:04d}"


def _check(
    lines: list[str], field: str, data: str, at: tuple[int, int], *, empty_may_be_filler: bool
) -> CheckDigit:
    line, col = at
    found = lines[line][col]
    expected = str(icao_check_digit(data))
    valid = found == expected or (empty_may_be_filler and found == "<" and set(data) <= {"<"})
    return CheckDigit(
        field=field, line=line + 1, column=col + 1, found=found, expected=expected, valid=valid
    )


def _document_number(
    lines: list[str], layout: _Layout
) -> tuple[str, tuple[str, tuple[int, int]], str]:
    """The number, (the data its check digit covers, where that digit is), optional data.

    A number longer than 9 characters (TD1, TD2) puts '<' in the check digit's place and
    goes on in the optional data, its check digit last before a '<'.
    """
    line, start, end = layout.number
    number = lines[line][start:end]
    check_at = (layout.number_check[0], layout.number_check[1])
    opt_line, opt_start, opt_end = layout.optional
    optional = lines[opt_line][opt_start:opt_end]
    extended = layout.composite is not None and layout.optional_check is None
    if extended and lines[check_at[0]][check_at[1]] == "<" and not optional.startswith("<"):
        tail = optional.split("<", 1)[0]
        if len(tail) > 1:
            number += tail[:-1]
            check_at = (opt_line, opt_start + len(tail) - 1)
            optional = optional[len(tail) :]
    return number.rstrip("<"), (number, check_at), optional.strip("<")


def _country_notes(reading: dict[str, str], notes: list[str]) -> None:
    for what in ("issuing_state", "nationality"):
        code = reading[what]
        if code == "UTO":
            notes.append(f"{what.replace('_', ' ')} UTO: ICAO's specimen state, not a country")
        elif code and code not in ICAO_SPECIAL_CODES and not is_iso3(code):
            notes.append(
                f"{what.replace('_', ' ')} {code!r} is neither ISO 3166 nor an ICAO code:"
                " the screening does not use it"
            )


def read_mrz(text: str, *, today: dt.date | None = None) -> MrzReading:
    """Read a zone: its format, fields, every check digit, slips corrected and warnings.

    ``today`` (default: the local date) places two-digit years in their century and tells
    whether the document has expired. Raises :class:`MrzError` for a zone of the wrong shape
    or with characters outside A-Z, 0-9 and '<'.
    """
    today = today or dt.date.today()
    notes: list[str] = []
    lines = _split_lines(text, notes)
    if len(lines) in {2, 3}:
        widths = {w for n, w in FORMATS.values() if n == len(lines)}
        for width in sorted(widths):
            widened = _widen_guillemets(lines, width, [])
            if all(len(line) == width for line in widened):
                lines = _widen_guillemets(lines, width, notes)
                break
    fmt = _shape(lines)
    layout = _LAYOUTS[fmt]
    grid = [list(line) for line in lines]
    corrections = _correct(grid, layout)
    lines = ["".join(row) for row in grid]
    notes.extend(
        f"line {c.line}, column {c.column}: {c.found!r} read as {c.read_as!r} ({c.why})"
        for c in corrections
    )
    number, (number_data, number_at), optional = _document_number(lines, layout)
    checks = [
        _check(lines, "document_number", number_data, number_at, empty_may_be_filler=False),
        _check(lines, "birth_date", _text(lines, layout.birth), layout.birth_check[:2],
               empty_may_be_filler=False),
        _check(lines, "expiry_date", _text(lines, layout.expiry), layout.expiry_check[:2],
               empty_may_be_filler=False),
    ]  # fmt: skip
    if layout.optional_check is not None:
        checks.append(
            _check(lines, "personal_number", _text(lines, layout.optional),
                   layout.optional_check[:2], empty_may_be_filler=True)
        )  # fmt: skip
    if layout.composite is not None:
        data = "".join(_text(lines, span) for span in layout.composite_covers)
        checks.append(
            _check(lines, "composite", data, layout.composite[:2], empty_may_be_filler=False)
        )
    notes.extend(
        f"check digit of the {check.field.replace('_', ' ')} fails: found {check.found!r},"
        f" expected {check.expected} (line {check.line}, column {check.column}):"
        " a misread or an altered document"
        for check in checks
        if not check.valid
    )
    code = _text(lines, layout.code)
    if not is_icao_document_code(code.rstrip("<")) and not is_icao_document_code(code):
        notes.append(f"document code {code!r} is not one ICAO 9303 defines")
    surname, given = _names(_text(lines, layout.name), notes)
    sex_char = _text(lines, layout.sex)
    if sex_char not in _SEX:
        notes.append(f"sex {sex_char!r} is not F, M, X or <")
    birth = _date(_text(lines, layout.birth), "birth date", birth=True, today=today, notes=notes)
    expiry = _date(_text(lines, layout.expiry), "expiry date", birth=False, today=today,
                   notes=notes)  # fmt: skip
    if expiry is not None and len(expiry) == 10 and expiry < today.isoformat():  # a full date
        notes.append(f"the document expired on {expiry}")
    fields = {
        "issuing_state": _text(lines, layout.state).strip("<"),
        "nationality": _text(lines, layout.nationality).strip("<"),
    }
    _country_notes(fields, notes)
    optional_2 = _text(lines, layout.optional_2).strip("<") if layout.optional_2 else None
    return MrzReading(
        format=fmt,
        document_code=code.strip("<"),
        surname=surname,
        given_names=given,
        document_number=number,
        birth_date=birth,
        sex=_SEX.get(sex_char),
        expiry_date=expiry,
        optional_data=optional,
        optional_data_2=optional_2,
        checks=checks,
        valid=all(check.valid for check in checks),
        corrections=corrections,
        warnings=notes,
        lines=lines,
        **fields,
    )
