from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from sandbox.applications.models import Notification
from sandbox.core.permissions import Role
from sandbox.extensions import db
from sandbox.notifications.models import DeliveryState, OutboxEmail
from sandbox.notifications.outbox import notify_organisation, notify_staff
from tests.factories import make_user
from tests.notifications.conftest import TODAY, People, make_case_waiting_for_answer


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_notify_organisation_active_people_get_one_notification_and_an_email_each(people: People):
    make_user(Role.APPLICANT, people.firm, is_active=False)
    case, _request = make_case_waiting_for_answer(people, TODAY + timedelta(days=5))
    notify_organisation(db.session, case, "Your application moved on.", subject="An update on your application")
    emails = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
    assert [e.to_address for e in emails] == [people.applicant.email, people.colleague.email]
    assert {e.state for e in emails} == {DeliveryState.QUEUED.value}
    assert count(Notification) == 1
    body = emails[0].body
    assert "Your application moved on." in body and case.reference in body
    assert f"Dear {people.applicant.full_name}" in body and "Sandbox Regulatory Authority" in body
    assert "http" not in body


def test_notify_organisation_rolled_back_with_the_caller_leaves_no_email(people: People):
    case, _request = make_case_waiting_for_answer(people, TODAY + timedelta(days=5))
    db.session.commit()
    notify_organisation(db.session, case, "Something happened.", subject="Update")
    assert count(OutboxEmail) == 2
    db.session.rollback()
    assert count(OutboxEmail) == 0 and count(Notification) == 0


def test_notify_staff_absent_inactive_and_repeated_people_are_skipped(people: People):
    case, _request = make_case_waiting_for_answer(people, TODAY + timedelta(days=5))
    retired = make_user(Role.CASE_OFFICER, people.officer.organisation, is_active=False)
    notify_staff(db.session, case, [None, people.officer, retired, people.officer], "Look at this.", subject="Case")
    assert [e.to_address for e in db.session.scalars(select(OutboxEmail))] == [people.officer.email]
    assert db.session.scalars(select(Notification.user_id)).all() == [people.officer.id]
