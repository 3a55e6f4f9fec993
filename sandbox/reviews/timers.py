"""Daily timers on information requests: a reminder before the due date, and lapsing the case after it.

Run by `flask --app sandbox timers run` (which commits); everything here only flushes. Each request is handled
in its own savepoint, so one case that cannot move (a DomainError, say) is logged and counted while the others
go ahead. Running twice on a day changes nothing the second time: a reminded request has `reminded_at`, a lapsed
one is no longer open, and each is re-read under a row lock first, so a concurrent run waits, then finds it done.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from sandbox.cases.models import Case
from sandbox.core.db import utcnow
from sandbox.core.errors import DomainError
from sandbox.notifications.outbox import notify_organisation, notify_staff
from sandbox.reviews.models import InformationRequest, RequestStatus
from sandbox.workflow.engine import perform

log = logging.getLogger("sandbox.timers")

REMINDER_DAYS = 3


class Outcome(enum.Enum):
    DONE = "done"
    SKIPPED = "skipped"  # another run (or the applicant's answer) got there first
    FAILED = "failed"


@dataclass
class TimerReport:
    reminders_sent: int = 0
    cases_lapsed: int = 0
    failures: int = 0

    def summary(self) -> str:
        return f"{self.reminders_sent} reminders sent, {self.cases_lapsed} cases lapsed, {self.failures} failed"


def run_timers(session: Session, *, today: date) -> TimerReport:
    """Send the reminders that are due and lapse the cases whose information request went unanswered."""
    report = TimerReport()
    for request_id, case_id in _open_requests(session, _due_for_reminder(today)):
        outcome = _handle_in_savepoint(session, request_id, case_id, today, remind_applicant)
        report.reminders_sent += outcome is Outcome.DONE
        report.failures += outcome is Outcome.FAILED
    for request_id, case_id in _open_requests(session, InformationRequest.due_on < today):
        outcome = _handle_in_savepoint(session, request_id, case_id, today, lapse_case)
        report.cases_lapsed += outcome is Outcome.DONE
        report.failures += outcome is Outcome.FAILED
    return report


def remind_applicant(session: Session, request: InformationRequest, case: Case, today: date) -> bool:
    """Remind the applicant once, in the last REMINDER_DAYS days before the due date."""
    if request.reminded_at is not None or not 0 <= (request.due_on - today).days <= REMINDER_DAYS:
        return False
    notify_organisation(session, case, _(
        "Reminder: please answer the request for information about %(reference)s by %(date)s.",
        reference=case.reference, date=_long_date(request.due_on)),
        subject=_("Reminder: information needed for %(reference)s", reference=case.reference))
    request.reminded_at = utcnow()
    session.flush()
    return True


def lapse_case(session: Session, request: InformationRequest, case: Case, today: date) -> bool:
    """Close the case as lapsed (the workflow's `lapse` writes the audit event) and tell the applicant and officer."""
    if request.due_on >= today:
        return False
    perform(session, case, "lapse", None, expected_version=case.version, today=today)
    request.status = RequestStatus.LAPSED.value
    due = _long_date(request.due_on)
    notify_organisation(session, case, _(
        "Your application %(reference)s has lapsed because the information the regulator asked for was not "
        "sent by %(date)s.", reference=case.reference, date=due),
        subject=_("Application %(reference)s has lapsed", reference=case.reference))
    notify_staff(session, case, [case.case_officer], _(
        "%(reference)s has lapsed: the applicant did not answer the request for information due %(date)s.",
        reference=case.reference, date=due),
        subject=_("%(reference)s has lapsed", reference=case.reference))
    session.flush()
    return True


def _due_for_reminder(today: date) -> ColumnElement[bool]:
    return and_(InformationRequest.reminded_at.is_(None), InformationRequest.due_on >= today,
                InformationRequest.due_on <= today + timedelta(days=REMINDER_DAYS))


def _open_requests(session: Session, condition: ColumnElement[bool]) -> list[tuple[int, int]]:
    rows = session.execute(select(InformationRequest.id, InformationRequest.case_id).where(
        InformationRequest.status == RequestStatus.OPEN.value, condition).order_by(InformationRequest.id))
    return [(request_id, case_id) for request_id, case_id in rows]


Handler = Callable[[Session, InformationRequest, Case, date], bool]


def _handle_in_savepoint(session: Session, request_id: int, case_id: int, today: date, handler: Handler) -> Outcome:
    try:
        with session.begin_nested():
            # The case before the request: the order an applicant's answer locks them in, so the two never deadlock.
            case = session.get_one(Case, case_id, with_for_update=True, populate_existing=True)
            request = session.scalars(
                select(InformationRequest)
                .where(InformationRequest.id == request_id, InformationRequest.status == RequestStatus.OPEN.value)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).one_or_none()
            if request is None:
                return Outcome.SKIPPED
            return Outcome.DONE if handler(session, request, case, today) else Outcome.SKIPPED
    except DomainError as error:
        log.warning("timers: %s on request %s not done: %s", handler.__name__, request_id, error.message)
    except Exception:  # one broken case must not stop the day's timers for every other case
        log.exception("timers: %s on request %s failed", handler.__name__, request_id)
    return Outcome.FAILED


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"
