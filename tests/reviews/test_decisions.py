"""Deciding a case: four-eyes, the Decision row and its audit events, validation, stale pages, open requests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from sandbox.cases.models import Case
from sandbox.core.audit import AuditEvent
from sandbox.core.db import utcnow
from sandbox.core.errors import DomainError, Forbidden
from sandbox.core.permissions import Role
from sandbox.decisions.models import Decision
from sandbox.decisions.operations import decide
from sandbox.extensions import db
from sandbox.notifications.models import OutboxEmail
from sandbox.reviews import assessment
from sandbox.reviews.assignments import assign
from sandbox.reviews.information_requests import send_information_request
from sandbox.reviews.models import AssignmentRole, CaseAssignment, Recommendation
from sandbox.workflow.engine import GuardFailed, regulator_today
from sandbox.workflow.rules import has_assessed
from tests.factories import assign_decider, pick_up, signed_in
from tests.reviews.conftest import Staff, post_case_form, submit_application


def count(model: type, *where: object) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def events(case: Case) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)
                                   .order_by(AuditEvent.seq)))


def decision_recipients() -> set[str]:
    return set(db.session.scalars(select(OutboxEmail.to_address).where(OutboxEmail.subject.startswith("Decision on"))))



def date_parts(name: str, day) -> dict[str, str]:
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


def test_admit_through_the_web_records_the_decision_with_the_recommended_conditions(
        app: Flask, staff: Staff, case_pending_decision: Case):
    case = case_pending_decision
    decider = signed_in(app, staff.decider)
    page = decider.get(f"/cases/{case.id}/decision").get_data(as_text=True)
    assert "Report monthly on complaints" in page  # the conditions start as the officer proposed them
    start = regulator_today() + timedelta(days=40)
    end = start + timedelta(days=180)
    response = post_case_form(decider, f"/cases/{case.id}/decision", {
        "outcome": "admit", "reasons": "", "conditions": "Report monthly on complaints\nNo customers under 21",
        **date_parts("start_on", start), **date_parts("end_on", end), "max_customers": "1,000",
        "customer_types": "Retail", "max_exposure": "500000"}, form_page=f"/cases/{case.id}/decision")
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    decision = db.session.scalars(select(Decision)).one()
    recommendation = db.session.scalars(select(Recommendation)).one()
    assert decision.outcome == "admitted" and decision.decision_maker_id == staff.decider.id
    assert decision.conditions == ["Report monthly on complaints", "No customers under 21"]
    assert decision.test_parameters == {"start_on": start.isoformat(), "end_on": end.isoformat(),
                                        "max_customers": 1000, "customer_types": "Retail", "max_exposure": 500000}
    assert decision.recommendation_id == recommendation.id and decision.submitted_at == case.submitted_at
    assert db.session.get(Case, case.id).state == "admitted"
    assert events(case)[-2:] == ["case.admit", "case.decision_recorded"]
    recipients = decision_recipients()
    assert {staff.applicant.email, staff.colleague.email, staff.officer.email} <= recipients
    shown = decider.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Admitted with conditions" in shown and "No customers under 21" in shown


def test_decide_without_conditions_takes_the_latest_recommendations(staff: Staff, case_pending_decision: Case):
    decision = decide(db.session, case_pending_decision, staff.decider, "admit", "",
                      expected_version=case_pending_decision.version)
    assert decision.conditions == ["Report monthly on complaints", "Keep a human in the loop for declines"]
    assert decision.test_parameters["max_customers"] == 500


def test_reject_without_reasons_is_shown_again_with_what_was_typed_and_nothing_is_saved(
        app: Flask, staff: Staff, case_pending_decision: Case):
    case = case_pending_decision
    decider = signed_in(app, staff.decider)
    response = post_case_form(decider, f"/cases/{case.id}/decision",
                              {"outcome": "reject", "reasons": "   ", "conditions": "Typed condition <kept>"},
                              form_page=f"/cases/{case.id}/decision")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Give the reasons for rejecting the application" in page and 'href="#reasons"' in page
    assert "Typed condition &lt;kept&gt;" in page
    assert count(Decision) == 0 and db.session.get(Case, case.id).state == "decision_pending"


def test_admission_needs_conditions_and_sensible_test_parameters(app: Flask, staff: Staff,
                                                                 case_pending_decision: Case):
    case = case_pending_decision
    decider = signed_in(app, staff.decider)
    today = regulator_today()
    response = post_case_form(decider, f"/cases/{case.id}/decision", {
        "outcome": "admit", "conditions": "", **date_parts("start_on", today), **date_parts("end_on", today),
        "max_customers": "0", "max_exposure": "-5"}, form_page=f"/cases/{case.id}/decision")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("Add at least one condition", "The start date must be in the future",
                    "The end date must be after the start date", "The most customers must be 1 or more",
                    "The exposure limit must be more than 0"):
        assert message in page
    assert 'href="#start_on-day"' in page
    assert count(Decision) == 0


def test_send_back_returns_the_case_to_assessment_and_tells_only_the_officer(app: Flask, staff: Staff,
                                                                            case_pending_decision: Case):
    case = case_pending_decision
    decider = signed_in(app, staff.decider)
    response = post_case_form(decider, f"/cases/{case.id}/decision",
                              {"outcome": "send_back", "reasons": "Score the readiness criterion first."},
                              form_page=f"/cases/{case.id}/decision")
    assert response.status_code == 303
    case = db.session.get(Case, case.id)
    assert case.state == "assessment"
    assert db.session.scalars(select(Decision.outcome)).one() == "sent_back"
    assert decision_recipients() == {staff.officer.email}
    # The officer can recommend again; the new recommendation is the one the next decision starts from.
    assessment.recommend(db.session, case, staff.officer, "waitlist", "Eligible; no capacity.", [], {},
                         expected_version=case.version)
    db.session.commit()
    assert decide(db.session, case, staff.decider, "waitlist", "", expected_version=case.version).recommendation_id \
        == db.session.scalars(select(Recommendation.id).order_by(Recommendation.id.desc())).first()


def test_officer_who_assessed_cannot_decide_even_when_later_made_a_decision_maker(app: Flask, staff: Staff,
                                                                                  case_pending_decision: Case):
    case = case_pending_decision
    officer = staff.officer
    officer.role = Role.DECISION_MAKER.value  # promoted after assessing this case
    db.session.commit()
    with pytest.raises(DomainError, match="worked on the assessment"):
        assign(db.session, case, officer, AssignmentRole.DECISION_MAKER, staff.lead, expected_version=case.version)
    db.session.rollback()
    # Even if the assignment were forced past that check, the decision is refused.
    current = db.session.scalars(select(CaseAssignment).where(CaseAssignment.case_id == case.id,
                                                              CaseAssignment.role == "decision_maker")).one()
    current.ended_at, current.end_reason = utcnow(), "reassigned"
    db.session.add(CaseAssignment(case_id=case.id, user_id=officer.id, role="decision_maker",
                                  assigned_by_id=staff.lead.id, declared_at=utcnow()))
    case.decision_maker_id = officer.id
    db.session.commit()
    with pytest.raises(Forbidden, match="another decision maker"):
        decide(db.session, case, officer, "admit", "", expected_version=case.version)
    db.session.rollback()
    client = signed_in(app, officer)
    assert client.get(f"/cases/{case.id}/decision").status_code == 403
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "another decision maker must decide it" in page and "Record the decision" not in page
    response = post_case_form(client, f"/cases/{case.id}/decision", {"outcome": "waitlist"},
                              form_page=f"/cases/{case.id}")
    assert response.status_code == 403
    assert count(Decision) == 0 and db.session.get(Case, case.id).state == "decision_pending"


def test_someone_who_only_scored_eligibility_cannot_decide(staff: Staff, case_pending_decision: Case):
    """Four-eyes counts eligibility scoring as assessing, not only the workflow moves."""
    case = submit_application(staff.firm, staff.applicant)
    pick_up(case, staff.officer2)
    assessment.score_eligibility(db.session, case, staff.officer2, {"scope": ("met", "In scope.")},
                                 expected_version=case.version)
    db.session.commit()
    assert has_assessed(db.session, case.id, staff.officer2.id)
    assert not has_assessed(db.session, case.id, staff.decider.id)


def test_someone_who_only_scored_eligibility_cannot_be_assigned_to_decide(staff: Staff):
    """The same four-eyes rule holds at assignment: scoring counts there as well as at the decision."""
    case = submit_application(staff.firm, staff.applicant)
    pick_up(case, staff.officer2)
    assessment.score_eligibility(db.session, case, staff.officer2, {"scope": ("met", "In scope.")},
                                 expected_version=case.version)
    staff.officer2.role = "decision_maker"  # promoted since
    db.session.commit()
    with pytest.raises(DomainError, match="worked on the assessment"):
        assign(db.session, case, staff.officer2, AssignmentRole.DECISION_MAKER, staff.lead,
               expected_version=case.version)


def test_decision_blocked_while_an_information_request_is_open(app: Flask, staff: Staff, submitted_case: Case):
    case = submitted_case
    pick_up(case, staff.officer)
    assign_decider(case, staff.decider, staff.lead)
    send_information_request(db.session, case, staff.officer, ["Is the model retrained?"],
                             regulator_today() + timedelta(days=10), expected_version=case.version)
    db.session.commit()
    with pytest.raises(DomainError, match="information request is still open"):
        decide(db.session, case, staff.decider, "reject_out_of_scope", "Out of scope.", expected_version=case.version)
    db.session.rollback()
    decider = signed_in(app, staff.decider)
    assert "Record the decision" not in decider.get(f"/cases/{case.id}").get_data(as_text=True)
    response = post_case_form(decider, f"/cases/{case.id}/decision",
                              {"outcome": "reject_out_of_scope", "reasons": "Out of scope."},
                              form_page=f"/cases/{case.id}")
    assert response.status_code == 422 and "information request is still open" in response.get_data(as_text=True)
    assert count(Decision) == 0 and db.session.get(Case, case.id).state == "information_requested"


def test_reject_out_of_scope_from_triage(app: Flask, staff: Staff, submitted_case: Case):
    case = submitted_case
    pick_up(case, staff.officer)
    assign_decider(case, staff.decider, staff.lead)
    decider = signed_in(app, staff.decider)
    page = decider.get(f"/cases/{case.id}/decision").get_data(as_text=True)
    assert "Reject as out of scope" in page and 'value="admit"' not in page
    response = post_case_form(decider, f"/cases/{case.id}/decision",
                              {"outcome": "reject_out_of_scope", "reasons": "Not a regulated activity."},
                              form_page=f"/cases/{case.id}/decision")
    assert response.status_code == 303
    decision = db.session.scalars(select(Decision)).one()
    assert (decision.outcome, decision.recommendation_id, decision.reasons) == (
        "rejected_out_of_scope", None, "Not a regulated activity.")
    assert db.session.get(Case, case.id).state == "rejected"


def test_decision_posted_from_a_stale_page_is_refused_with_409_and_nothing_is_written(
        app: Flask, staff: Staff, case_pending_decision: Case):
    case = case_pending_decision
    decider = signed_in(app, staff.decider)
    page = decider.get(f"/cases/{case.id}/decision").get_data(as_text=True)
    import re

    seen_version = re.search(r'name="version" value="(\d+)"', page).group(1)
    assign(db.session, case, staff.officer2, AssignmentRole.CASE_OFFICER, staff.lead, expected_version=case.version)
    db.session.commit()  # the lead reassigned the officer meanwhile: the case's version moved on
    before = events(case)
    response = post_case_form(decider, f"/cases/{case.id}/decision",
                              {"outcome": "reject", "reasons": "My typed reasons", "version": seen_version},
                              form_page=f"/cases/{case.id}/decision")
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone changed this case" in text and "My typed reasons" in text
    assert f'name="version" value="{db.session.get(Case, case.id).version}"' in text  # ready to send again
    assert count(Decision) == 0 and events(case) == before
    assert db.session.get(Case, case.id).state == "decision_pending"


def test_retried_decision_with_the_same_key_records_it_once(staff: Staff, case_pending_decision: Case):
    case = case_pending_decision
    version = case.version
    first = decide(db.session, case, staff.decider, "waitlist", "", expected_version=version, idempotency_key="k-1")
    db.session.commit()
    again = decide(db.session, case, staff.decider, "waitlist", "", expected_version=version, idempotency_key="k-1")
    assert again.id == first.id and count(Decision) == 1


def test_decision_maker_not_assigned_cannot_decide(staff: Staff, case_pending_decision: Case):
    with pytest.raises(GuardFailed, match="Only the decision maker assigned"):
        decide(db.session, case_pending_decision, staff.decider2, "waitlist", "",
               expected_version=case_pending_decision.version)
