"""Friendly names for anonymous visitors ("Amber Fox"), so that agents tell them apart at a glance and the console,
the External API and webhooks all say the same name (it is stored as the end user's `name`).

Distinct within a workspace with high probability, at the cost of one indexed read per new visitor: a handful of
random candidates is drawn at each of three lengths (adjective and animal, 40 x 40 = 1,600 names; then with a number
from 2 to 99, some 160,000; then from 100 to 999, some 1.4 million), the names the workspace already uses are read
in one query on the (workspace, name) index, and the first free candidate is taken, shortest first. So a small
workspace sees plain names, and a number appears only once most plain names are taken. Two visitors arriving in the
same instant may, rarely, draw the same name (nothing locks the choice): a name tells visitors apart, it does not
identify anyone.
"""

from __future__ import annotations

import random

from sqlalchemy import Connection

from parley.storage.repositories import people as people_repo

ADJECTIVES = (
    "Amber", "Azure", "Bold", "Brave", "Bright", "Calm", "Clever", "Coral", "Cosy", "Crimson",
    "Curious", "Dapper", "Eager", "Gentle", "Golden", "Happy", "Honest", "Jolly", "Keen", "Kind",
    "Lively", "Lucky", "Mellow", "Merry", "Misty", "Nimble", "Noble", "Olive", "Plucky", "Polite",
    "Quiet", "Rosy", "Rustic", "Silver", "Sunny", "Swift", "Tidy", "Witty", "Young", "Zesty",
)  # fmt: skip
ANIMALS = (
    "Badger", "Bear", "Beaver", "Bison", "Crane", "Deer", "Dolphin", "Duck", "Eagle", "Falcon",
    "Ferret", "Finch", "Fox", "Gecko", "Hare", "Hedgehog", "Heron", "Koala", "Lark", "Lemur",
    "Lynx", "Marten", "Moose", "Otter", "Owl", "Panda", "Parrot", "Penguin", "Puffin", "Quail",
    "Raven", "Robin", "Salmon", "Seal", "Sparrow", "Squirrel", "Swan", "Tiger", "Walrus", "Wren",
)  # fmt: skip
CANDIDATES_PER_LENGTH = 4
NUMBERS: tuple[range | None, ...] = (None, range(2, 100), range(100, 1000))  # the three lengths, shortest first
LAST_RESORT = range(1000, 10000)


def unused_name(conn: Connection, workspace_id: str, rng: random.Random | None = None) -> str:
    """A friendly name no end user of the workspace has (see the module's docstring for how)."""
    draw = rng or random.SystemRandom()
    candidates = [_name(draw, numbers) for numbers in NUMBERS for _ in range(CANDIDATES_PER_LENGTH)]
    taken = people_repo.end_user_names_taken(conn, workspace_id, candidates)
    return next((name for name in candidates if name not in taken), _name(draw, LAST_RESORT))


def _name(draw: random.Random, numbers: range | None) -> str:
    name = f"{draw.choice(ADJECTIVES)} {draw.choice(ANIMALS)}"
    return name if numbers is None else f"{name} {draw.choice(numbers)}"
