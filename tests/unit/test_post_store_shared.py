"""The store shared by the feed, the officers and the access log, and by other processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gateway.post.access_log import AccessLog
from gateway.post.officers import Officers
from gateway.post.store import Change, PostStore


def test_other_connections_here_and_elsewhere_never_lose_the_wal(tmp_path: Path) -> None:
    """More connections here and one in another process that closes: other readers see every write.

    (Closing any descriptor of the file drops this process's locks on it; the other process
    then believed itself the last user and deleted the live WAL.)
    """
    path = tmp_path / "posts" / "FRA.CDG.sqlite"
    store = PostStore(path)
    store.apply([Change("A:1", 1, b"x", "INTERPOL")], {("t", 0): 1})
    officers = Officers(path)  # a second and a third connection in this process
    access = AccessLog(path, "FRA.CDG")
    # Another process adds an officer and closes the store, as `post officers add` does.
    script = (
        "import pathlib, gateway.post.officers as o;"
        f" x = o.Officers(pathlib.Path({str(path)!r})); x.add('B'); x.close()"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    store.apply([Change("A:2", 1, b"y", "INTERPOL")], {("t", 0): 2})
    access.append(officer="1", kind="person", query={"name": "n"}, alerts=[], feed_topic="t",
                  feed_offsets={0: 2})  # fmt: skip
    # What another process (`post access-log`, `post watchlist`) sees while the post runs.
    count = (
        "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]);"
        " print(*(db.execute(f'SELECT count(*) FROM {t}').fetchone()[0]"
        " for t in ('records', 'access_log'))); db.close()"
    )
    seen = subprocess.run(
        [sys.executable, "-c", count, str(path)], check=True, capture_output=True, text=True
    )
    for connection in (store, officers, access):
        connection.close()
    assert seen.stdout.split() == ["2", "1"]
