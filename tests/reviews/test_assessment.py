"""Assessing a case: eligibility scores, information requests, the recommendation, notes and the message thread."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from sandbox.applications.models import Notification
from sandbox.cases.models import Case
from sandbox.core.audit import AuditEvent
from sandbox.core.errors import DomainError, Forbidden
from sandbox.extensions import db
from sandbox.notifications.models import OutboxEmail
from sandbox.reviews import assessment
from sandbox.reviews.models import CaseMessage, CaseNote, EligibilityScore, InformationRequest, Recommendation
from sandbox.workflow.engine import case_clock, regulator_today
from tests.conftest import post_form
from tests.factories import signed_in
from tests.reviews.conftest import Staff, post_case_form


def count(model: type, *where: object) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def actions(case: Case) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)
                                   .order_by(AuditEvent.seq)))



def date_parts(name: str, day) -> dict[str, str]:
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


# ---- Eligibility ----------------------------------------------------------------------------------------------------

def test_scoring_eligibility_writes_one_audit_event_per_changed_criterion(staff: Staff, case_in_assessment: Case):
    case = case_in_assessment
    assessment.score_eligibility(db.session, case, staff.officer, {"scope": ("met", "Lending is regulated."),
                                                                   "readiness": ("partly_met", "No bias tests.")},
                                 expected_version=case.version)
    db.session.commit()
    assessment.score_eligibility(db.session, case, staff.officer, {"scope": ("met", "Lending is regulated."),
                                                                   "readiness": ("met", "Bias tests sent.")},
                                 expected_version=case.version)
    db.session.commit()
    scored = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.eligibility_scored")
                                .order_by(AuditEvent.seq)).all()
    assert [(e.details["criterion"], e.details["rating"], e.details["previous_rating"]) for e in scored] == [
        ("scope", "met", None), ("readiness", "partly_met", None), ("readiness", "met", "partly_met")]
    assert {s.criterion: s.rating for s in db.session.scalars(select(EligibilityScore))} == {
        "scope": "met", "readiness": "met"}


def test_eligibility_is_scored_only_by_the_assigned_officer_during_triage_or_assessment(
        staff: Staff, case_pending_decision: Case, case_in_assessment: Case):
    case = case_in_assessment
    with pytest.raises(DomainError, match="during triage and assessment"):  # decision_pending by now
        assessment.score_eligibility(db.session, case, staff.officer, {"scope": ("met", "x")},
                                     expected_version=case.version)
    with pytest.raises(Forbidden):
        assessment.score_eligibility(db.session, case, staff.officer2, {"scope": ("met", "x")},
                                     expected_version=case.version)


def test_eligibility_form_shows_the_applicants_answers_and_keeps_input_on_errors(app: Flask, staff: Staff,
                                                                                case_in_assessment: Case):
    case = case_in_assessment
    officer = signed_in(app, staff.officer)
    page = officer.get(f"/cases/{case.id}/eligibility").get_data(as_text=True)
    assert "Need for the sandbox" in page and "An answer to Why do you need the sandbox" in page
    response = post_case_form(officer, f"/cases/{case.id}/eligibility",
                              {"rating-scope": "met", "note-scope": "", "note-readiness": "Half-typed note"},
                              form_page=f"/cases/{case.id}/eligibility")
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Explain your rating of scope" in text and 'href="#note-scope"' in text
    assert 'href="#rating-readiness"' in text and "Half-typed note" in text
    assert count(EligibilityScore) == 0
    response = post_case_form(officer, f"/cases/{case.id}/eligibility",
                              {"rating-scope": "met", "note-scope": "Consumer lending is in scope."},
                              form_page=f"/cases/{case.id}/eligibility")
    assert response.status_code == 303 and response.headers["Location"].endswith("#eligibility")
    assert "Consumer lending is in scope." in officer.get(f"/cases/{case.id}").get_data(as_text=True)


# ---- Information requests -------------------------------------------------------------------------------------------

def test_information_request_from_the_case_view_stops_the_clock_and_tells_the_applicant(app: Flask, staff: Staff,
                                                                                        case_in_assessment: Case):
    case = case_in_assessment
    officer = signed_in(app, staff.officer)
    due = regulator_today() + timedelta(days=14)
    path = f"/cases/{case.id}/information-requests/new"
    response = post_case_form(officer, path, {"question-1": "What data trains the model?", "question-2": "",
                                              "question-3": "Who reviews declines?", **date_parts("due_on", due)},
                              form_page=path)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    request = db.session.scalars(select(InformationRequest)).one()
    assert [q.text for q in request.questions] == ["What data trains the model?", "Who reviews declines?"]
    assert request.due_on == due
    case = db.session.get(Case, case.id)
    assert case.state == "information_requested" and case_clock(case).is_paused
    assert {staff.applicant.email, staff.colleague.email} <= set(db.session.scalars(select(OutboxEmail.to_address)))
    page = officer.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Who reviews declines?" in page and "Clock stopped" in page


def test_information_request_needs_a_question_and_a_future_due_date(app: Flask, staff: Staff,
                                                                   case_in_assessment: Case):
    officer = signed_in(app, staff.officer)
    path = f"/cases/{case_in_assessment.id}/information-requests/new"
    response = post_case_form(officer, path, {**date_parts("due_on", regulator_today())}, form_page=path)
    assert response.status_code == 422 and "Write at least one question" in response.get_data(as_text=True)
    response = post_case_form(officer, path, {"question-1": "Kept question?",
                                              **date_parts("due_on", regulator_today())}, form_page=path)
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "The due date must be in the future" in text and "Kept question?" in text
    assert count(InformationRequest) == 0


# ---- Recommendation -------------------------------------------------------------------------------------------------

def test_recommendation_through_the_web_moves_the_case_and_tells_the_decision_maker_and_leads(
        app: Flask, staff: Staff, case_in_assessment: Case):
    case = case_in_assessment
    officer = signed_in(app, staff.officer)
    start = regulator_today() + timedelta(days=30)
    response = post_case_form(officer, f"/cases/{case.id}/recommendation", {
        "outcome": "admit", "reasons": "Meets all five criteria.", "conditions": "- Monthly complaints report\n\n"
        "- Human review of every decline", **date_parts("start_on", start),
        **date_parts("end_on", start + timedelta(days=90)), "max_customers": "250", "customer_types": "",
        "max_exposure": ""}, form_page=f"/cases/{case.id}/recommendation")
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    recommendation = db.session.scalars(select(Recommendation)).one()
    assert (recommendation.outcome, recommendation.officer_id) == ("admit", staff.officer.id)
    assert recommendation.conditions == ["Monthly complaints report", "Human review of every decline"]
    assert recommendation.test_parameters == {"start_on": start.isoformat(),
                                              "end_on": (start + timedelta(days=90)).isoformat(), "max_customers": 250}
    assert db.session.get(Case, case.id).state == "decision_pending"
    assert actions(case)[-2:] == ["case.recommend", "case.recommendation_recorded"]
    told = set(db.session.scalars(select(OutboxEmail.to_address).where(OutboxEmail.subject.contains("Recommendation"))))
    assert told == {staff.lead.email}  # no decision maker is assigned yet


def test_recommendation_with_mistakes_is_shown_again_and_nothing_moves(app: Flask, staff: Staff,
                                                                      case_in_assessment: Case):
    case = case_in_assessment
    officer = signed_in(app, staff.officer)
    response = post_case_form(officer, f"/cases/{case.id}/recommendation", {
        "outcome": "admit", "reasons": "", "conditions": "Only one condition", "start_on-day": "31",
        "start_on-month": "2", "start_on-year": "2030", "max_customers": "many"},
        form_page=f"/cases/{case.id}/recommendation")
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter the start date as a real date" in text and "Enter the most customers as a whole number" in text
    assert "Only one condition" in text and 'value="31"' in text and 'value="many"' in text
    assert count(Recommendation) == 0 and db.session.get(Case, case.id).state == "assessment"


def test_recommendation_form_is_not_offered_to_an_officer_who_is_not_assigned(app: Flask, staff: Staff,
                                                                             case_in_assessment: Case):
    other = signed_in(app, staff.officer2)
    assert other.get(f"/cases/{case_in_assessment.id}/recommendation").status_code == 403
    response = post_case_form(other, f"/cases/{case_in_assessment.id}/recommendation",
                              {"outcome": "reject", "reasons": "No.", "version": str(case_in_assessment.version)},
                              form_page=f"/cases/{case_in_assessment.id}")
    assert response.status_code == 422 and "Only the case officer assigned" in response.get_data(as_text=True)
    assert count(Recommendation) == 0


# ---- Notes and messages ---------------------------------------------------------------------------------------------

def test_internal_notes_never_appear_on_any_applicant_page(app: Flask, staff: Staff, case_in_assessment: Case):
    case = case_in_assessment
    officer = signed_in(app, staff.officer)
    secret = "INTERNAL-ONLY: the chief executive was fined in 2019"
    response = post_case_form(officer, f"/cases/{case.id}/notes", {"body": secret}, form_page=f"/cases/{case.id}")
    assert response.status_code == 303
    assert secret in officer.get(f"/cases/{case.id}").get_data(as_text=True)
    applicant = signed_in(app, staff.applicant)
    for path in ("/applications/", f"/applications/{case.id}", f"/applications/{case.id}/documents",
                 f"/applications/{case.id}/submitted"):
        page = applicant.get(path)
        assert page.status_code == 200, path
        assert "INTERNAL-ONLY" not in page.get_data(as_text=True), path
    assert count(Notification, Notification.message.contains("INTERNAL-ONLY")) == 0
    assert count(OutboxEmail, OutboxEmail.body.contains("INTERNAL-ONLY")) == 0


def test_notes_and_messages_need_a_declared_assignee_or_a_lead(app: Flask, staff: Staff, case_in_assessment: Case):
    case = case_in_assessment
    with pytest.raises(Forbidden):
        assessment.add_note(db.session, case, staff.officer2, "Not my case")
    with pytest.raises(Forbidden):
        assessment.post_message(db.session, case, staff.decider, "Not assigned")
    assessment.add_note(db.session, case, staff.lead, "Leads may note.")
    db.session.commit()
    other = signed_in(app, staff.officer2)
    assert post_form(other, f"/cases/{case.id}/notes", {"body": "x", "version": "1"},
                     form_page=f"/cases/{case.id}").status_code == 403
    assert count(CaseNote) == 1


def test_empty_note_is_refused_beside_the_field(app: Flask, staff: Staff, case_in_assessment: Case):
    officer = signed_in(app, staff.officer)
    response = post_case_form(officer, f"/cases/{case_in_assessment.id}/notes", {"body": "   "},
                              form_page=f"/cases/{case_in_assessment.id}")
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "Write the note" in text and 'href="#note-body"' in text


def test_applicant_message_shows_on_the_staff_view_and_the_officers_reply_on_the_status_page(
        app: Flask, staff: Staff, case_in_assessment: Case):
    case = case_in_assessment
    applicant = signed_in(app, staff.applicant)
    response = post_form(applicant, f"/applications/{case.id}/messages",
                         {"body": "When will we hear back?"}, form_page=f"/applications/{case.id}")
    assert response.status_code == 303 and response.headers["Location"].endswith("#messages")
    officer_email = db.session.scalars(select(OutboxEmail).where(OutboxEmail.to_address == staff.officer.email)).one()
    assert "sent a message" in officer_email.body
    officer = signed_in(app, staff.officer)
    page = officer.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "When will we hear back?" in page and "Alice Tam" in page
    response = post_case_form(officer, f"/cases/{case.id}/messages", {"body": "Within two weeks."},
                              form_page=f"/cases/{case.id}")
    assert response.status_code == 303
    status = applicant.get(f"/applications/{case.id}").get_data(as_text=True)
    assert "Within two weeks." in status and "Case officer" in status
    assert staff.officer.full_name not in status  # staff appear by role, never by name
    assert {staff.applicant.email, staff.colleague.email} <= set(db.session.scalars(
        select(OutboxEmail.to_address).where(OutboxEmail.subject.startswith("New message about"))))
    assert [m.from_regulator for m in db.session.scalars(select(CaseMessage).order_by(CaseMessage.id))] == [False, True]


def test_applicant_message_too_long_is_shown_again_with_the_text(app: Flask, staff: Staff,
                                                                 case_in_assessment: Case):
    applicant = signed_in(app, staff.applicant)
    body = "A" * 10_001
    response = post_form(applicant, f"/applications/{case_in_assessment.id}/messages", {"body": body},
                         form_page=f"/applications/{case_in_assessment.id}")
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "10000 characters or fewer" in text and body in text
    assert count(CaseMessage) == 0


def test_applicant_of_another_organisation_cannot_post_a_message(app: Flask, staff: Staff, case_in_assessment: Case):
    from sandbox.core.permissions import Role
    from tests.factories import make_user

    outsider = signed_in(app, make_user(Role.APPLICANT))
    response = post_form(outsider, f"/applications/{case_in_assessment.id}/messages", {"body": "Hello"},
                         form_page="/applications/")
    assert response.status_code == 404 and count(CaseMessage) == 0
