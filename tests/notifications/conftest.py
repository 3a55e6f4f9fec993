"""Cases waiting on an information request, put in place through the ORM (not by driving the whole workflow)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from sandbox.accounts.models import Organisation, OrganisationKind, User
from sandbox.cases.models import Case, ClockPause
from sandbox.core.db import utcnow
from sandbox.core.permissions import Role
from sandbox.extensions import db
from sandbox.notifications.models import OutboxEmail
from sandbox.reviews.models import InformationQuestion, InformationRequest
from sandbox.workflow.engine import open_case
from tests.factories import make_organisation, make_user

TODAY = date(2026, 3, 10)
_numbers = itertools.count(1)


@dataclass
class People:
    firm: Organisation
    applicant: User
    colleague: User
    officer: User


@pytest.fixture
def people() -> People:
    regulator = make_organisation(OrganisationKind.REGULATOR)
    firm = make_organisation()
    return People(firm=firm, applicant=make_user(Role.APPLICANT, firm), colleague=make_user(Role.APPLICANT, firm),
                  officer=make_user(Role.CASE_OFFICER, regulator))


def make_case_waiting_for_answer(people: People, due_on: date, *, state: str = "information_requested",
                                 officer: User | None = None) -> tuple[Case, InformationRequest]:
    """A submitted case with an open information request due on `due_on`, its clock paused since it was sent."""
    case = open_case(db.session, people.firm, people.applicant)
    case.state, case.return_state = state, "triage"
    case.reference, case.submitted_at = f"SBX-2026-{next(_numbers):04d}", utcnow()
    case.clock_started_on = due_on - timedelta(days=40)
    case.case_officer_id = officer.id if officer else None
    db.session.add(ClockPause(case=case, started_on=due_on - timedelta(days=14), reason="request_information"))
    request = InformationRequest(case_id=case.id, sent_by_id=people.officer.id, due_on=due_on,
                                 questions=[InformationQuestion(position=1, text="What is the kill switch?")])
    db.session.add(request)
    db.session.flush()
    return case, request


def make_outbox_email(**overrides: object) -> OutboxEmail:
    values: dict[str, object] = {"to_address": f"person{next(_numbers)}@firm.example", "subject": "About your case",
                                 "body": "Hello"}
    values.update(overrides)
    email = OutboxEmail(**values)
    db.session.add(email)
    db.session.flush()
    return email
