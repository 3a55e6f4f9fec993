from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from sandbox.applications.models import Notification
from sandbox.cases.models import Case, ClockPause
from sandbox.core.audit import AuditEvent
from sandbox.extensions import db
from sandbox.notifications.models import OutboxEmail
from sandbox.reviews.models import InformationRequest, RequestStatus
from sandbox.reviews.timers import REMINDER_DAYS, run_timers
from tests.notifications.conftest import TODAY, People, make_case_waiting_for_answer


def emails_to(address: str) -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.to_address == address)
                                   .order_by(OutboxEmail.id)))


def test_run_timers_request_due_within_three_days_reminds_the_applicant_once(people: People):
    case, request = make_case_waiting_for_answer(people, TODAY + timedelta(days=REMINDER_DAYS))
    db.session.commit()
    report = run_timers(db.session, today=TODAY)
    db.session.commit()
    assert (report.reminders_sent, report.cases_lapsed, report.failures) == (1, 0, 0)
    reminder = emails_to(people.applicant.email)
    assert len(reminder) == 1 and len(emails_to(people.colleague.email)) == 1
    assert reminder[0].subject == f"Reminder: information needed for {case.reference}"
    assert f"about {case.reference} by 13 March 2026" in reminder[0].body
    assert db.session.get_one(InformationRequest, request.id).reminded_at is not None

    again = run_timers(db.session, today=TODAY + timedelta(days=1))
    db.session.commit()
    assert again.reminders_sent == 0 and len(emails_to(people.applicant.email)) == 1


def test_run_timers_requests_not_yet_near_or_already_answered_get_no_reminder(people: People):
    make_case_waiting_for_answer(people, TODAY + timedelta(days=REMINDER_DAYS + 1))
    _case, answered = make_case_waiting_for_answer(people, TODAY + timedelta(days=1))
    answered.status = RequestStatus.ANSWERED.value
    db.session.commit()
    assert run_timers(db.session, today=TODAY).reminders_sent == 0
    assert db.session.scalars(select(OutboxEmail)).all() == []


def test_run_timers_overdue_request_lapses_the_case_and_tells_applicant_and_officer(people: People):
    case, request = make_case_waiting_for_answer(people, TODAY - timedelta(days=1), officer=people.officer)
    db.session.commit()
    report = run_timers(db.session, today=TODAY)
    db.session.commit()
    assert (report.reminders_sent, report.cases_lapsed, report.failures) == (0, 1, 0)
    db.session.expire_all()
    lapsed = db.session.get_one(Case, case.id)
    assert lapsed.state == "lapsed" and lapsed.clock_stopped_on == TODAY
    assert db.session.get_one(InformationRequest, request.id).status == RequestStatus.LAPSED.value
    assert db.session.scalars(select(ClockPause.ended_on).where(ClockPause.case_id == case.id)).one() == TODAY
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.lapse")).all()
    assert len(events) == 1 and events[0].actor_id is None and events[0].details["to"] == "lapsed"
    assert "has lapsed" in emails_to(people.applicant.email)[0].subject
    assert "did not answer" in emails_to(people.officer.email)[0].body
    assert db.session.scalars(select(Notification.user_id).where(Notification.user_id.is_not(None))).all() == [
        people.officer.id]

    again = run_timers(db.session, today=TODAY)
    db.session.commit()
    assert (again.cases_lapsed, again.failures) == (0, 0)
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.lapse")).all()) == 1


def test_run_timers_case_without_officer_lapses_and_tells_only_the_applicant(people: People):
    case, _request = make_case_waiting_for_answer(people, TODAY - timedelta(days=3))
    db.session.commit()
    assert run_timers(db.session, today=TODAY).cases_lapsed == 1
    db.session.commit()
    assert emails_to(people.officer.email) == []
    assert db.session.get_one(Case, case.id).state == "lapsed"


def test_run_timers_one_case_that_cannot_lapse_does_not_stop_the_others(people: People):
    stuck, stuck_request = make_case_waiting_for_answer(people, TODAY - timedelta(days=1), state="triage")
    fine, _request = make_case_waiting_for_answer(people, TODAY - timedelta(days=1))
    make_case_waiting_for_answer(people, TODAY + timedelta(days=2))
    db.session.commit()
    report = run_timers(db.session, today=TODAY)
    db.session.commit()
    assert (report.reminders_sent, report.cases_lapsed, report.failures) == (1, 1, 1)
    db.session.expire_all()
    assert db.session.get_one(Case, stuck.id).state == "triage"
    assert db.session.get_one(InformationRequest, stuck_request.id).status == RequestStatus.OPEN.value
    assert db.session.get_one(Case, fine.id).state == "lapsed"
    assert db.session.scalars(select(Notification.case_id).where(Notification.case_id == stuck.id)).all() == []
