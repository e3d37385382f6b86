"""Pure calendar arithmetic: local times in IANA zones, working days, quiet hours, DST.

Occurrences are keyed by local *date*, so a DST change can neither skip nor double a round.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """The zone called `name`, or the fallback when it is missing or unknown."""
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def at_local(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock `at` on `day` in `tz`.

    A time that does not exist (the spring-forward gap) moves forward by the gap; a time that
    happens twice (fall-back) means its first occurrence.
    """
    # With fold=0, zoneinfo reads a time in the gap with the offset from before the change
    # (02:30 → 03:30 in New York in March) and an ambiguous one as its first occurrence.
    return datetime.combine(day, at).replace(tzinfo=tz, fold=0).astimezone(UTC)


def parse_days(text: str) -> frozenset[int]:
    """ "0,1,2,3,4" → {0, 1, 2, 3, 4} (Monday is 0)."""
    return frozenset(int(part) for part in text.split(",") if part.strip().isdigit())


@dataclass(frozen=True)
class WorkCalendar:
    """A team's working days and holidays."""

    working_days: frozenset[int]
    holidays: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        """Whether the team works on `day`."""
        return day.weekday() in self.working_days and day not in self.holidays


def pulse_dates(start: date, end: date, weekday: int, calendar: WorkCalendar) -> Iterator[date]:
    """The local dates of pulse rounds between `start` and `end` (inclusive).

    A round falls on `weekday`; when that day is a holiday or not a working day it moves to the
    next working day of the same week, and is skipped when the week has none left.
    """
    day = start - timedelta(days=(start.weekday() - weekday) % 7)
    while day <= end:
        chosen = day
        while not calendar.is_working_day(chosen) and chosen.weekday() != 6:
            chosen += timedelta(days=1)
        if calendar.is_working_day(chosen) and start <= chosen <= end:
            yield chosen
        day += timedelta(days=7)


def in_quiet_hours(local: time, quiet_start: time, quiet_end: time) -> bool:
    """Whether a wall-clock time is inside quiet hours (which may wrap past midnight)."""
    if quiet_start == quiet_end:
        return False
    if quiet_start < quiet_end:
        return quiet_start <= local < quiet_end
    return local >= quiet_start or local < quiet_end


def out_of_quiet_hours(
    instant: datetime, tz: ZoneInfo, quiet_start: time, quiet_end: time
) -> datetime:
    """`instant`, or the end of the quiet hours it falls in, in the person's own zone."""
    local = instant.astimezone(tz)
    if not in_quiet_hours(local.time(), quiet_start, quiet_end):
        return instant
    day = local.date()
    if quiet_start > quiet_end and local.time() >= quiet_start:
        day += timedelta(days=1)  # evening: quiet until tomorrow morning
    return at_local(day, quiet_end, tz)


def personal_due(
    day: date,
    at: time,
    tz: ZoneInfo,
    quiet: tuple[time, time],
) -> datetime:
    """When a person should get the round of `day`: `at` in their zone, moved out of quiet hours."""
    return out_of_quiet_hours(at_local(day, at, tz), tz, *quiet)


def earliest(instants: Iterable[datetime]) -> datetime | None:
    """The earliest of some instants, or None."""
    return min(instants, default=None)
