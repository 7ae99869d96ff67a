"""Watches a folder and publishes each new file once, even across restarts.

The folder is polled (no inotify dependency). A file is taken once it is stable: same size
and modification time on two consecutive polls, so a file still being copied in is left
alone. A SQLite ledger under ``<data_dir>/connectors/<org>/ledger.sqlite`` remembers each
published file by the SHA-256 of its content: a restart, or the same export dropped again
under another name, publishes nothing twice.

Only regular files that are the folder's own are taken: a symbolic link (wherever it points)
or a file with more than one hard link is refused, counted and logged by file name, never
read. Files are opened with ``O_NOFOLLOW`` so a link swapped in after the listing is refused
too. Writers should write ``name.json.part`` and rename it to ``name.json`` when complete.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from connectors.runtime.publisher import Publisher, RunReport, RunStats
from gateway.settings import Settings

__all__ = [
    "DirectoryWatcher",
    "Ledger",
    "Listing",
    "NotOwnFileError",
    "ledger_path",
    "list_folder",
    "read_own_file",
    "wanted_files",
]

log = structlog.get_logger(__name__)

_PARTIAL_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload", "~")


def ledger_path(settings: Settings, org: str) -> Path:
    """Where the ledger of ``org`` lives under the data folder."""
    return settings.data_dir / "connectors" / org.lower() / "ledger.sqlite"


class NotOwnFileError(OSError):
    """A folder entry that is not the folder's own regular file (a link, a device ...)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path.name}: {reason}")
        self.path = path
        self.reason = reason


def _refusal(info: os.stat_result) -> str | None:
    """Why an entry (stat'ed without following links) is not taken, or None if it is."""
    if stat.S_ISLNK(info.st_mode):
        return "symlink"
    if not stat.S_ISREG(info.st_mode):
        return "not_regular"
    if info.st_nlink > 1:
        return "hard_link"
    return None


@dataclass
class Listing:
    """A folder's files to publish, and the entries refused with why (by path)."""

    files: list[Path] = field(default_factory=list)
    refused: dict[Path, str] = field(default_factory=dict)


def list_folder(directory: Path, extensions: tuple[str, ...]) -> Listing:
    """Visible, complete-looking entries with one of ``extensions``: taken or refused.

    Hidden names and partial suffixes (``.part``, ``.tmp``, ``.partial``, ``.crdownload``,
    ``~``) are skipped silently; among the rest, a symbolic link, a file with several hard
    links or anything but a regular file is refused. Sub-folders are skipped silently.
    """
    out = Listing()
    suffixes = tuple(e.lower() for e in extensions)
    for path in sorted(directory.iterdir()):
        name = path.name.lower()
        if name.startswith(".") or name.endswith(_PARTIAL_SUFFIXES):
            continue
        if suffixes and not name.endswith(suffixes):
            continue
        try:
            info = path.lstat()
        except OSError:
            continue  # removed between listing and stat
        if stat.S_ISDIR(info.st_mode):
            continue
        why = _refusal(info)
        if why is None:
            out.files.append(path)
        else:
            out.refused[path] = why
    return out


def wanted_files(directory: Path, extensions: tuple[str, ...]) -> list[Path]:
    """The folder's own regular, visible, complete-looking files with one of ``extensions``."""
    return list_folder(directory, extensions).files


def read_own_file(path: Path) -> bytes:
    """The bytes of a regular file, without following a link; NotOwnFileError otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if path.is_symlink():
            raise NotOwnFileError(path, "symlink") from exc
        raise
    with os.fdopen(fd, "rb") as handle:
        why = _refusal(os.fstat(fd))
        if why is not None:
            raise NotOwnFileError(path, why)
        return handle.read()


class Ledger:
    """Files already published, by content digest."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS published ("
            " sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, records_in INTEGER NOT NULL,"
            " published INTEGER NOT NULL, quarantined INTEGER NOT NULL, at_ms INTEGER NOT NULL)"
        )
        self._db.commit()

    def seen(self, digest: str) -> bool:
        """True when a file with this content was published already."""
        row = self._db.execute("SELECT 1 FROM published WHERE sha256 = ?", (digest,)).fetchone()
        return row is not None

    def record(self, digest: str, name: str, stats: RunStats) -> None:
        """Remember a file once every one of its records was acknowledged."""
        total = stats.total
        self._db.execute(
            "INSERT OR IGNORE INTO published VALUES (?, ?, ?, ?, ?, ?)",
            (digest, name, total.records_in, total.published, total.quarantined,
             int(time.time() * 1000)),
        )  # fmt: skip
        self._db.commit()

    def count(self) -> int:
        """How many files the ledger holds."""
        return int(self._db.execute("SELECT COUNT(*) FROM published").fetchone()[0])

    def close(self) -> None:
        """Close the database."""
        self._db.close()


@dataclass(frozen=True)
class _Seen:
    size: int
    mtime_ns: int


class DirectoryWatcher:
    """Polls one folder and publishes each new, stable file through a publisher."""

    def __init__(
        self,
        publisher: Publisher,
        directory: Path,
        ledger: Ledger,
        *,
        interval: float = 1.0,
        on_file: Callable[[Path, RunReport], None] | None = None,
        on_refused: Callable[[Path, str], None] | None = None,
    ) -> None:
        self.publisher = publisher
        self.directory = directory
        self.ledger = ledger
        self.interval = interval
        self.on_file = on_file
        self.on_refused = on_refused
        self.stats = RunStats()
        self.refused: dict[str, int] = {}  # refused files by reason, each file counted once
        self._last: dict[Path, _Seen] = {}
        self._done: set[Path] = set()
        self._refused_seen: dict[Path, str] = {}

    async def poll_once(self) -> list[Path]:
        """One pass: publish every file that was stable since the previous pass."""
        published: list[Path] = []
        extensions = self.publisher.connector.extensions
        current: dict[Path, _Seen] = {}
        listing = list_folder(self.directory, extensions)
        for path, why in listing.refused.items():
            self._refuse(path, why)
        for path in listing.files:
            self._refused_seen.pop(path, None)
            try:
                stat = path.stat()
            except OSError:
                continue  # removed between listing and stat
            current[path] = _Seen(stat.st_size, stat.st_mtime_ns)
        for path, seen in current.items():
            if path in self._done and self._last.get(path) == seen:
                continue
            if self._last.get(path) != seen:
                self._done.discard(path)  # new or still changing: look again next pass
                continue
            if await self._publish_file(path):
                published.append(path)
            self._done.add(path)
        self._last = current
        return published

    def _refuse(self, path: Path, why: str) -> None:
        """Count and log a refused entry once (by name and reason, never its content)."""
        if self._refused_seen.get(path) == why:
            return
        self._refused_seen[path] = why
        self.refused[why] = self.refused.get(why, 0) + 1
        org = self.publisher.connector.org
        self.publisher.metrics.refuse_file(org, why)
        log.warning("connector.file_refused", org=org, file=path.name, reason=why)
        if self.on_refused is not None:
            self.on_refused(path, why)

    async def _publish_file(self, path: Path) -> bool:
        try:
            data = await asyncio.to_thread(read_own_file, path)
        except NotOwnFileError as exc:
            self._refuse(path, exc.reason)
            return False
        except OSError as exc:
            log.warning("connector.file_unreadable", file=path.name, error=type(exc).__name__)
            return False
        digest = hashlib.sha256(data).hexdigest()
        if self.ledger.seen(digest):
            log.info("connector.file_already_published", file=path.name, sha256=digest[:16])
            return False
        report = await self.publisher.publish(data, path.name)
        self.ledger.record(digest, path.name, report.stats)
        self.stats.merge(report.stats)
        total = report.stats.total
        log.info(
            "connector.file_published", file=path.name, sha256=digest[:16],
            records_in=total.records_in, published=total.published,
            quarantined=total.quarantined,
        )  # fmt: skip
        if self.on_file is not None:
            self.on_file(path, report)
        return True

    async def run(self, stop: asyncio.Event | None = None) -> RunStats:
        """Poll until ``stop`` is set (or forever); return what was published."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            await self.poll_once()
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.interval)
            except TimeoutError:
                continue
        return self.stats
