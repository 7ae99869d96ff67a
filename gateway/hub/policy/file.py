"""The sharing-policy file format: pydantic models and a loader whose errors name ``file:line``."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import pycountry
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from gateway.contract.enums import Org, parse_org
from gateway.errors import ConfigError

__all__ = [
    "ISO_ALPHA3",
    "OrgCode",
    "PolicyFile",
    "ReviewRules",
    "read_policy_file",
]

ISO_ALPHA3: frozenset[str] = frozenset(c.alpha_3 for c in pycountry.countries)
"""Every ISO 3166-1 alpha-3 code pycountry knows; a policy may name no other."""


OrgCode = Org
"""The organizations in the Dialogue, members and observers: the contract's enum itself."""

# An organization name in the file, checked against the contract's enum with a clear message.
OrgName = Annotated[Org, BeforeValidator(parse_org)]

_ORG_CODES = frozenset(OrgCode)


def _country(code: str) -> str:
    """Accept an ISO 3166-1 alpha-3 code exactly as ISO writes it (upper case)."""
    if code not in ISO_ALPHA3:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-3 country code")
    return code


def _originator(code: str) -> str:
    """Accept an ISO alpha-3 country code or an organization code."""
    if code not in ISO_ALPHA3 and code not in _ORG_CODES:
        raise ValueError(
            f"{code!r} is neither an ISO alpha-3 country code nor an organization code"
        )
    return code


def _keyword(text: str) -> str:
    """Accept a non-blank review keyword."""
    if not text.strip():
        raise ValueError("a review keyword must not be blank")
    return text


Country = Annotated[str, AfterValidator(_country)]
Originator = Annotated[str, AfterValidator(_originator)]
Keyword = Annotated[str, AfterValidator(_keyword)]


class ReviewRules(BaseModel):
    """What sends an alert to neutrality review (INTERPOL Constitution, Article 3)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    offence_keywords: list[Keyword] = Field(default_factory=list)
    originators_under_review: list[Originator] = Field(default_factory=list)


class PolicyFile(BaseModel):
    """The whole ``policy.toml``: version, memberships, observers, review rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(pattern=r"^\d{4}\.\d{1,2}\.\d+$")
    exercise_mode: bool = Field(default=False, strict=True)
    observers: list[OrgName] = Field(default_factory=list)
    memberships: dict[OrgName, list[Country]]
    review: ReviewRules = Field(default_factory=ReviewRules)


Loc = tuple[str | int, ...]


def _semantic_errors(model: PolicyFile) -> list[tuple[Loc, str]]:
    """Errors pydantic cannot see: missing organizations and duplicates."""
    errors: list[tuple[Loc, str]] = [
        (("memberships",), f"organization {org.value} has no member list")
        for org in OrgCode
        if org not in model.memberships
    ]
    for org, codes in model.memberships.items():
        errors.extend(
            (("memberships", org.value, index), f"{code} is listed twice for {org.value}")
            for index, code in _duplicates(codes)
        )
    errors.extend(
        (("observers", index), f"{code} is listed twice")
        for index, code in _duplicates([o.value for o in model.observers])
    )
    for key in ("offence_keywords", "originators_under_review"):
        values: list[str] = getattr(model.review, key)
        errors.extend(
            (("review", key, index), f"{value!r} is listed twice")
            for index, value in _duplicates([v.casefold() for v in values])
        )
    return errors


def _duplicates(values: Sequence[str]) -> list[tuple[int, str]]:
    """Index and value of every repeat after the first occurrence."""
    seen: set[str] = set()
    repeats: list[tuple[int, str]] = []
    for index, value in enumerate(values):
        if value in seen:
            repeats.append((index, value))
        seen.add(value)
    return repeats


def read_policy_file(path: Path) -> PolicyFile:
    """Parse and validate a policy file; every problem is a ``ConfigError`` naming ``file:line``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: cannot read the policy file: {exc}",
            hint="set FRONTLINE_POLICY_FILE to a readable UTF-8 TOML file",
        ) from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _decode_error_line(str(exc))
        where = f"{path}:{line}" if line else str(path)
        raise ConfigError(
            f"{where}: not valid TOML: {exc}", hint="fix the TOML syntax at that line"
        ) from exc
    if not raw:
        raise ConfigError(
            f"{path}:1: the policy file is empty",
            hint="start from the shipped deploy/policy.toml",
        )
    try:
        model = PolicyFile.model_validate(raw)
    except ValidationError as exc:
        problems = [(tuple(err["loc"]), _message(err)) for err in exc.errors()]
        raise _located(path, text, problems) from exc
    problems = _semantic_errors(model)
    if problems:
        raise _located(path, text, problems)
    return model


def _message(err: ErrorDetails) -> str:
    """Pydantic's message, naming the offending value when the message does not already."""
    value = err["input"]
    message = err["msg"].removeprefix("Value error, ")
    if isinstance(value, str | int | float | bool) and repr(value) not in message:
        return f"{message} (got {value!r})"
    return message


def _located(path: Path, text: str, problems: list[tuple[Loc, str]]) -> ConfigError:
    """One ConfigError listing each problem at its line; the first line leads the message."""
    lines = []
    for loc, msg in problems:
        line = locate(text, loc)
        dotted = ".".join(str(part) for part in loc if part != "[key]")
        lines.append(f"{path}:{line}: {dotted}: {msg}")
    message = lines[0] if len(lines) == 1 else f"{lines[0]}\n" + "\n".join(lines[1:])
    return ConfigError(message, hint="correct the policy file at the line named, then reload")


_DECODE_LINE = re.compile(r"at line (\d+)")
_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\"' -]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([\"']?)([A-Za-z0-9_-]+)\1\s*=")
_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'[^']*'")


def _decode_error_line(message: str) -> int | None:
    """The line number tomllib puts in its error text, if any."""
    found = _DECODE_LINE.search(message)
    return int(found.group(1)) if found else None


def locate(text: str, loc: Loc) -> int:
    """Best line (1-based) for a pydantic-style location in TOML text; 1 when nothing matches.

    Handles what policy files contain: ``[table]`` headers, ``key = value`` lines and
    arrays of strings that may span lines; an int in ``loc`` is an array index.
    """
    lines = text.splitlines()
    names = [str(part) for part in loc if not isinstance(part, int) and part != "[key]"]
    index = next((part for part in loc if isinstance(part, int)), None)
    best = 1
    table: tuple[str, ...] = ()
    for number, line in enumerate(lines, start=1):
        header = _HEADER.match(line)
        if header:
            table = tuple(p.strip().strip("\"'") for p in header.group(1).split("."))
            if tuple(names[: len(table)]) == table and len(table) <= len(names):
                best = number
            continue
        key = _KEY.match(line)
        if key and tuple(names) == (*table, key.group(2)):
            if index is None:
                return number
            return _element_line(lines, number - 1, line[key.end() :], index)
    return best


def _element_line(lines: list[str], start: int, rest: str, index: int) -> int:
    """Line of the ``index``-th string in the array that begins on line ``start`` (0-based)."""
    seen = 0
    for offset, line in enumerate([rest, *lines[start + 1 :]]):
        code = _STRING.sub(lambda m: "S" * len(m.group(0)), line).split("#", 1)[0]
        count = len(_STRING.findall(line[: len(code)])) if code else 0
        if seen + count > index:
            return start + 1 + offset
        seen += count
        if "]" in code:
            break
    return start + 1
