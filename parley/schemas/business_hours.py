"""The workspace's business hours: the weekly opening ranges in one time zone, and the holidays that close a day."""

from __future__ import annotations

import itertools
import zoneinfo
from datetime import date
from functools import cache
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, model_validator

from parley.schemas.common import RequestModel, WireModel

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # Python's date.weekday() order
MAX_RANGES_PER_DAY = 8
MAX_HOLIDAYS = 366
DEFAULT_TIMEZONE = "UTC"


@cache
def known_timezones() -> frozenset[str]:
    """The IANA names this server's time zone database knows (the system's, or the `tzdata` package)."""
    return frozenset(zoneinfo.available_timezones())


def is_known_timezone(name: str) -> bool:
    return name in known_timezones()


def _timezone(value: str) -> str:
    if not is_known_timezone(value):
        raise ValueError(f"{value!r} is not an IANA time zone this server knows, such as Europe/Berlin")
    return value


def _holiday(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date of the calendar (YYYY-MM-DD)") from None
    return value


def minutes_of(hhmm: str) -> int:
    """`HH:MM` (as the pattern allows: 00:00 to 24:00) as minutes after midnight."""
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def hhmm_of(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


Time = Annotated[
    str,
    Field(
        pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$",
        description="`HH:MM`, 24-hour, local to the business hours' time zone: `00:00` to `24:00`.",
    ),
]
TimeRange = Annotated[
    tuple[Time, Time],
    Field(description="`[start, end)`: open from `start` until just before `end`; `end` is after `start`."),
]
DayRanges = Annotated[list[TimeRange], Field(max_length=MAX_RANGES_PER_DAY)]
Timezone = Annotated[
    str,
    Field(min_length=1, max_length=64, description="An IANA time zone name."),
    AfterValidator(_timezone),
]
Holiday = Annotated[
    str,
    Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description="`YYYY-MM-DD`."),
    AfterValidator(_holiday),
]


class WeeklyHours(WireModel):
    """Each day's opening ranges; a day absent from a PUT (or `[]`) is closed. No overnight range: a night shift
    is `["22:00", "24:00"]` on one day and `["00:00", "06:00"]` on the next."""

    model_config = ConfigDict(extra="forbid")

    mon: DayRanges = Field(default_factory=list)
    tue: DayRanges = Field(default_factory=list)
    wed: DayRanges = Field(default_factory=list)
    thu: DayRanges = Field(default_factory=list)
    fri: DayRanges = Field(default_factory=list)
    sat: DayRanges = Field(default_factory=list)
    sun: DayRanges = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered_without_overlap(self) -> WeeklyHours:
        for day in WEEKDAYS:
            ranges = sorted(getattr(self, day), key=lambda r: minutes_of(r[0]))
            for start, end in ranges:
                if minutes_of(end) <= minutes_of(start):
                    raise ValueError(f"{day}: {start}-{end} does not end after it starts (split a night at 24:00)")
            for (_, end), (start, _) in itertools.pairwise(ranges):
                if minutes_of(start) < minutes_of(end):
                    raise ValueError(f"{day}: ranges overlap ({start} is before {end})")
            setattr(self, day, ranges)
        return self


class BusinessHours(WireModel):
    """`GET/PUT /business-hours`. While `enabled`, the team is away outside the weekly ranges and on holidays,
    read in `timezone`: the widget says when it is back, and the bot posts its away message."""

    enabled: bool
    timezone: str = Field(description="An IANA time zone name; the ranges and holidays are local to it.")
    weekly: WeeklyHours
    holidays: list[str] = Field(description="Dates (`YYYY-MM-DD`) closed all day, in `timezone`; sorted.")


class PutBusinessHoursRequest(RequestModel):
    """The whole schedule, replacing the stored one. At most 8 ranges a day and 366 holidays."""

    enabled: Annotated[bool, Field(strict=True)]
    timezone: Timezone
    weekly: WeeklyHours
    holidays: Annotated[list[Holiday], Field(max_length=MAX_HOLIDAYS)] = Field(default_factory=list)
