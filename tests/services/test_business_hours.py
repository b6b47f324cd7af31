"""When the team is open and when it opens next: the wall clock of the business hours' time zone, holidays, the
days the clocks change, and a property walked minute by minute."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from parley.schemas.business_hours import WEEKDAYS
from parley.services.business_hours import is_open, next_opening
from parley.storage.records import StoredBusinessHours


def hours(timezone: str, holidays: tuple[str, ...] = (), **weekly: list[list[str]]) -> StoredBusinessHours:
    """As the API stores them: `hours("Europe/Berlin", mon=[["09:00", "17:00"]])`."""
    stored: dict[str, Any] = {"enabled": True, "timezone": timezone, "weekly": weekly, "holidays": list(holidays)}
    parsed = StoredBusinessHours.from_stored(stored)
    assert parsed.timezone == timezone
    return parsed


def utc(text: str) -> int:
    """`2026-03-29 07:00` in UTC, as unix seconds."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def iso(instant: int | None) -> str | None:
    return None if instant is None else datetime.fromtimestamp(instant, UTC).strftime("%Y-%m-%d %H:%M:%S")


NINE_TO_FIVE = [["09:00", "17:00"]]
WEEKDAYS_NINE_TO_FIVE = {day: NINE_TO_FIVE for day in WEEKDAYS[:5]}


def test_a_range_is_read_on_the_local_wall_clock_start_included_end_excluded() -> None:
    berlin = hours("Europe/Berlin", **WEEKDAYS_NINE_TO_FIVE)
    # Wednesday 2026-01-14, winter (UTC+1): 09:00-17:00 local is 08:00-16:00 UTC.
    assert not is_open(berlin, utc("2026-01-14 07:59:59"))
    assert is_open(berlin, utc("2026-01-14 08:00"))
    assert is_open(berlin, utc("2026-01-14 15:59:59"))
    assert not is_open(berlin, utc("2026-01-14 16:00"))
    # Summer (UTC+2): the same range is 07:00-15:00 UTC.
    assert is_open(berlin, utc("2026-07-15 07:00")) and not is_open(berlin, utc("2026-07-15 15:00"))
    assert not is_open(berlin, utc("2026-07-18 10:00")), "Saturday is closed"

    assert iso(next_opening(berlin, utc("2026-01-14 10:00"))) == "2026-01-14 10:00:00", "open now: now"
    assert iso(next_opening(berlin, utc("2026-01-14 16:00"))) == "2026-01-15 08:00:00", "tomorrow at 09:00"
    friday_evening = utc("2026-01-16 18:30")
    assert iso(next_opening(berlin, friday_evening)) == "2026-01-19 08:00:00", "Monday at 09:00"


def test_the_spring_forward_day_opens_at_the_local_time_and_a_range_in_the_gap_never_opens() -> None:
    # Europe/Berlin, Sunday 2026-03-29: at 01:00 UTC the clocks jump from 02:00 to 03:00 (UTC+1 -> UTC+2).
    nine_to_five = hours("Europe/Berlin", sun=NINE_TO_FIVE)
    assert iso(next_opening(nine_to_five, utc("2026-03-28 12:00"))) == "2026-03-29 07:00:00", "09:00 CEST"
    assert is_open(nine_to_five, utc("2026-03-29 14:59")) and not is_open(nine_to_five, utc("2026-03-29 15:00"))

    in_the_gap = hours("Europe/Berlin", sun=[["02:00", "02:30"]])
    assert iso(next_opening(in_the_gap, utc("2026-03-28 12:00"))) == "2026-04-05 00:00:00", "a week later"
    into_the_gap = hours("Europe/Berlin", sun=[["01:30", "02:30"]])
    assert iso(next_opening(into_the_gap, utc("2026-03-28 12:00"))) == "2026-03-29 00:30:00"
    assert is_open(into_the_gap, utc("2026-03-29 00:59:59"))
    assert not is_open(into_the_gap, utc("2026-03-29 01:00")), "closes when the clocks jump past 02:30"
    out_of_the_gap = hours("Europe/Berlin", sun=[["02:30", "04:00"]])
    assert iso(next_opening(out_of_the_gap, utc("2026-03-28 12:00"))) == "2026-03-29 01:00:00", "at the jump (03:00)"
    assert not is_open(out_of_the_gap, utc("2026-03-29 02:00")), "04:00 CEST"


def test_the_fall_back_night_reads_its_repeated_hour_twice() -> None:
    # Europe/Berlin, Sunday 2026-10-25: at 01:00 UTC the clocks go back from 03:00 to 02:00 (UTC+2 -> UTC+1).
    nine_to_five = hours("Europe/Berlin", sun=NINE_TO_FIVE)
    assert iso(next_opening(nine_to_five, utc("2026-10-24 12:00"))) == "2026-10-25 08:00:00", "09:00 CET"

    repeated = hours("Europe/Berlin", sun=[["02:00", "02:30"]])
    assert iso(next_opening(repeated, utc("2026-10-24 12:00"))) == "2026-10-25 00:00:00", "02:00 CEST"
    assert not is_open(repeated, utc("2026-10-25 00:30"))
    assert iso(next_opening(repeated, utc("2026-10-25 00:30"))) == "2026-10-25 01:00:00", "02:00 CET, again"
    assert not is_open(repeated, utc("2026-10-25 01:30"))


def test_new_york_changes_its_clocks_on_other_days() -> None:
    new_york = hours("America/New_York", **WEEKDAYS_NINE_TO_FIVE)
    # Friday 2026-03-06 17:00 EST; the clocks spring forward on Sunday 2026-03-08; Monday 09:00 is EDT (UTC-4).
    assert iso(next_opening(new_york, utc("2026-03-06 22:00"))) == "2026-03-09 13:00:00"
    # Friday 2026-10-30 17:00 EDT; back on Sunday 2026-11-01; Monday 09:00 is EST (UTC-5).
    assert iso(next_opening(new_york, utc("2026-10-30 21:00"))) == "2026-11-02 14:00:00"


def test_a_holiday_closes_the_whole_local_day() -> None:
    always = {day: [["00:00", "24:00"]] for day in WEEKDAYS}
    berlin = hours("Europe/Berlin", ("2026-12-25",), **always)
    assert is_open(berlin, utc("2026-12-24 22:59:59")), "23:59:59 on the 24th in Berlin"
    assert not is_open(berlin, utc("2026-12-24 23:00")), "the 25th has begun in Berlin, not yet in UTC"
    assert iso(next_opening(berlin, utc("2026-12-24 23:00"))) == "2026-12-25 23:00:00", "the 26th in Berlin"
    auckland = hours("Pacific/Auckland", ("2026-12-25",), **always)
    assert not is_open(auckland, utc("2026-12-24 12:00")), "already the 25th in Auckland (UTC+13)"
    assert is_open(auckland, utc("2026-12-25 12:00")), "the 26th in Auckland"


def test_24_00_ends_the_day_and_a_night_shift_runs_on_into_the_next() -> None:
    night = hours("UTC", mon=[["22:00", "24:00"]], tue=[["00:00", "06:00"]])
    monday = utc("2026-01-12 00:00")
    assert not is_open(night, monday + 22 * 3600 - 1)
    assert is_open(night, monday + 23 * 3600 + 59 * 60 + 59)
    assert is_open(night, monday + 24 * 3600), "Tuesday 00:00"
    assert not is_open(night, monday + 30 * 3600), "Tuesday 06:00"
    assert iso(next_opening(night, monday + 30 * 3600)) == "2026-01-19 22:00:00"


def test_a_week_without_ranges_never_opens() -> None:
    closed = hours("Europe/Berlin", ("2026-12-25",))
    assert next_opening(closed, utc("2026-01-14 10:00")) is None
    assert not is_open(closed, utc("2026-01-14 10:00"))


def test_holidays_can_push_the_next_opening_weeks_away() -> None:
    mondays = [(date(2026, 1, 19) + timedelta(weeks=n)).isoformat() for n in range(10)]
    only_mondays = hours("Asia/Tokyo", tuple(mondays), mon=NINE_TO_FIVE)
    assert iso(next_opening(only_mondays, utc("2026-01-13 00:00"))) == "2026-03-30 00:00:00", "09:00 JST"


ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata"]


@st.composite
def schedules(draw: st.DrawFn) -> StoredBusinessHours:
    """Valid schedules: a few sorted ranges a day on quarter hours (some days empty), and a few holidays."""
    weekly: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        marks = sorted(draw(st.sets(st.integers(0, 96), max_size=4)))
        pairs = list(zip(marks[::2], marks[1::2], strict=False))
        weekly[day] = [
            [f"{a * 15 // 60:02d}:{a * 15 % 60:02d}", f"{b * 15 // 60:02d}:{b * 15 % 60:02d}"] for a, b in pairs
        ]
    holidays = draw(st.lists(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=4))
    return hours(draw(st.sampled_from(ZONES)), tuple(d.isoformat() for d in holidays), **weekly)


@settings(max_examples=60, deadline=None)
@given(schedule=schedules(), minute=st.integers(0, 366 * 24 * 60))
def test_the_next_opening_is_open_and_nothing_before_it_is(schedule: StoredBusinessHours, minute: int) -> None:
    at = utc("2026-01-01 00:00") + minute * 60
    opening = next_opening(schedule, at)
    if not any(schedule.weekly):
        assert opening is None
        return
    assert opening is not None and opening >= at
    assert is_open(schedule, opening)
    assert opening == at or not is_open(schedule, opening - 1), "an opening is where it changes"
    for step in range(at, opening, 60):  # minute by minute, the whole way: closed
        assert not is_open(schedule, step), iso(step)
