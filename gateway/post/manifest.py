"""A UN/EDIFACT PAXLST passenger manifest (API data as airlines send it) read into passengers.

The EDIFACT syntax (UNA service characters, release character, segments, composites) is
pydifact's; this module reads the PAXLST message on top of it, directories D:02B and D:05B
as the WCO/IATA API guidelines use them:

- ``TDT+20+<flight>`` with ``LOC+125``/``LOC+87`` (departure, arrival airport) and
  ``DTM+189``/``DTM+232`` (scheduled times) is the flight;
- each traveller's group starts at ``NAD+FL`` (passenger) or ``NAD+FM`` (crew; ``DDU`` and
  ``DDT`` are the in-transit ones): name ``family:given:given``, then ``ATT+2`` (sex),
  ``DTM+329`` (birth date), ``LOC`` (178 embarkation, 179 disembarkation, 174 residence,
  180 birth place, 22 destination), ``NAT+2`` (nationality), and per document
  ``DOC+<type>+<number>`` with ``DTM+36`` (expiry), ``DTM+182`` (issued) and ``LOC+91``
  (issuing country).

A manifest that cannot be read (EDIFACT syntax, no PAXLST message, another directory, a
segment count that disagrees, a traveller segment outside a traveller's group) is a
``ManifestError`` naming the segment by its position in the file (1-based, UNA included)
and its tag. A traveller whose record lacks a field, or holds one that cannot be read (a
birth date that is no date, a nationality that is no ISO code), is kept and flagged:
screened on what it has. Error messages name positions and tags, never the values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydifact.exceptions import EDISyntaxError, MissingImplementationWarning
from pydifact.parser import Parser

from gateway.contract.identifiers import alpha2_to_alpha3, is_iso3
from gateway.errors import FrontlineError

__all__ = [
    "DIRECTORIES",
    "Flight",
    "Manifest",
    "ManifestError",
    "Passenger",
    "TravelDocument",
    "parse_paxlst",
    "read_paxlst",
]

DIRECTORIES = ("D:02B", "D:05B")  # the PAXLST directories read
MAX_MANIFEST_BYTES = 16 * 1024 * 1024  # a 1,000-seat flight is well under 1 MiB
_ROLES = {"FL": "passenger", "DDU": "passenger", "FM": "crew", "DDT": "crew"}
_PLACES = {
    "178": "embarkation",
    "179": "disembarkation",
    "174": "residence",
    "180": "birth",
    "22": "destination",
}
_DATE_FORMATS = {"101": 6, "102": 8, "201": 10, "203": 12}  # digits per format code
# Segments that only make sense inside a traveller's group.
_IN_GROUP = frozenset({"ATT", "NAT", "DOC"})


class ManifestError(FrontlineError):
    """A manifest that cannot be read: the message names the segment's position and tag."""


@dataclass(frozen=True, slots=True)
class Flight:
    """The conveyance of one PAXLST message (its TDT and the locations and times after it)."""

    number: str | None = None
    carrier: str | None = None
    departure: str | None = None
    arrival: str | None = None
    departure_at: str | None = None
    arrival_at: str | None = None

    def label(self) -> str:
        """``UA123 YVR-JFK`` or what is known of it."""
        route = "-".join(p for p in (self.departure, self.arrival) if p)
        return " ".join(p for p in (self.number, route) if p) or "unknown flight"


@dataclass(frozen=True, slots=True)
class TravelDocument:
    """One DOC group: the document's type code (P, I, V ...), number, issuer and dates."""

    number: str | None
    doc_type: str | None = None
    issuer: str | None = None
    expiry: str | None = None
    issued: str | None = None


@dataclass(slots=True)
class Passenger:
    """One traveller's group, from its NAD to the next one; ``flags`` say what is missing."""

    index: int  # 1-based, in manifest order
    segment: int  # the position of its NAD segment in the file
    role: str  # passenger or crew
    flight: Flight
    family_name: str | None = None
    given_names: str | None = None
    sex: str | None = None
    date_of_birth: str | None = None  # ISO 8601 (YYYY-MM-DD)
    nationality: str | None = None
    documents: list[TravelDocument] = field(default_factory=list)
    places: dict[str, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)

    @property
    def name(self) -> str | None:
        """Given names then family name, as one string (None without either)."""
        return " ".join(p for p in (self.given_names, self.family_name) if p) or None

    @property
    def missing(self) -> list[str]:
        """The fields screening uses that the record lacks (or held unreadable)."""
        wanted = {
            "name": self.name,
            "date_of_birth": self.date_of_birth,
            "nationality": self.nationality,
            "document": next((d.number for d in self.documents if d.number), None),
        }
        return [name for name, value in wanted.items() if not value]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (what ``post screen-manifest --json`` prints for the traveller)."""
        return {
            "index": self.index,
            "segment": self.segment,
            "role": self.role,
            "family_name": self.family_name,
            "given_names": self.given_names,
            "sex": self.sex,
            "date_of_birth": self.date_of_birth,
            "nationality": self.nationality,
            "documents": [
                {
                    "number": d.number,
                    "type": d.doc_type,
                    "issuer": d.issuer,
                    "expiry": d.expiry,
                    "issued": d.issued,
                }
                for d in self.documents
            ],
            "flight": self.flight.label(),
            "places": dict(self.places),
            "missing": self.missing,
            "flags": list(self.flags),
        }


@dataclass(frozen=True, slots=True)
class Manifest:
    """The travellers of every PAXLST message of one interchange, in order."""

    directory: str  # D:02B or D:05B
    sender: str | None
    flights: list[Flight]
    passengers: list[Passenger]
    warnings: list[str]


@dataclass(frozen=True, slots=True)
class _Seg:
    position: int
    tag: str
    elements: list[Any]

    def at(self, index: int, component: int = 0) -> str | None:
        """Element ``index``'s component (a simple element is its own component 0)."""
        if index >= len(self.elements):
            return None
        value = self.elements[index]
        if isinstance(value, list):
            value = value[component] if component < len(value) else ""
        elif component:
            return None
        text = str(value).strip()
        return text or None

    def where(self) -> str:
        return f"segment {self.position} ({self.tag})"


def _raw_tags(text: str, release: str, terminator: str) -> list[str]:
    """The tag of each segment, split roughly (release character honoured): for errors."""
    parts = re.split(rf"(?<!{re.escape(release)}){re.escape(terminator)}", text)
    return [p.strip()[:3] for p in parts if p.strip()]


def _segments(text: str) -> list[_Seg]:
    """pydifact's segments with their 1-based positions; a syntax error names the position."""
    parser = Parser()
    position = 0
    out: list[_Seg] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingImplementationWarning)  # no directory XML
        warnings.simplefilter("ignore", SyntaxWarning)  # an empty segment: checked below
        try:
            for segment in parser.parse(text):
                position += 1
                out.append(_Seg(position, str(segment.tag), list(segment.elements)))
        except (EDISyntaxError, AttributeError, IndexError, TypeError, ValueError) as error:
            chars = parser.characters
            tags = _raw_tags(text, chars.escape_character, chars.segment_terminator)
            tag = tags[position] if position < len(tags) else "end of file"
            raise ManifestError(
                f"the manifest is not valid EDIFACT at segment {position + 1} ({tag}): "
                f"{str(error).removeprefix('EDIFACT Syntax Error: ')}",
                hint="every segment ends with the terminator (' by default); a release "
                "character (?) must escape a separator inside a value",
            ) from None
    return out


def _date(value: str | None, fmt: str | None, *, birth: bool) -> str | None:
    """An EDIFACT date (formats 101, 102, 201, 203) as ISO; None when it is no date."""
    if not value or not value.isdigit():
        return None
    digits = _DATE_FORMATS.get(fmt or "", len(value))
    if len(value) != digits or digits not in {6, 8, 10, 12}:
        return None
    if digits in {6, 10}:  # YYMMDD[HHMM]: the century from the kind of date
        yy = int(value[:2])
        today = dt.date.today()
        century = 1900 if birth and yy > today.year % 100 else 2000
        value = f"{century + yy}{value[2:]}"
    try:
        day = dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None
    if len(value) == 12:
        hour, minute = int(value[8:10]), int(value[10:12])
        if hour > 23 or minute > 59:
            return None
        return f"{day.isoformat()}T{hour:02d}:{minute:02d}"
    return day.isoformat()


def _country(code: str | None) -> str | None:
    """An ISO 3166 alpha-3 code (alpha-2 accepted and converted); None when it is none."""
    if not code:
        return None
    code = code.upper()
    if len(code) == 2:  # alpha-2
        return alpha2_to_alpha3(code)
    return code if is_iso3(code) else None


class _Reader:
    """Walks the segments of one interchange, message by message."""

    def __init__(self) -> None:
        self.directory: str | None = None
        self.sender: str | None = None
        self.flights: list[Flight] = []
        self.passengers: list[Passenger] = []
        self.warnings: list[str] = []
        self.messages = 0
        self._flight = Flight()
        self._pax: Passenger | None = None
        self._document: dict[str, str | None] | None = None
        self._in_message: _Seg | None = None
        self._count = 0  # segments of the current message, UNH and UNT included
        self._message_pax = 0
        self._handlers = {
            "UNT": self._unt,
            "CNT": self._cnt,
            "TDT": self._tdt,
            "NAD": self._nad,
            "ATT": self._att,
            "DTM": self._dtm,
            "LOC": self._loc,
            "NAT": self._nat,
            "DOC": self._doc,
        }

    def read(self, segments: list[_Seg]) -> Manifest:
        for seg in segments:
            self._one(seg)
        if self._in_message is not None:
            raise ManifestError(
                f"the message that starts at {self._in_message.where()} has no UNT trailer",
                hint="the manifest was cut short: ask the carrier to send it again",
            )
        if not self.messages:
            raise ManifestError(
                "no PAXLST message in the manifest (no UNH segment)",
                hint="give a UN/EDIFACT PAXLST file (UNA/UNB, UNH+...+PAXLST:D:05B:UN:IATA)",
            )
        assert self.directory is not None
        return Manifest(self.directory, self.sender, self.flights, self.passengers, self.warnings)

    def _one(self, seg: _Seg) -> None:
        tag = seg.tag
        if tag in {"UNA", "UNG", "UNE", "UNZ"}:
            return
        if tag == "UNB":
            self.sender = seg.at(1)
            return
        if tag == "UNH":
            self._start(seg)
            return
        if self._in_message is None:
            raise ManifestError(
                f"{seg.where()} is outside a message (before UNH or after UNT)",
                hint="each PAXLST message runs from its UNH to its UNT",
            )
        self._count += 1
        handler = self._handlers.get(tag)
        if tag in _IN_GROUP and self._pax is None:
            raise ManifestError(
                f"{seg.where()} comes before any traveller's NAD+FL",
                hint="a traveller's group starts with NAD+FL (passenger) or NAD+FM (crew)",
            )
        if handler is not None:
            handler(seg)

    def _start(self, seg: _Seg) -> None:
        if self._in_message is not None:
            raise ManifestError(
                f"{seg.where()} starts a message before the one at "
                f"{self._in_message.where()} ended with UNT",
                hint="the manifest was cut or spliced: ask the carrier to send it again",
            )
        kind, version, release = seg.at(1, 0), seg.at(1, 1), seg.at(1, 2)
        if kind != "PAXLST":
            raise ManifestError(
                f"{seg.where()} is a {kind or 'nameless'} message, not PAXLST",
                hint="give a passenger manifest (UNH+1+PAXLST:D:05B:UN:IATA)",
            )
        directory = f"{version}:{release}"
        if directory not in DIRECTORIES:
            raise ManifestError(
                f"{seg.where()} is PAXLST directory {directory[:10]}; read are "
                + " and ".join(DIRECTORIES),
                hint="ask the carrier for D:02B or D:05B API data",
            )
        self.directory = self.directory or directory
        self._in_message = seg
        self._count = 1
        self._message_pax = 0
        self._flight = Flight()
        self._close_pax()
        self.messages += 1

    def _unt(self, seg: _Seg) -> None:
        declared = seg.at(0)
        if declared is None or not declared.isdigit() or int(declared) != self._count:
            raise ManifestError(
                f"{seg.where()} counts {declared or 'no'} segments but its message "
                f"(from {self._in_message.where() if self._in_message else 'UNH'}) has "
                f"{self._count}",
                hint="segments were lost or added in transit: ask the carrier to send it again",
            )
        self._close_pax()
        self._in_message = None

    def _cnt(self, seg: _Seg) -> None:
        total = seg.at(0, 1)
        if seg.at(0, 0) == "42" and total and total.isdigit() and int(total) != self._message_pax:
            self.warnings.append(
                f"{seg.where()} announces {int(total)} travellers; the message holds "
                f"{self._message_pax}"
            )

    def _tdt(self, seg: _Seg) -> None:
        self._close_pax()
        self._flight = Flight(number=seg.at(1), carrier=seg.at(4))
        self.flights.append(self._flight)

    def _replace_flight(self, **changes: str | None) -> None:
        """The flight's locations and times follow its TDT, before any traveller."""
        self._flight = dataclasses.replace(self._flight, **changes)
        if self.flights:
            self.flights[-1] = self._flight
        else:
            self.flights.append(self._flight)

    def _nad(self, seg: _Seg) -> None:
        self._close_pax()
        role = _ROLES.get(seg.at(0) or "")
        if role is None:  # MS (who sent it) and other parties
            return
        self._message_pax += 1
        pax = Passenger(len(self.passengers) + 1, seg.position, role, self._flight)
        pax.family_name = seg.at(3, 0)
        value = seg.elements[3] if len(seg.elements) > 3 else None  # C080: family:given:...
        if isinstance(value, list):
            pax.given_names = " ".join(p.strip() for p in value[1:] if p.strip()) or None
        self.passengers.append(pax)
        self._pax = pax

    def _att(self, seg: _Seg) -> None:
        if seg.at(0) == "2" and self._pax is not None:
            self._pax.sex = seg.at(2, 0)

    def _dtm(self, seg: _Seg) -> None:
        qualifier, value, fmt = seg.at(0, 0), seg.at(0, 1), seg.at(0, 2)
        if qualifier is None:
            raise ManifestError(f"{seg.where()} has no date qualifier", hint="e.g. DTM+329:720717")
        if self._pax is None:  # the flight's times
            if qualifier in {"189", "232"}:
                when = _date(value, fmt, birth=False)
                key = "departure_at" if qualifier == "189" else "arrival_at"
                self._replace_flight(**{key: when})
            return
        if self._document is not None and qualifier in {"36", "182"}:
            key = "expiry" if qualifier == "36" else "issued"
            self._document[key] = _date(value, fmt, birth=False)
            if value and self._document[key] is None:
                self._pax.flags.append(f"unreadable: document {key} date at {seg.where()}")
            return
        if qualifier == "329":
            self._pax.date_of_birth = _date(value, fmt, birth=True)
            if value and self._pax.date_of_birth is None:
                self._pax.flags.append(f"unreadable: date_of_birth at {seg.where()}")

    def _loc(self, seg: _Seg) -> None:
        qualifier, place = seg.at(0), seg.at(1, 0)
        if self._pax is None:
            if qualifier == "125":
                self._replace_flight(departure=place)
            elif qualifier == "87":
                self._replace_flight(arrival=place)
            return
        if qualifier == "91" and self._document is not None:
            self._document["issuer"] = _country(place)
            if place and self._document["issuer"] is None:
                self._pax.flags.append(f"unreadable: document issuer at {seg.where()}")
        elif qualifier in _PLACES and place:
            self._pax.places[_PLACES[qualifier]] = place

    def _nat(self, seg: _Seg) -> None:
        assert self._pax is not None  # checked by _IN_GROUP
        code = seg.at(1, 0)
        self._pax.nationality = _country(code)
        if code and self._pax.nationality is None:
            self._pax.flags.append(f"unreadable: nationality at {seg.where()}")

    def _doc(self, seg: _Seg) -> None:
        self._close_doc()
        self._document = {
            "doc_type": seg.at(0, 0),
            "number": seg.at(1, 0),
            "issuer": None,
            "expiry": None,
            "issued": None,
        }

    def _close_doc(self) -> None:
        document = self._document
        if document is not None and self._pax is not None:
            self._pax.documents.append(
                TravelDocument(
                    number=document["number"],
                    doc_type=document["doc_type"],
                    issuer=document["issuer"],
                    expiry=document["expiry"],
                    issued=document["issued"],
                )
            )
        self._document = None

    def _close_pax(self) -> None:
        self._close_doc()
        self._pax = None


def parse_paxlst(text: str) -> Manifest:
    """The travellers of a PAXLST interchange; ManifestError names what cannot be read."""
    if not text.strip():
        raise ManifestError("the manifest is empty", hint="give a UN/EDIFACT PAXLST file")
    return _Reader().read(_segments(text.strip()))


def read_paxlst(path: Path) -> Manifest:
    """``parse_paxlst`` of a file (EDIFACT level A/B text: ASCII, or Latin-1 as some send)."""
    try:
        size = path.stat().st_size
        if size > MAX_MANIFEST_BYTES:
            raise ManifestError(
                f"{path} is {size} bytes; a manifest is read up to {MAX_MANIFEST_BYTES}",
                hint="split the interchange by flight",
            )
        data = path.read_bytes()
    except OSError as error:
        raise ManifestError(
            f"cannot read the manifest {path}: {error.strerror}", hint="check the path"
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return parse_paxlst(text)
