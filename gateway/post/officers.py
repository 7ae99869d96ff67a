"""The officers of a border post: who may use its API, each with a bearer token.

A token is ``<officer id>.<secret>``, the secret 256 random bits (``secrets.token_urlsafe``).
It is shown once, when the officer is added; the post keeps only a salted SHA-256 of the
secret (16 random bytes of salt per officer). A slow hash (scrypt, bcrypt) protects guessable
passwords; a 256-bit random secret cannot be guessed, and a fast hash keeps checking a token
on every request within microseconds. Tokens are compared in constant time.

Officers live in the post's store (``officers`` table, same 0600 file as the watchlist), in a
table the feed's cache never drops. Revoking keeps the officer (the access log names it) and
refuses its token from then on, in the running post too: every request reads the table.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gateway.errors import ConfigError, FrontlineError
from gateway.kafka.clock import now_ms
from gateway.post.store import connect

__all__ = [
    "MAX_NAME_CHARS",
    "Officer",
    "OfficerRefusedError",
    "OfficerRevokedError",
    "Officers",
]

MAX_NAME_CHARS = 100
_SECRET_BYTES = 32  # 256 bits
_SALT_BYTES = 16
_MAX_TOKEN_CHARS = 100  # anything longer is refused before it is parsed

_SCHEMA = """
CREATE TABLE IF NOT EXISTS officers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    revoked_ms INTEGER,
    salt BLOB NOT NULL,
    digest BLOB NOT NULL
);
"""


class OfficerRefusedError(FrontlineError):
    """No token, or one this post did not issue (HTTP 401)."""


class OfficerRevokedError(FrontlineError):
    """A token this post issued to an officer since revoked (HTTP 403)."""


@dataclass(frozen=True, slots=True)
class Officer:
    """One officer of a post: never its token."""

    id: int
    name: str
    created_ms: int
    revoked_ms: int | None = None

    @property
    def revoked(self) -> bool:
        """Whether the officer's token is refused."""
        return self.revoked_ms is not None

    def to_dict(self) -> dict[str, Any]:
        """The officer as JSON-ready values (``--json``)."""
        return {**asdict(self), "revoked": self.revoked}


def _digest(salt: bytes, secret: str) -> bytes:
    return hashlib.sha256(salt + secret.encode("ascii")).digest()


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME_CHARS or not cleaned.isprintable():
        raise ConfigError(
            f"an officer's name must be 1 to {MAX_NAME_CHARS} printable characters",
            hint='e.g. `frontline post officers add FRA.CDG "Officer Dupont"`',
        )
    return cleaned


def _officer(row: Any) -> Officer:
    officer_id, name, created_ms, revoked_ms = row[:4]
    revoked = None if revoked_ms is None else int(revoked_ms)
    return Officer(int(officer_id), str(name), int(created_ms), revoked)


class Officers:
    """The ``officers`` table of one post's store."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = connect(path, check_same_thread=False)  # every call holds the lock
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def add(self, name: str) -> tuple[Officer, str]:
        """A new officer and its token (shown once: only a salted hash is kept)."""
        cleaned = _clean_name(name)
        secret = secrets.token_urlsafe(_SECRET_BYTES)
        salt = secrets.token_bytes(_SALT_BYTES)
        now = now_ms()
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO officers (name, created_ms, salt, digest) VALUES (?, ?, ?, ?)",
                (cleaned, now, salt, _digest(salt, secret)),
            )
        officer_id = cursor.lastrowid
        assert officer_id is not None  # an INSERT into a rowid table
        return Officer(officer_id, cleaned, now), f"{officer_id}.{secret}"

    def list(self) -> list[Officer]:
        """Every officer ever added, revoked ones too, by id."""
        rows = self._query("SELECT id, name, created_ms, revoked_ms FROM officers ORDER BY id")
        return [_officer(row) for row in rows]

    def get(self, officer_id: int) -> Officer:
        """One officer; ``ConfigError`` if the post has none of that id."""
        rows = self._query(
            "SELECT id, name, created_ms, revoked_ms FROM officers WHERE id = ?", (officer_id,)
        )
        if not rows:
            raise ConfigError(
                f"no officer {officer_id} at this post",
                hint="list them with `frontline post officers list POST_ID`",
            )
        return _officer(rows[0])

    def revoke(self, officer_id: int) -> Officer:
        """Refuse the officer's token from now on (revoking twice keeps the first time)."""
        self.get(officer_id)
        now = now_ms()
        self._query(
            "UPDATE officers SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL",
            (now, officer_id),
        )
        return self.get(officer_id)

    def verify(self, token: str | None) -> Officer:
        """The officer a token belongs to; ``OfficerRefusedError`` or ``OfficerRevokedError``."""
        refused = OfficerRefusedError(
            "no valid officer token", hint="send `Authorization: Bearer <token>`"
        )
        if not token or len(token) > _MAX_TOKEN_CHARS:
            raise refused
        head, _, secret = token.partition(".")
        if not (head.isascii() and head.isdigit() and len(head) <= 18 and secret.isascii()):
            raise refused
        rows = self._query(
            "SELECT id, name, created_ms, revoked_ms, salt, digest FROM officers WHERE id = ?",
            (int(head),),
        )
        row = rows[0] if rows else None
        if row is None or not hmac.compare_digest(_digest(bytes(row[4]), secret), bytes(row[5])):
            raise refused
        if row[3] is not None:
            raise OfficerRevokedError(
                f"officer {row[0]} was revoked", hint="ask the post's administrator for a token"
            )
        return Officer(int(row[0]), str(row[1]), int(row[2]))
