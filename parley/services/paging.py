"""Listings continue after the last item of the previous page (`after=<id>`): the one way that id becomes the keys
a listing's keyset query continues from (`parley.storage.repositories._query.keyset_after`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

Item = TypeVar("Item")
Keys = TypeVar("Keys")


def continue_after(after: str | None, find: Callable[[str], Item], keys: Callable[[Item], Keys]) -> Keys | None:
    """None for a first page; else the keys of the item `after`, which `find` looks up where the listing looks
    (an id that is unknown there is a 404, never an empty page that hides a typo)."""
    return None if after is None else keys(find(after))
