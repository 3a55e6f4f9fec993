"""Assignment: leads assign and reassign, officers pick up, declarations gate the work, conflicts recuse."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sandbox.accounts.conflicts import declare_conflict
from sandbox.accounts.models import OrganisationKind
from sandbox.applications.models import Notification
from sandbox.cases.models import Case
from sandbox.core.audit import AuditEvent
from sandbox.core.errors import DomainError, Forbidden
from sandbox.core.permissions import Role
from sandbox.extensions import db
from sandbox.notifications.models import OutboxEmail
from sandbox.reviews.access import case_for_staff
from sandbox.reviews.assignments import (
    assign,
    current_assignment,
    declare_conflict_on_case,
    declare_no_conflict,
    workload,
)
from sandbox.reviews.models import AssignmentRole, CaseAssignment, Recusal
from sandbox.workflow.engine import GuardFailed, StaleCase, open_case, perform, regulator_today
from tests.factories import make_organisation, make_user

OFFICER, DECIDER = AssignmentRole.CASE_OFFICER, AssignmentRole.DECISION_MAKER


@pytest.fixture
def team():
    regulator = make_organisation(OrganisationKind.REGULATOR)
    firm = make_organisation(name="Aurora Lending Ltd")
    applicant = make_user(Role.APPLICANT, firm)
    case = open_case(db.session, firm, applicant)
    perform(db.session, case, "submit", applicant, expected_version=case.version)
    people = {"lead": make_user(Role.LEAD, regulator), "officer": make_user(Role.CASE_OFFICER, regulator),
              "officer2": make_user(Role.CASE_OFFICER, regulator), "decider": make_user(Role.DECISION_MAKER, regulator)}
    db.session.commit()
    return {"case": case, "firm": firm, **people}


def test_lead_assigns_officer_which_starts_triage_and_asks_for_a_declaration(team):
    case = team["case"]
    assignment = assign(db.session, case, team["officer"], OFFICER, team["lead"], expected_version=case.version)
    db.session.commit()
    assert case.state == "triage" and case.case_officer_id == team["officer"].id
    assert assignment.declared_at is None
    note = db.session.scalars(select(Notification).where(Notification.user_id == team["officer"].id)).one()
    assert "declare that you have no conflict" in note.message
    assert db.session.scalars(select(OutboxEmail.to_address)).all() == [team["officer"].email]
    with pytest.raises(GuardFailed, match="no conflict of interest"):
        perform(db.session, case, "start_assessment", team["officer"], expected_version=case.version)
    db.session.rollback()
    declare_no_conflict(db.session, case, team["officer"])
    perform(db.session, case, "start_assessment", team["officer"], expected_version=case.version)
    db.session.commit()
    assert case.state == "assessment"


def test_officer_may_pick_up_an_unassigned_case_only_with_the_declaration(team):
    case = team["case"]
    with pytest.raises(DomainError, match="no conflict of interest"):
        assign(db.session, case, team["officer"], OFFICER, team["officer"], expected_version=case.version)
    db.session.rollback()
    assign(db.session, case, team["officer"], OFFICER, team["officer"], expected_version=case.version,
           declares_no_conflict=True)
    db.session.commit()
    with pytest.raises(Forbidden, match="Only a team lead"):
        assign(db.session, case, team["officer2"], OFFICER, team["officer2"], expected_version=case.version,
               declares_no_conflict=True)


def test_reassigning_ends_the_earlier_assignment_and_only_the_new_officer_may_act(team):
    case = team["case"]
    assign(db.session, case, team["officer"], OFFICER, team["lead"], expected_version=case.version)
    assign(db.session, case, team["officer2"], OFFICER, team["lead"], expected_version=case.version)
    declare_no_conflict(db.session, case, team["officer2"])
    db.session.commit()
    rows = db.session.scalars(select(CaseAssignment).order_by(CaseAssignment.id)).all()
    assert [(r.user_id, r.end_reason) for r in rows] == [(team["officer"].id, "reassigned"),
                                                         (team["officer2"].id, None)]
    with pytest.raises(GuardFailed, match="Only the case officer assigned"):
        perform(db.session, case, "start_assessment", team["officer"], expected_version=case.version)
    db.session.rollback()
    events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "case.assigned")).all()
    assert len(events) == 2


def test_conflicted_officer_cannot_be_assigned(team):
    case = team["case"]
    declare_conflict(db.session, team["officer"], team["firm"].id, "Former employee")
    db.session.commit()
    with pytest.raises(DomainError, match="declared a conflict of interest"):
        assign(db.session, case, team["officer"], OFFICER, team["lead"], expected_version=case.version)
    db.session.rollback()
    assert case.case_officer_id is None and db.session.scalar(select(CaseAssignment.id)) is None


def test_decision_maker_who_assessed_cannot_be_assigned_to_decide(team):
    case = team["case"]
    assign(db.session, case, team["officer"], OFFICER, team["officer"], expected_version=case.version,
           declares_no_conflict=True)
    db.session.commit()
    team["officer"].role = Role.DECISION_MAKER.value  # promoted since
    db.session.commit()
    with pytest.raises(DomainError, match="worked on the assessment"):
        assign(db.session, case, team["officer"], DECIDER, team["lead"], expected_version=case.version)


def test_officer_and_decision_maker_must_be_different_people(team):
    case = team["case"]
    assign(db.session, case, team["decider"], DECIDER, team["lead"], expected_version=case.version)
    db.session.commit()
    with pytest.raises(DomainError, match="is not an active case officer"):
        assign(db.session, case, team["decider"], OFFICER, team["lead"], expected_version=case.version)


def test_stale_assignment_is_refused(team):
    case = team["case"]
    seen = case.version
    assign(db.session, case, team["officer"], OFFICER, team["lead"], expected_version=seen)
    db.session.commit()
    with pytest.raises(StaleCase):
        assign(db.session, case, team["officer2"], OFFICER, team["lead"], expected_version=seen)
    db.session.rollback()
    assert case.case_officer_id == team["officer"].id


def test_declaring_a_conflict_recuses_hides_the_case_and_tells_the_leads(team):
    case = team["case"]
    assign(db.session, case, team["officer"], OFFICER, team["lead"], expected_version=case.version)
    db.session.commit()
    declare_conflict_on_case(db.session, case, team["officer"], "My sister is the applicant's CTO.")
    db.session.commit()
    assert case.case_officer_id is None
    assert current_assignment(db.session, case, OFFICER) is None
    recusal = db.session.scalars(select(Recusal)).one()
    assert (recusal.user_id, recusal.case_id) == (team["officer"].id, case.id)
    with pytest.raises(DomainError):
        case_for_staff(db.session, team["officer"], case.id)
    lead_note = db.session.scalars(select(Notification).where(Notification.user_id == team["lead"].id)).one()
    assert "stood aside" in lead_note.message
    with pytest.raises(DomainError, match="declared a conflict"):
        assign(db.session, case, team["officer"], OFFICER, team["lead"], expected_version=case.version)


def test_closed_cases_and_drafts_cannot_be_assigned(team):
    draft = open_case(db.session, team["firm"], team["firm"].users[0] if team["firm"].users else team["lead"])
    db.session.flush()
    with pytest.raises(DomainError, match="Only open cases"):
        assign(db.session, draft, team["officer"], OFFICER, team["lead"], expected_version=draft.version)


def test_workload_counts_open_and_overdue_cases_per_officer(team):
    case = team["case"]
    assign(db.session, case, team["officer"], OFFICER, team["lead"], expected_version=case.version)
    db.session.commit()
    today = regulator_today()
    loads = {w.user.id: (w.open_cases, w.overdue_cases) for w in workload(db.session, Role.CASE_OFFICER, today)}
    assert loads == {team["officer"].id: (1, 0), team["officer2"].id: (0, 0)}
    late = db.session.get(Case, case.id)
    late.deadline_on = late.clock_sort_on = today.replace(year=today.year - 1)
    db.session.commit()
    loads = {w.user.id: (w.open_cases, w.overdue_cases) for w in workload(db.session, Role.CASE_OFFICER, today)}
    assert loads[team["officer"].id] == (1, 1)
