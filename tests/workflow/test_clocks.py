from __future__ import annotations

import random
from datetime import date, timedelta

from sandbox.workflow.clocks import CountingCalendar, Pause, clock_status

HK_WORKING = CountingCalendar("working_days", "HK", ("public", "optional"))
CALENDAR = CountingCalendar("calendar_days", "HK", ("public",))


def test_working_days_skip_weekends_and_lunar_new_year():
    # Friday 13 Feb 2026; Lunar New Year holidays are Tue 17 to Thu 19 Feb.
    assert HK_WORKING.add(date(2026, 2, 13), 15) == date(2026, 3, 11)
    assert not HK_WORKING.counts(date(2026, 2, 18))
    assert not HK_WORKING.counts(date(2026, 2, 14))  # Saturday
    assert HK_WORKING.counts(date(2026, 2, 16))


def test_clock_status_15_working_days_across_lunar_new_year():
    status = clock_status(HK_WORKING, 15, date(2026, 2, 13), [], None, today=date(2026, 2, 13))
    assert status.deadline == date(2026, 3, 11)
    assert status.days_left == 15 and not status.is_overdue and status.is_running


def test_clock_status_ten_day_pause_moves_deadline_by_paused_working_days():
    started = date(2026, 3, 2)
    unpaused = clock_status(HK_WORKING, 15, started, [], None, today=date(2026, 3, 2))
    assert unpaused.deadline == date(2026, 3, 23)
    # Request sent Thursday 5 March, answered Sunday 15 March: 6 working days (6, 9-13 March) paused.
    paused = clock_status(HK_WORKING, 15, started, [Pause(date(2026, 3, 5), date(2026, 3, 15))], None,
                          today=date(2026, 3, 16))
    assert paused.paused_days == 6
    assert paused.deadline == date(2026, 3, 31)
    assert paused.days_left == HK_WORKING.count_between(date(2026, 3, 16), date(2026, 3, 31))


def test_clock_status_open_pause_stops_the_clock_and_is_never_overdue():
    status = clock_status(HK_WORKING, 5, date(2026, 3, 2), [Pause(date(2026, 3, 3), None)], None,
                          today=date(2026, 6, 1))
    assert status.is_paused and not status.is_running and not status.is_overdue
    assert status.days_left == 4  # one day used before the pause


def test_clock_status_overdue_counts_negative_days():
    status = clock_status(HK_WORKING, 5, date(2026, 3, 2), [], None, today=date(2026, 3, 12))
    assert status.deadline == date(2026, 3, 9)
    assert status.is_overdue and status.days_left == -3


def test_clock_status_stopped_clock_keeps_its_deadline():
    status = clock_status(CALENDAR, 90, date(2026, 1, 1), [], date(2026, 2, 1), today=date(2026, 12, 1))
    assert status.is_stopped and status.deadline == date(2026, 4, 1) and not status.is_overdue
    assert status.days_left is None


def test_calendar_days_count_every_day():
    assert CALENDAR.add(date(2026, 2, 13), 15) == date(2026, 2, 28)


def test_count_between_agrees_with_counting_day_by_day_across_weekends_holidays_and_years():
    rng = random.Random(20261123)

    def walked(calendar: CountingCalendar, start: date, end: date) -> int:
        return sum(calendar.counts(start + timedelta(days=n)) for n in range(1, (end - start).days + 1))

    for _ in range(400):
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 3 * 365))
        end = start + timedelta(days=rng.choice([0, 1, 2, 6, 7, 8, rng.randrange(0, 500)]))
        for calendar in (HK_WORKING, CALENDAR):
            assert calendar.count_between(start, end) == walked(calendar, start, end), (calendar.basis, start, end)
        assert HK_WORKING.count_between(end, start) == 0  # never negative: backwards is nothing
    # Christmas to New Year 2026/27 in Hong Kong: 25, 26 (Saturday) and 1 January are holidays.
    assert HK_WORKING.count_between(date(2026, 12, 24), date(2027, 1, 4)) == 5
