"""Statutory clocks: deadlines in calendar or working days, paused while the regulator waits.

Counting convention: the day the clock starts is day 0; the deadline is the Nth counting day after
it. A pause from day P to day R (request sent on P, answer received on R) does not count the counting
days after P up to and including R, so the deadline moves out by exactly those days.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

from sandbox.workflow.definition import ClockDef


@lru_cache(maxsize=64)
def _holidays_for(jurisdiction: str, categories: tuple[str, ...], year: int) -> frozenset[date]:
    calendar = holidays.country_holidays(jurisdiction, years=year, categories=categories)
    return frozenset(calendar.keys())


@lru_cache(maxsize=64)
def _weekday_holidays(jurisdiction: str, categories: tuple[str, ...], year: int) -> tuple[date, ...]:
    """The year's holidays that fall on a weekday (the ones a working-day count must skip), in order."""
    return tuple(sorted(day for day in _holidays_for(jurisdiction, categories, year) if day.weekday() < 5))


def _weekdays_after(start: date, end: date) -> int:
    """Monday-to-Friday days after `start` up to and including `end` (end > start)."""
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    first = start.weekday() + 1  # the weekday of the first day counted, before wrapping
    return weeks * 5 + sum((first + offset) % 7 < 5 for offset in range(rest))


@dataclass(frozen=True)
class CountingCalendar:
    basis: str
    jurisdiction: str
    holiday_categories: tuple[str, ...]

    @classmethod
    def for_clock(cls, clock: ClockDef) -> CountingCalendar:
        return cls(clock.basis, clock.jurisdiction, clock.holiday_categories)

    def counts(self, day: date) -> bool:
        if self.basis == "calendar_days":
            return True
        return day.weekday() < 5 and day not in _holidays_for(self.jurisdiction, self.holiday_categories, day.year)

    def add(self, start: date, days: int) -> date:
        """The `days`-th counting day after `start`."""
        day, remaining = start, days
        while remaining > 0:
            day += timedelta(days=1)
            if self.counts(day):
                remaining -= 1
        return day

    def count_between(self, start: date, end: date) -> int:
        """Counting days after `start` up to and including `end` (0 if `end` is not after `start`).

        Arithmetic, not a walk over the days: the queue shows days left for every row of its page, and walking
        a clock's 60 working days per row was a third of the page's time.
        """
        if end <= start:
            return 0
        if self.basis == "calendar_days":
            return (end - start).days
        skipped = 0
        for year in range(start.year, end.year + 1):
            holidays_on_weekdays = _weekday_holidays(self.jurisdiction, self.holiday_categories, year)
            skipped += bisect_right(holidays_on_weekdays, end) - bisect_right(holidays_on_weekdays, start)
        return _weekdays_after(start, end) - skipped


@dataclass(frozen=True)
class Pause:
    started_on: date
    ended_on: date | None


@dataclass(frozen=True)
class ClockStatus:
    is_running: bool
    is_paused: bool
    is_stopped: bool
    started_on: date | None
    deadline: date | None
    days_left: int | None  # counting days from today to the deadline; negative when overdue
    paused_days: int
    is_overdue: bool


NOT_STARTED = ClockStatus(False, False, False, None, None, None, 0, False)


def clock_status(calendar: CountingCalendar, allowed_days: int, started_on: date | None, pauses: list[Pause],
                 stopped_on: date | None, today: date) -> ClockStatus:
    if started_on is None:
        return NOT_STARTED
    end = stopped_on or today
    paused_days = sum(calendar.count_between(p.started_on, min(p.ended_on or end, end)) for p in pauses)
    deadline = calendar.add(started_on, allowed_days + paused_days)
    is_paused = any(p.ended_on is None for p in pauses) and stopped_on is None
    if stopped_on is not None:
        return ClockStatus(False, False, True, started_on, deadline, None, paused_days, stopped_on > deadline)
    if today <= deadline:
        days_left = calendar.count_between(today, deadline)
    else:
        days_left = -calendar.count_between(deadline, today)
    return ClockStatus(not is_paused, is_paused, False, started_on, deadline, days_left, paused_days,
                       today > deadline and not is_paused)
