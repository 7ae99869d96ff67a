"""The trust file: each organization's Ed25519 public keys with their validity, as TOML.

Loaded by the hub and every border post; edited by ``frontline keys``. Errors name
``file:line`` like the policy file's. Edits keep the operator's comments: a new key is
appended as a block of text, a revocation changes one line, and the result is validated
before it replaces the file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import tempfile
import tomllib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from gateway.contract.enums import Org
from gateway.errors import ConfigError

__all__ = [
    "TrustFile",
    "TrustedKey",
    "add_key",
    "key_id_of",
    "parse_trust_text",
    "read_trust_file",
    "render_entry",
    "revoke_key",
]

PUBLIC_KEY_BYTES = 32
KEY_ID_HEX = 16


def key_id_of(raw_public_key: bytes) -> str:
    """A key's id: the first 16 hex digits of the SHA-256 of its 32 raw public-key bytes."""
    return hashlib.sha256(raw_public_key).hexdigest()[:KEY_ID_HEX]


def _public_key(text: str) -> str:
    """Accept standard base64 of exactly 32 bytes (a raw Ed25519 public key)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("public_key is not valid base64") from None
    if len(raw) != PUBLIC_KEY_BYTES:
        raise ValueError(f"public_key decodes to {len(raw)} bytes; an Ed25519 key has 32")
    return text


PublicKeyB64 = Annotated[str, AfterValidator(_public_key)]


class TrustedKey(BaseModel):
    """One organization's public key and the signing times it is good for.

    ``valid_from`` and ``valid_until`` bound the *signing time* an alert claims (header
    ``fl-sig-ts``, covered by the signature); ``revoked_at`` refuses every signature that
    claims a time at or after it. See docs/signing.md for why.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    org: Org
    id: str = Field(pattern=r"^[0-9a-f]{16}$")
    public_key: PublicKeyB64
    valid_from: AwareDatetime
    valid_until: AwareDatetime
    revoked_at: AwareDatetime | None = None

    @property
    def raw_public_key(self) -> bytes:
        """The 32 raw Ed25519 public-key bytes."""
        return base64.b64decode(self.public_key)

    def status(self, at: datetime) -> str:
        """``revoked``, ``not_valid_yet``, ``expired`` or ``valid`` at ``at``."""
        if self.revoked_at is not None and at >= self.revoked_at:
            return "revoked"
        if at < self.valid_from:
            return "not_valid_yet"
        if at >= self.valid_until:
            return "expired"
        return "valid"


class TrustFile(BaseModel):
    """The whole trust file: a format version and the list of trusted keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1, le=1, strict=True)
    keys: list[TrustedKey] = Field(default_factory=list)


Loc = tuple[str | int, ...]


def _semantic_errors(model: TrustFile) -> list[tuple[Loc, str]]:
    """Errors pydantic cannot see: ids that do not match their key, repeats, empty windows."""
    errors: list[tuple[Loc, str]] = []
    seen: dict[str, int] = {}
    for index, key in enumerate(model.keys):
        expected = key_id_of(key.raw_public_key)
        if key.id != expected:
            errors.append(
                (("keys", index, "id"), f"id {key.id} does not match public_key ({expected})")
            )
        if key.id in seen:
            errors.append((("keys", index, "id"), f"key {key.id} is listed twice"))
        seen.setdefault(key.id, index)
        if key.valid_until <= key.valid_from:
            errors.append((("keys", index, "valid_until"), "valid_until must follow valid_from"))
    return errors


def parse_trust_text(text: str, source: Path | str) -> TrustFile:
    """Validate trust-file text; every problem is a ``ConfigError`` naming ``source:line``."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        where = f"{source}:{found.group(1)}" if found else str(source)
        raise ConfigError(
            f"{where}: not valid TOML: {exc}", hint="fix the TOML syntax at that line"
        ) from exc
    try:
        model = TrustFile.model_validate(raw)
    except ValidationError as exc:
        problems = [(tuple(err["loc"]), _message(err["msg"], err["input"])) for err in exc.errors()]
        raise _located(source, text, problems) from exc
    problems = _semantic_errors(model)
    if problems:
        raise _located(source, text, problems)
    return model


def read_trust_file(path: Path) -> TrustFile:
    """Read and validate a trust file (``ConfigError`` naming ``file:line`` otherwise)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: cannot read the trust file: {exc}",
            hint="point --trust-file (or FRONTLINE_TRUST_FILE) at a readable UTF-8 TOML file;"
            " deploy/trust.toml is the template",
        ) from exc
    return parse_trust_text(text, path)


def _message(msg: str, value: object) -> str:
    """Pydantic's message, naming the offending value when short and not already named."""
    if isinstance(value, str | int | float | bool) and repr(value) not in msg:
        shown = repr(value)
        return f"{msg} (got {shown[:60]}{'...' if len(shown) > 60 else ''})"
    return msg


def _located(source: Path | str, text: str, problems: list[tuple[Loc, str]]) -> ConfigError:
    """One ConfigError listing each problem at its line."""
    lines = [
        f"{source}:{locate(text, loc)}: {'.'.join(str(p) for p in loc)}: {msg}"
        for loc, msg in problems
    ]
    return ConfigError("\n".join(lines), hint="correct the trust file at the line named")


_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_-]+)\s*\]\]\s*(#.*)?$")
_ANY_HEADER = re.compile(r"^\s*\[")
_KEY = re.compile(r"^\s*([\"']?)([A-Za-z0-9_-]+)\1\s*=")


def locate(text: str, loc: Loc) -> int:
    """Line (1-based) of a pydantic location such as ``("keys", 2, "valid_until")``.

    The field's own line when present, else its ``[[keys]]`` header, else line 1.
    """
    lines = text.splitlines()
    table, index = (str(loc[0]), loc[1]) if len(loc) > 1 and isinstance(loc[1], int) else ("", -1)
    field = str(loc[2]) if table else str(loc[0]) if loc else ""
    count: dict[str, int] = {}
    current: tuple[str, int] | None = ("", -1)  # top level until the first header
    best = 1
    for number, line in enumerate(lines, start=1):
        header = _ARRAY_HEADER.match(line)
        if header:
            name = header.group(1)
            count[name] = count.get(name, -1) + 1
            current = (name, count[name])
            if current == (table, index):
                best = number
            continue
        if _ANY_HEADER.match(line):
            current = None
            continue
        key = _KEY.match(line)
        if key and current == (table, index) and key.group(2) == field:
            return number
    return best


def _toml_time(value: datetime) -> str:
    """A TOML offset date-time in UTC, ``Z`` suffix, seconds precision unless finer."""
    utc = value.astimezone(UTC)
    spec = "seconds" if utc.microsecond == 0 else "milliseconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def render_entry(key: TrustedKey) -> str:
    """The ``[[keys]]`` block for ``key``, ready to paste into a trust file."""
    lines = [
        "[[keys]]",
        f'org = "{key.org.value}"',
        f'id = "{key.id}"',
        f'public_key = "{key.public_key}"',
        f"valid_from = {_toml_time(key.valid_from)}",
        f"valid_until = {_toml_time(key.valid_until)}",
    ]
    if key.revoked_at is not None:
        lines.append(f"revoked_at = {_toml_time(key.revoked_at)}")
    return "\n".join(lines) + "\n"


_TEMPLATE = """\
# Frontline trust file: every organization's Ed25519 public keys (docs/signing.md).
# Managed with `frontline keys generate ORG --trust-file PATH` and `frontline keys revoke`.
version = 1
"""


def add_key(path: Path, key: TrustedKey) -> TrustFile:
    """Append ``key`` to the trust file at ``path`` (created from a template if missing)."""
    text = path.read_text(encoding="utf-8") if path.exists() else _TEMPLATE
    if not text.endswith("\n"):
        text += "\n"
    current = parse_trust_text(text, path)
    if any(k.id == key.id for k in current.keys):
        raise ConfigError(
            f"{path}: key {key.id} is already trusted", hint="generate a new key instead"
        )
    updated = f"{text}\n{render_entry(key)}"
    model = parse_trust_text(updated, path)
    _replace(path, updated)
    return model


def revoke_key(path: Path, key_id: str, at: datetime) -> TrustedKey:
    """Set ``revoked_at`` of key ``key_id`` in the trust file (it may only move earlier)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    current = parse_trust_text(text, path) if text else None
    matches = [k for k in (current.keys if current else []) if k.id == key_id]
    if not matches:
        raise ConfigError(
            f"{path}: no key {key_id!r} in the trust file",
            hint="`frontline keys list` shows the key ids",
        )
    old = matches[0]
    if old.revoked_at is not None and old.revoked_at <= at:
        raise ConfigError(
            f"key {key_id} is already revoked at {_toml_time(old.revoked_at)}",
            hint="a revocation can only move earlier (to when the key may first have leaked)",
        )
    updated = _set_revoked_line(text, key_id, f"revoked_at = {_toml_time(at)}")
    model = parse_trust_text(updated, path)
    _replace(path, updated)
    return next(k for k in model.keys if k.id == key_id)


def _set_revoked_line(text: str, key_id: str, line: str) -> str:
    """``text`` with the ``revoked_at`` line of the ``[[keys]]`` block holding ``key_id`` set."""
    lines = text.splitlines()
    blocks = _blocks(lines)
    id_line = re.compile(rf"^\s*id\s*=\s*[\"']{re.escape(key_id)}[\"']\s*(#.*)?$")
    for start, end in blocks:
        body = range(start + 1, end)
        if not any(id_line.match(lines[i]) for i in body):
            continue
        existing = [i for i in body if re.match(r"^\s*revoked_at\s*=", lines[i])]
        if existing:
            lines[existing[0]] = line
        else:
            keyed = [i for i in body if _KEY.match(lines[i])]
            lines.insert(keyed[-1] + 1, line)
        return "\n".join(lines) + "\n"
    raise ConfigError(  # parsed but not written as [[keys]] blocks (e.g. an inline array)
        f"cannot find the [[keys]] block of key {key_id}",
        hint="write each key as its own [[keys]] table, as `frontline keys generate` prints",
    )


def _blocks(lines: Sequence[str]) -> list[tuple[int, int]]:
    """(header index, end index) of each ``[[keys]]`` table."""
    starts = [
        i
        for i, line in enumerate(lines)
        if (header := _ARRAY_HEADER.match(line)) and header.group(1) == "keys"
    ]
    blocks = []
    for start in starts:
        end = next(
            (j for j in range(start + 1, len(lines)) if _ANY_HEADER.match(lines[j])), len(lines)
        )
        blocks.append((start, end))
    return blocks


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, keeping an existing file's mode (0644 if new)."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
