"""Business hours: when the team is open, when it opens next, and whether it is away now.

The schedule (`StoredBusinessHours`) is a week of `[start, end)` ranges in local wall-clock time of one IANA time
zone, and holidays that close a whole local day. `is_open` and `next_opening` read the schedule only (not
`enabled`); `away` combines it with `enabled` and whether an agent is online.

The rule is the wall clock's: an instant is open exactly when, read on a clock in `timezone`, its local date is not
a holiday and its local time of day lies in one of that weekday's ranges. So a range "09:00-17:00" in Europe/Berlin
opens at 09:00 local time on the days the clocks change too (07:00 UTC in summer, 08:00 UTC in winter). Around a
change of the clocks this decides, deliberately:

- A local time that does not exist (the spring-forward gap, Berlin 02:00-02:59 on the last Sunday of March) is never
  read on the clock: a range that starts in the gap opens when the clocks jump (at 03:00 local), one that ends in
  it closes then, and one lying wholly inside it does not open that day.
- A local time that is read twice (the fall-back hour, Berlin 02:00-02:59 on the last Sunday of October) is open
  both times if it lies in a range: "02:00-02:30" is open for two half hours that night, and a range ending at
  02:30 closes at the first 02:30 and opens again when the clock reads 02:00 the second time.

Both functions work on whole seconds of unix time; `next_opening` walks the instants where the answer can change
(each range's start and end, read in both folds, and each change of the zone's UTC offset), so it agrees with
`is_open` to the second.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from parley import schemas
from parley.clock import now_seconds
from parley.errors import not_found
from parley.realtime.broker import Invalidation
from parley.schemas.business_hours import WEEKDAYS, hhmm_of
from parley.services import audit
from parley.storage.database import Transaction
from parley.storage.records import StoredBusinessHours, WorkspaceRecord
from parley.storage.repositories import workspaces as workspace_repo

if TYPE_CHECKING:
    from parley.services.context import Services

SETTINGS_KEY = "businessHours"  # in the workspace's `settings` JSON
DAY_SECONDS = 86_400
OFFSET_PROBE_SECONDS = 3 * 3_600  # no zone changes its UTC offset twice within this


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_open(hours: StoredBusinessHours, at: float) -> bool:
    """Whether the schedule is open at unix time `at` (whatever `hours.enabled` says)."""
    local = datetime.fromtimestamp(int(at), _zone(hours.timezone))
    if local.date() in hours.holidays:
        return False
    minute = local.hour * 60 + local.minute
    return any(start <= minute < end for start, end in hours.weekly[local.weekday()])


def next_opening(hours: StoredBusinessHours, at: float) -> int | None:
    """The first whole second at or after `at` when the schedule is open (`at` itself when open), or None when it
    never opens: no ranges in the week (whatever `hours.enabled` says).

    Holidays close at most `len(holidays)` days, so an opening comes within that many weeks and one more."""
    start = int(at)
    if not any(hours.weekly):
        return None
    if is_open(hours, start):
        return start
    zone = _zone(hours.timezone)
    horizon = start + (7 * (len(hours.holidays) + 1) + 2) * DAY_SECONDS
    window = start
    while window < horizon:
        end = window + DAY_SECONDS
        for instant in sorted(set(_changes(hours, zone, window, end))):
            if is_open(hours, instant):
                return instant
        window = end
    return None


def _changes(hours: StoredBusinessHours, zone: ZoneInfo, after: int, until: int) -> Iterator[int]:
    """The instants in `(after, until]` where `is_open` may change: every range boundary's existing readings on the
    clock, and every change of the UTC offset (where the wall clock jumps)."""
    first = datetime.fromtimestamp(after, zone).date() - timedelta(days=1)
    last = datetime.fromtimestamp(until, zone).date() + timedelta(days=1)
    day = first
    while day <= last:
        for start, end in () if day in hours.holidays else hours.weekly[day.weekday()]:
            for minutes in (start, end):
                for instant in _readings(zone, day, minutes):
                    if after < instant <= until:
                        yield instant
        day += timedelta(days=1)
    yield from _offset_changes(zone, after, until)


def _readings(zone: ZoneInfo, day: date, minutes: int) -> set[int]:
    """The instants at which a clock in `zone` reads `minutes` after midnight of `day`: none in a gap, two in a
    repeated hour, one otherwise."""
    wall = datetime(day.year, day.month, day.day) + timedelta(minutes=minutes)
    found = set()
    for fold in (0, 1):
        instant = int(wall.replace(tzinfo=zone, fold=fold).timestamp())
        if datetime.fromtimestamp(instant, zone).replace(tzinfo=None) == wall:
            found.add(instant)
    return found


def _offset_changes(zone: ZoneInfo, after: int, until: int) -> Iterator[int]:
    """The first second of each new UTC offset in `(after, until]`, found by probing and bisecting."""

    def offset(instant: int) -> timedelta | None:
        return datetime.fromtimestamp(instant, zone).utcoffset()

    low = after
    while low < until:
        high = min(low + OFFSET_PROBE_SECONDS, until)
        if offset(low) != offset(high):
            before, changed = low, high
            while changed - before > 1:
                middle = (before + changed) // 2
                if offset(middle) == offset(low):
                    before = middle
                else:
                    changed = middle
            yield changed
        low = high


# The team's being away: outside business hours, or with no agent online
@dataclass(frozen=True, slots=True)
class Away:
    away: bool
    back_at: int | None  # the next opening, while business hours are enabled and it is outside them


def outside_hours(hours: StoredBusinessHours, at: float) -> bool:
    """Business hours are enabled and `at` is outside them."""
    return hours.enabled and not is_open(hours, at)


async def away(svc: Services, workspace: WorkspaceRecord, at: int | None = None) -> Away:
    """Whether the team is away: business hours are enabled and it is outside them, or no agent is online (a cached
    answer, asked only when the hours do not already say so)."""
    when = now_seconds() if at is None else at
    hours = workspace.business_hours
    if outside_hours(hours, when):
        return Away(True, next_opening(hours, when))
    return Away(not await svc.agents_online.any_online(svc.db, workspace.id), None)


# The APIs' business hours
async def get_business_hours(svc: Services, workspace: WorkspaceRecord) -> schemas.BusinessHours:
    current = await svc.db.read(workspace_repo.get_workspace, workspace.id)
    if current is None:
        raise not_found("Workspace")
    return view(current.business_hours)


async def put_business_hours(
    svc: Services, workspace: WorkspaceRecord, request: schemas.PutBusinessHoursRequest, actor: audit.Actor
) -> schemas.BusinessHours:
    """The whole schedule replaces the stored one, under the workspace row's lock; only `settings.businessHours`
    changes (the widget settings' keys beside it are kept, as their PUT keeps this one)."""
    stored = {
        "enabled": request.enabled,
        "timezone": request.timezone,
        "weekly": {day: [list(r) for r in getattr(request.weekly, day)] for day in WEEKDAYS},
        "holidays": sorted(set(request.holidays)),
    }
    now = now_seconds()

    def change(tx: Transaction) -> WorkspaceRecord | None:
        current = workspace_repo.get_workspace_for_update(tx.conn, workspace.id)
        if current is None:
            raise not_found("Workspace")
        settings = {**current.settings, SETTINGS_KEY: stored}
        workspace_repo.update_workspace(tx.conn, workspace.id, settings=settings, updated_at=now)
        details = {"enabled": request.enabled, "timezone": request.timezone}
        audit.record(tx, actor, workspace.id, "business_hours.updated", None, details)
        return workspace_repo.get_workspace(tx.conn, workspace.id)

    updated = await svc.db.write(change)
    assert updated is not None
    # Tokens and visitors cache their workspace, settings included: every process drops it.
    await svc.invalidate(Invalidation(workspace_ids=(workspace.id,)))
    return view(updated.business_hours)


def view(hours: StoredBusinessHours) -> schemas.BusinessHours:
    weekly = schemas.WeeklyHours.model_construct()  # as stored, unchecked: a hand-edited overlap still reads
    for day, ranges in zip(WEEKDAYS, hours.weekly, strict=True):
        setattr(weekly, day, [(hhmm_of(start), hhmm_of(end)) for start, end in ranges])
    return schemas.BusinessHours(
        enabled=hours.enabled,
        timezone=hours.timezone,
        weekly=weekly,
        holidays=sorted(d.isoformat() for d in hours.holidays),
    )
