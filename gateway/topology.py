"""Organizations, countries and border posts, loaded from TOML with line-precise errors.

The shipped default is ``deploy/topology.toml``; ``FRONTLINE_TOPOLOGY_FILE`` or ``--topology``
points elsewhere. Every problem in a file is reported as ``file:line: field path: message``.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from gateway._resources import resource_path
from gateway.contract.enums import parse_org
from gateway.errors import ConfigError

__all__ = [
    "AlertKind",
    "CommodityCategory",
    "Country",
    "OrgCode",
    "OrgKind",
    "Organization",
    "Post",
    "PostType",
    "Subscription",
    "Topology",
    "load_topology",
    "parse_topology",
]


def _check_org(code: str) -> str:
    """An organization code of the alert contract's enum, kept as a plain string."""
    return parse_org(code).value


# Organization codes come from the contract's enum (gateway.contract.enums.Org), never a list here.
OrgCode = Annotated[str, AfterValidator(_check_org)]
OrgKind = Literal["global", "regional", "observer"]
PostType = Literal["AIRPORT", "SEAPORT", "LAND", "RAIL"]
AlertKind = Literal["WANTED_PERSON", "COMMODITY", "THREAT_ASSESSMENT", "TRAVEL_DOCUMENT"]
CommodityCategory = Literal[
    "DRUGS", "PRECURSORS", "FIREARMS", "CASH", "CULTURAL_GOODS", "STOLEN_VEHICLE", "OTHER"
]

_ISO3 = re.compile(r"^[A-Z]{3}$")
_LOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
_IATA = re.compile(r"^[A-Z]{3}$")
# Post ids become part of a Kafka topic name (fl.post.FRA.CDG): no dots, upper case only.
_POST_ID = re.compile(r"^[A-Z0-9]+(?:[-_][A-Z0-9]+)*$")


def _check_iso3(code: str) -> str:
    """An ISO 3166-1 alpha-3 code known to pycountry, or a ValueError naming the fix."""
    if _ISO3.match(code) and pycountry.countries.get(alpha_3=code) is not None:
        return code
    if len(code) == 2:
        country = pycountry.countries.get(alpha_2=code.upper())
        if country is not None:
            raise ValueError(f"{code!r} is alpha-2; use the alpha-3 code {country.alpha_3!r}")
    raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-3 country code")


def _check_route(code: str) -> str:
    """A route is a country (alpha-3) or a UN/LOCODE place whose country part exists."""
    if _LOCODE.match(code):
        if pycountry.countries.get(alpha_2=code[:2]) is None:
            raise ValueError(f"{code!r}: {code[:2]!r} is not an ISO 3166-1 alpha-2 country code")
        return code
    try:
        return _check_iso3(code)
    except ValueError:
        raise ValueError(
            f"{code!r} is neither an ISO 3166-1 alpha-3 country code nor a UN/LOCODE"
        ) from None


Iso3 = Annotated[str, AfterValidator(_check_iso3)]
Route = Annotated[str, AfterValidator(_check_route)]


class _Frozen(BaseModel):
    """Immutable, and strict about unknown keys so a typo is an error, not a silent default."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Organization(_Frozen):
    """A Dialogue organization that publishes (or observes) alerts."""

    code: OrgCode
    name: str = Field(min_length=1)
    kind: OrgKind


class Subscription(_Frozen):
    """What a border post wants to receive; an empty list means no restriction."""

    kinds: tuple[AlertKind, ...] = Field(default=("WANTED_PERSON", "COMMODITY"), min_length=1)
    commodity_categories: tuple[CommodityCategory, ...] = ()
    organizations: tuple[OrgCode, ...] = ()
    routes: tuple[Route, ...] = ()
    nationalities: tuple[Iso3, ...] = ()


class Post(_Frozen):
    """A border crossing point: an airport (IATA), seaport (UN/LOCODE), land or rail crossing."""

    id: str = Field(min_length=2, max_length=40)
    name: str = Field(min_length=1)
    type: PostType
    subscribes: Subscription = Subscription()

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _POST_ID.match(value):
            raise ValueError(
                f"{value!r}: post ids are upper-case letters and digits joined by '-' or '_'"
            )
        return value


class Country(_Frozen):
    """A country with its national node (NCB) and its border posts."""

    code: Iso3
    name: str = Field(min_length=1)
    posts: tuple[Post, ...] = ()

    @property
    def alpha2(self) -> str:
        """The ISO alpha-2 code, the country part of this country's UN/LOCODEs."""
        country = pycountry.countries.get(alpha_3=self.code)
        assert country is not None  # the validator accepted only known codes
        return str(country.alpha_2)


class Topology(_Frozen):
    """Every organization, country and border post Frontline serves."""

    version: Literal[1]
    organizations: tuple[Organization, ...] = Field(min_length=1)
    countries: tuple[Country, ...] = Field(min_length=1)

    def organization(self, code: str) -> Organization:
        """The organization with this code; KeyError if it is not declared."""
        for org in self.organizations:
            if org.code == code.upper():
                return org
        raise KeyError(f"organization {code!r} is not in the topology")

    def country(self, code: str) -> Country:
        """The country with this alpha-3 code; KeyError if it is not declared."""
        for country in self.countries:
            if country.code == code.upper():
                return country
        raise KeyError(f"country {code!r} is not in the topology")

    def posts(self) -> Iterator[tuple[Country, Post]]:
        """Every border post with its country, in file order."""
        for country in self.countries:
            for post in country.posts:
                yield country, post

    def post(self, post_id: str) -> tuple[Country, Post]:
        """A post by ``ISO3.POST`` or by a post id unique across countries; KeyError otherwise."""
        wanted = post_id.upper()
        if "." in wanted:
            code, _, pid = wanted.partition(".")
            for post in self.country(code).posts:
                if post.id == pid:
                    return self.country(code), post
            raise KeyError(f"post {post_id!r} is not in the topology")
        found = [(c, p) for c, p in self.posts() if p.id == wanted]
        if len(found) == 1:
            return found[0]
        if not found:
            raise KeyError(f"post {post_id!r} is not in the topology")
        where = ", ".join(f"{c.code}.{p.id}" for c, p in found)
        raise KeyError(f"post id {post_id!r} is ambiguous ({where}); use ISO3.POST")


# -- loading -------------------------------------------------------------------------------

Loc = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_BARE_OR_QUOTED = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_KEY = re.compile(rf"^\s*({_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*)\s*=")


def _split_key(dotted: str) -> list[str]:
    return [part.strip().strip("\"'") for part in dotted.split(".")]


def _locate_lines(text: str) -> dict[Loc, int]:
    """Map each table and key path of a TOML text to its 1-based line.

    Arrays of tables get indices in order of appearance (``countries[2].posts[0]``), which
    is enough for error messages; it is not a full TOML parser.
    """
    lines: dict[Loc, int] = {}
    counts: Counter[Loc] = Counter()
    current: Loc = ()
    # The path of the latest element of each array of tables, by its key path without indices.
    latest: dict[tuple[str, ...], Loc] = {}
    in_multiline = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw
        if in_multiline:
            if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                in_multiline = False
            continue
        header = _HEADER.match(line)
        if header and not _KEY.match(line):
            keys = _split_key(header.group(2))
            resolved: Loc = ()
            for depth in range(1, len(keys)):
                prefix = tuple(keys[:depth])
                resolved = latest.get(prefix, (*resolved, keys[depth - 1]))
            resolved = (*resolved, keys[-1])
            if header.group(1) == "[[":
                index = counts[resolved]
                counts[resolved] += 1
                lines.setdefault(resolved, number)
                resolved = (*resolved, index)
                latest[tuple(keys)] = resolved
            current = resolved
            lines.setdefault(current, number)
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault((*current, *_split_key(key.group(1))), number)
            if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                in_multiline = True
    return lines


def _line_of(loc: Loc, lines: dict[Loc, int]) -> int:
    """The line of the longest known prefix of ``loc``; 1 if nothing matches."""
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _validation_problems(error: ValidationError) -> list[tuple[Loc, str]]:
    """Each pydantic error as (path, message), without length errors caused by bad items."""
    errors = error.errors()
    locs = [tuple(e["loc"]) for e in errors]
    problems: list[tuple[Loc, str]] = []
    for loc, item in zip(locs, errors, strict=True):
        caused_by_items = item["type"] == "too_short" and any(
            len(other) > len(loc) and other[: len(loc)] == loc for other in locs
        )
        if not caused_by_items:
            problems.append((loc, _message(item)))
    return problems


def _message(error: Any) -> str:
    """Pydantic's message without its 'Value error, ' prefix, with the offending input."""
    message = str(error["msg"]).removeprefix("Value error, ")
    given = error.get("input")
    if error["type"] in {"literal_error", "string_pattern_mismatch"} and isinstance(given, str):
        message += f" (got {given!r})"
    return message


def _cross_checks(topology: Topology) -> list[tuple[Loc, str]]:
    """Rules that span several entries: unique codes and ids, declared organizations."""
    problems: list[tuple[Loc, str]] = []
    declared = {org.code for org in topology.organizations}
    seen_orgs: set[str] = set()
    for i, org in enumerate(topology.organizations):
        if org.code in seen_orgs:
            problems.append((("organizations", i, "code"), f"duplicate organization {org.code!r}"))
        seen_orgs.add(org.code)
    seen_countries: set[str] = set()
    for i, country in enumerate(topology.countries):
        where: Loc = ("countries", i)
        if country.code in seen_countries:
            problems.append(((*where, "code"), f"duplicate country {country.code!r}"))
        seen_countries.add(country.code)
        seen_posts: set[str] = set()
        for j, post in enumerate(country.posts):
            at: Loc = (*where, "posts", j)
            if post.id in seen_posts:
                problems.append(((*at, "id"), f"duplicate post id {post.id!r} in {country.code}"))
            seen_posts.add(post.id)
            problems.extend((loc, msg) for loc, msg in _post_id_rules(country, post, at))
            for k, org_code in enumerate(post.subscribes.organizations):
                if org_code not in declared:
                    problems.append(
                        (
                            (*at, "subscribes", "organizations", k),
                            f"organization {org_code!r} is not declared",
                        )
                    )
    return problems


def _post_id_rules(country: Country, post: Post, at: Loc) -> list[tuple[Loc, str]]:
    """Airports use IATA codes; seaports use a UN/LOCODE of their own country."""
    if post.type == "AIRPORT" and not _IATA.match(post.id):
        return [((*at, "id"), f"airport id {post.id!r} must be a 3-letter IATA code")]
    if post.type == "SEAPORT":
        if not _LOCODE.match(post.id):
            return [((*at, "id"), f"seaport id {post.id!r} must be a UN/LOCODE like 'FRLEH'")]
        if post.id[:2] != country.alpha2:
            return [
                (
                    (*at, "id"),
                    f"seaport UN/LOCODE {post.id!r} must start with {country.alpha2!r}"
                    f" ({country.code})",
                )
            ]
    return []


def parse_topology(text: str, source: str = "<topology>") -> Topology:
    """Validate TOML text into a Topology; ConfigError lists every problem with its line."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"line (\d+)", str(error))
        line = found.group(1) if found else "1"
        raise ConfigError(
            f"{source}:{line}: not valid TOML: {error}",
            hint="Fix the syntax at that line (see docs/topology.md for the format).",
        ) from None
    lines = _locate_lines(text)
    try:
        topology = Topology.model_validate(data)
    except ValidationError as error:
        problems = _validation_problems(error)
    else:
        problems = _cross_checks(topology)
        if not problems:
            return topology
    located = sorted(
        ((_line_of(loc, lines), _dotted(loc), msg) for loc, msg in problems), key=lambda p: p[0]
    )
    report = "\n".join(f"{source}:{line}: {path}: {msg}" for line, path, msg in located)
    count = len(problems)
    raise ConfigError(
        f"invalid topology ({count} problem{'s' if count != 1 else ''}):\n{report}",
        hint="Correct the listed lines; docs/topology.md describes every field.",
    )


def load_topology(path: Path | None = None) -> Topology:
    """Read a topology file; None means the shipped default ``deploy/topology.toml``."""
    target = path if path is not None else resource_path("topology")
    try:
        data = target.read_bytes()
    except OSError as error:
        raise ConfigError(
            f"cannot read topology file {target}: {error.strerror or error}",
            hint="Check FRONTLINE_TOPOLOGY_FILE or --topology, or unset it to use the default.",
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConfigError(
            f"{target}:{line}: not UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start})",
            hint="TOML files are UTF-8: save it as UTF-8 (e.g. `iconv -f LATIN1 -t UTF-8`).",
        ) from None
    return parse_topology(text, str(target))
