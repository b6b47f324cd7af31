"""Identifiers: UUID strings for objects, and the check that turns a malformed id into a plain 404."""

import os
import uuid
from collections.abc import Iterator

from parley.errors import not_found

_RANDOM_CHUNK = 16 * 256


def _random_uuids() -> Iterator[uuid.UUID]:
    """Version-4 UUIDs from os.urandom read 4 KiB at a time: one system call per 256 ids, not one each."""
    while True:
        chunk = os.urandom(_RANDOM_CHUNK)
        for start in range(0, _RANDOM_CHUNK, 16):
            yield uuid.UUID(bytes=chunk[start : start + 16], version=4)


_uuids = _random_uuids()


def new_id() -> str:
    return str(next(_uuids))


def check_id(value: str, what: str) -> str:
    """An id that is not a UUID cannot name anything: answer it like any unknown id."""
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        raise not_found(what) from None
    if str(parsed) != value.lower():
        raise not_found(what)
    return value.lower()
