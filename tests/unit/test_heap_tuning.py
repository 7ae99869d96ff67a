"""Long-running services keep large transient buffers in mappings of their own (glibc)."""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys

import pytest

from gateway.heap import MMAP_THRESHOLD, tune_allocator

_PROBE = """
import ctypes, sys
from gateway.heap import tune_allocator
if sys.argv[1] == "tuned":
    assert tune_allocator({}) is not None
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
big = bytearray(4 << 20)
del big  # freed: glibc now serves up to 4 MiB from the heap, unless the threshold is fixed
before = libc.mallinfo2().hblks
blocks = [bytearray(512 << 10) for _ in range(8)]
print(libc.mallinfo2().hblks - before)
"""

_GLIBC = ctypes.util.find_library("c") == "libc.so.6" and hasattr(
    ctypes.CDLL("libc.so.6"), "gnu_get_libc_version"
)


def _mapped_blocks(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_TUN"))}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, check=True, env=env
    )
    return int(done.stdout.strip())


@pytest.mark.skipif(not _GLIBC, reason="glibc's allocator only")
def test_a_tuned_service_maps_large_buffers_even_after_freeing_a_larger_one() -> None:
    """After a 4 MiB buffer is freed, eight 512 KiB buffers get mappings of their own in a
    tuned process (returned to the system when freed) and come from the heap in an untuned
    one (glibc raised its threshold)."""
    assert _mapped_blocks("tuned") == 8
    assert _mapped_blocks("default") == 0


def test_the_operators_own_setting_wins() -> None:
    """With MALLOC_MMAP_THRESHOLD_ or a glibc.malloc tunable set, nothing is changed."""
    assert tune_allocator({"MALLOC_MMAP_THRESHOLD_": "65536"}) is None
    assert tune_allocator({"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=65536"}) is None
    assert MMAP_THRESHOLD == 128 * 1024
