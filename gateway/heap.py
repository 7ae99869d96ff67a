"""Keeping large transient buffers out of a long-running service's heap (glibc only).

glibc's ``malloc`` serves a request of 128 KiB or more with a mapping of its own, handed back
to the system when it is freed, but it raises that threshold (up to 32 MiB) each time such a
block is freed. From then on the large transient buffers of a service (a fetch response, a
batch being encoded, a post's index compaction) come from the heap, and the heap stays as
large as their peak, among the long-lived entries placed around them: a post's resident
memory rose through a soak that way. Fixing the threshold (``mallopt(M_MMAP_THRESHOLD)``,
which turns the adjustment off) keeps each of them in a mapping returned when it is freed.

``hub run``, ``node run`` and ``post run`` call :func:`tune_allocator` first. An operator's
own setting wins: with ``MALLOC_MMAP_THRESHOLD_`` or a ``glibc.malloc`` tunable in
``GLIBC_TUNABLES`` in the environment, nothing is changed. Elsewhere than glibc (musl, macOS)
it does nothing.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Mapping

__all__ = ["MMAP_THRESHOLD", "tune_allocator"]

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)
MMAP_THRESHOLD = 128 * 1024
"""glibc's own starting value, kept fixed."""


def _operator_chose(environ: Mapping[str, str]) -> bool:
    return "MALLOC_MMAP_THRESHOLD_" in environ or "glibc.malloc." in environ.get(
        "GLIBC_TUNABLES", ""
    )


def tune_allocator(environ: Mapping[str, str] | None = None) -> int | None:
    """Fix glibc's mmap threshold at :data:`MMAP_THRESHOLD`; the threshold set, or None when
    nothing was changed (not glibc, or the environment sets the allocator itself)."""
    if _operator_chose(os.environ if environ is None else environ):
        return None
    libc = ctypes.CDLL(None)  # the process's own symbols: its C library's among them
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None or not hasattr(libc, "gnu_get_libc_version"):
        return None  # not glibc: its mallopt (if any) means something else
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return MMAP_THRESHOLD if mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 else None
