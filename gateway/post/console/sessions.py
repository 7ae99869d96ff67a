"""The console's sign-in sessions: an opaque id in a cookie, the officer kept server-side.

The cookie holds 256 random bits and nothing else (HttpOnly, SameSite=Strict); the
session maps it to the officer's id, a per-session CSRF token and the change ring's
position at sign-in. Sessions live in memory: a restarted post asks officers to sign in
again. The store is bounded (``MAX_SESSIONS``, the least recently used goes first) and a
session unused for ``IDLE_S`` expires. Whether the officer is still allowed is checked on
every request against the officers table (a revoked officer is refused at once).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["IDLE_S", "MAX_SESSIONS", "Session", "Sessions", "same_token"]

MAX_SESSIONS = 1_000
IDLE_S = 12 * 3600.0  # a booth shift


@dataclass(slots=True)
class Session:
    """One signed-in officer at one browser."""

    officer_id: int
    officer_name: str
    csrf: str
    changes_seq: int  # the change ring's position at sign-in: changes after it are shown
    started_at: float
    seen_at: float = field(default=0.0)


def same_token(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a form's token with the session's."""
    if not given or len(given) > 200:
        return False
    return secrets.compare_digest(given.encode("ascii", "replace"), expected.encode("ascii"))


class Sessions:
    """Session id -> Session, bounded and expiring; safe across threads."""

    def __init__(
        self,
        *,
        max_sessions: int = MAX_SESSIONS,
        idle_s: float = IDLE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max = max_sessions
        self._idle = idle_s
        self._clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def open(self, officer_id: int, officer_name: str, changes_seq: int) -> tuple[str, Session]:
        """A new session and its id (the cookie's value)."""
        now = self._clock()
        session_id = secrets.token_urlsafe(32)
        session = Session(
            officer_id, officer_name, secrets.token_urlsafe(32), changes_seq, now, now
        )
        with self._lock:
            self._sessions[session_id] = session
            while len(self._sessions) > self._max:
                self._sessions.popitem(last=False)
        return session_id, session

    def get(self, session_id: str | None) -> Session | None:
        """The live session of an id, or None (unknown, expired)."""
        if not session_id or len(session_id) > 100:
            return None
        now = self._clock()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if now - session.seen_at > self._idle:
                del self._sessions[session_id]
                return None
            session.seen_at = now
            self._sessions.move_to_end(session_id)
            return session

    def close(self, session_id: str | None) -> None:
        """End a session (signing out, or its officer revoked)."""
        if session_id:
            with self._lock:
                self._sessions.pop(session_id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)
