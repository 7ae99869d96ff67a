"""Kafka's default partitioner (murmur2), as the hub and node need it on their hot path.

aiokafka's own ``murmur2`` is a byte-by-byte loop; this one unpacks whole 32-bit words,
about 2.5 times faster, and a test checks both agree for every tail length. The answers
for the last :data:`PARTITION_MEMO` keys are kept (least recently used out first, one at a
time): a record's key is written to several topics in a row (an alert id to the national
topic, the audit and the state). The memo once held up to 200,000 keys and was emptied when
full: every routed alert and receipt summary adds a key, so it grew through a whole soak
(tens of MB) and each refill scattered new entries among long-lived ones.
"""

from __future__ import annotations

import functools
import struct

__all__ = ["partition_for"]

PARTITION_MEMO = 8_192
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def _murmur2(data: bytes) -> int:
    """Murmur2 as Kafka's Java client computes it (unsigned 32 bits), whole words unpacked."""
    length = len(data)
    h = 0x9747B28C ^ length
    words = length >> 2
    if words:
        for word in struct.unpack_from(f"<{words}I", data):
            k = (word * _M) & _MASK
            k ^= k >> 24
            h = ((h * _M) & _MASK) ^ ((k * _M) & _MASK)
    rest = length & 3
    if rest:
        tail = length & ~3
        if rest >= 3:
            h ^= data[tail + 2] << 16
        if rest >= 2:
            h ^= data[tail + 1] << 8
        h = ((h ^ data[tail]) * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    return h ^ (h >> 15)


@functools.lru_cache(maxsize=PARTITION_MEMO)
def partition_for(key: bytes, partitions: int) -> int:
    """Kafka's default partition for ``key`` (murmur2, like the Java client), memoized."""
    return (_murmur2(key) & 0x7FFFFFFF) % partitions
