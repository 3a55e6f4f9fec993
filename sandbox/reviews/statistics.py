"""The leads' statistics: open cases, overdue cases, time to decision and workload, in a few GROUP BY queries.

Every figure comes from an aggregate query (or a short, indexed, limited one), so the dashboard costs the same
handful of statements with a thousand cases or a hundred thousand. Days to decision need the working-day
calendar, which SQL does not know: the queries group decisions by (submitted day, decided day) and the counting
happens here, on those groups, with a running total of working days so each group costs one subtraction.

Percentiles use the nearest-rank method: the 90th percentile is the smallest number of days within which at least
90% of the decisions were made (so it is always one of the observed values, and "90% within N days" holds).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, and_, exists, func, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from sandbox.accounts.models import User
from sandbox.cases.models import Case
from sandbox.core.permissions import Role
from sandbox.decisions.models import Decision, DecisionOutcome
from sandbox.reviews.assignments import Workload, workload
from sandbox.reviews.queue import visible_cases
from sandbox.workflow.clocks import CountingCalendar
from sandbox.workflow.engine import REGULATOR_TIMEZONE, start_of_regulator_day
from sandbox.workflow.models import WorkflowVersion
from sandbox.workflow.versions import current_version, definition_for, definition_of

# Decisions that end the wait for an answer; a send-back is not one (the case goes back to assessment).
FINAL_OUTCOMES = (DecisionOutcome.ADMITTED.value, DecisionOutcome.REJECTED.value,
                  DecisionOutcome.REJECTED_OUT_OF_SCOPE.value, DecisionOutcome.WAITLISTED.value)
MONTHS = 12
MOST_OVERDUE = 10


@dataclass(frozen=True)
class StateCount:
    state: str
    label: str
    count: int


@dataclass(frozen=True)
class OverdueCase:
    case_id: int
    reference: str
    organisation_name: str
    officer_name: str | None
    deadline_on: date
    days_overdue: int  # counting days of the case's own statutory clock


@dataclass(frozen=True)
class DaysToDecision:
    decisions: int
    median_calendar_days: int | None
    p90_calendar_days: int | None
    median_working_days: int | None
    p90_working_days: int | None


@dataclass(frozen=True)
class MonthFigures:
    month: date  # the first day of the month
    submitted: int
    decisions: int
    median_calendar_days: int | None
    median_working_days: int | None


@dataclass(frozen=True)
class DashboardFigures:
    today: date
    window_days: int
    open_by_state: list[StateCount]
    unassigned_cases: int
    overdue_cases: int
    most_overdue: list[OverdueCase]
    days_to_decision: DaysToDecision
    months: list[MonthFigures]
    workload: list[Workload]

    @property
    def open_cases(self) -> int:
        return sum(item.count for item in self.open_by_state)


def dashboard_figures(session: Session, today: date, *, window_days: int = 365,
                      viewer_id: int | None = None) -> DashboardFigures:
    """The dashboard's figures as of `today` (the regulator's date). Cases of organisations the viewer has declared
    a conflict with are left out of the list of overdue cases (they are still counted)."""
    definition = definition_of(current_version(session))
    clock = definition.clock
    working = CountingCalendar("working_days", clock.jurisdiction, clock.holiday_categories)
    months = _month_starts(today, MONTHS)
    since = min(today - timedelta(days=window_days - 1), months[0])
    decided = _decision_day_pairs(session, since)
    in_window = Counter({pair: n for pair, n in decided.items() if pair[1] > today - timedelta(days=window_days)})
    return DashboardFigures(
        today=today, window_days=window_days,
        open_by_state=_open_by_state(session, {name: spec.label for name, spec in definition.states.items()}),
        unassigned_cases=session.scalar(select(func.count()).select_from(Case).where(
            Case.is_open, Case.case_officer_id.is_(None))) or 0,
        overdue_cases=session.scalar(select(func.count()).select_from(Case).where(_overdue(today))) or 0,
        most_overdue=_most_overdue(session, today, viewer_id),
        days_to_decision=_days_to_decision(in_window, working),
        months=_monthly(session, months, decided, working),
        workload=workload(session, Role.CASE_OFFICER, today),
    )


def _overdue(today: date) -> ColumnElement[bool]:
    # A running clock's sort key is its deadline (see Case.clock_sort_on), so this reads one index range.
    return and_(Case.clock_sort_on < today, Case.clock_state == "running", Case.is_open)


def _open_by_state(session: Session, labels: dict[str, str]) -> list[StateCount]:
    counts = dict(session.execute(select(Case.state, func.count()).where(Case.is_open)
                                  .group_by(Case.state)).all())
    ordered = [name for name in labels if name in counts] + sorted(name for name in counts if name not in labels)
    return [StateCount(name, labels.get(name, name.replace("_", " ").capitalize()), counts[name]) for name in ordered]


def _most_overdue(session: Session, today: date, viewer_id: int | None) -> list[OverdueCase]:
    officer = aliased(User)
    statement = (select(Case.id, Case.reference, Case.organisation_name, officer.full_name, Case.deadline_on,
                        Case.workflow_version_id, WorkflowVersion.source_sha256)
                 .join(WorkflowVersion, WorkflowVersion.id == Case.workflow_version_id)
                 .outerjoin(officer, officer.id == Case.case_officer_id)
                 .where(_overdue(today)).order_by(Case.clock_sort_on, Case.id).limit(MOST_OVERDUE))
    if viewer_id is not None:
        statement = statement.where(visible_cases(viewer_id))
    rows = []
    for case_id, reference, organisation, officer_name, deadline, version_id, checksum in session.execute(statement):
        calendar = CountingCalendar.for_clock(definition_for(session, version_id, checksum).clock)
        rows.append(OverdueCase(case_id, reference, organisation, officer_name, deadline,
                                calendar.count_between(deadline, today)))
    return rows


def _local_day(session: Session, column: Any) -> ColumnElement[date]:
    """The regulator's calendar day of a UTC timestamp column, computed by the database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(REGULATOR_TIMEZONE.key, column), type_=Date)
    # SQLite keeps naive UTC text. Hong Kong has had no daylight saving since 1979, so a fixed offset is exact.
    hours = int((REGULATOR_TIMEZONE.utcoffset(datetime.now()) or timedelta()).total_seconds() // 3600)
    return func.date(column, f"{hours:+d} hours", type_=Date)


def _decision_day_pairs(session: Session, since: date) -> Counter[tuple[date, date]]:
    """First final decision per case decided on or after `since`: {(submitted day, decided day): decisions}."""
    earlier = aliased(Decision)
    submitted, decided = _local_day(session, Decision.submitted_at), _local_day(session, Decision.decided_at)
    statement = (select(submitted, decided, func.count())
                 .where(Decision.decided_at >= start_of_regulator_day(since), Decision.outcome.in_(FINAL_OUTCOMES),
                        ~exists().where(earlier.case_id == Decision.case_id, earlier.id < Decision.id,
                                        earlier.outcome.in_(FINAL_OUTCOMES)))
                 .group_by(submitted, decided))
    return Counter({(_as_date(s), _as_date(d)): n for s, d, n in session.execute(statement)})


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _days_to_decision(pairs: Counter[tuple[date, date]], working: CountingCalendar) -> DaysToDecision:
    calendar_days, working_days = _durations(pairs, working)
    return DaysToDecision(decisions=sum(pairs.values()),
                          median_calendar_days=nearest_rank(calendar_days, 50),
                          p90_calendar_days=nearest_rank(calendar_days, 90),
                          median_working_days=nearest_rank(working_days, 50),
                          p90_working_days=nearest_rank(working_days, 90))


def _durations(pairs: Counter[tuple[date, date]],
               working: CountingCalendar) -> tuple[Counter[int], Counter[int]]:
    """{days: decisions} in calendar days and in working days (counted as CountingCalendar.count_between does)."""
    if not pairs:
        return Counter(), Counter()
    first = min(start for start, _end in pairs)
    last = max(end for _start, end in pairs)
    running, total, day = {first: 0}, 0, first
    while day < last:  # working days after `first` up to and including each day: one pass over the range
        day += timedelta(days=1)
        total += working.counts(day)
        running[day] = total
    calendar_days: Counter[int] = Counter()
    working_days: Counter[int] = Counter()
    for (start, end), count in pairs.items():
        calendar_days[max((end - start).days, 0)] += count
        working_days[max(running[end] - running[start], 0)] += count
    return calendar_days, working_days


def nearest_rank(counts: Counter[int], percent: int) -> int | None:
    """The smallest value with at least `percent`% of the observations at or below it; None when there are none."""
    total = sum(counts.values())
    if total == 0:
        return None
    rank, seen = math.ceil(percent / 100 * total), 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    return None  # unreachable: the last value always reaches the rank


def _month_starts(today: date, count: int) -> list[date]:
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _monthly(session: Session, months: list[date], decided: Counter[tuple[date, date]],
             working: CountingCalendar) -> list[MonthFigures]:
    submitted_day = _local_day(session, Case.submitted_at)
    since = start_of_regulator_day(months[0])
    submitted_rows = session.execute(select(submitted_day, func.count()).where(Case.submitted_at >= since)
                                     .group_by(submitted_day))
    submitted = Counter[date]()
    for day, count in submitted_rows:
        submitted[_as_date(day).replace(day=1)] += count
    by_month: dict[date, Counter[tuple[date, date]]] = {month: Counter() for month in months}
    for (start, end), count in decided.items():
        if end.replace(day=1) in by_month:
            by_month[end.replace(day=1)][(start, end)] += count
    return [_month(month, submitted[month], by_month[month], working) for month in months]


def _month(month: date, submitted: int, pairs: Counter[tuple[date, date]], working: CountingCalendar) -> MonthFigures:
    calendar_days, working_days = _durations(pairs, working)
    return MonthFigures(month=month, submitted=submitted, decisions=sum(pairs.values()),
                        median_calendar_days=nearest_rank(calendar_days, 50),
                        median_working_days=nearest_rank(working_days, 50))
