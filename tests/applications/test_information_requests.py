from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from sandbox.accounts.models import OrganisationKind
from sandbox.applications.models import ApplicationRevision
from sandbox.applications.revisions import revision_changes
from sandbox.applications.sections import SECTIONS
from sandbox.cases.models import Case
from sandbox.core.errors import DomainError
from sandbox.core.permissions import Role
from sandbox.extensions import db
from sandbox.reviews.information_requests import send_information_request
from sandbox.workflow.engine import case_clock, regulator_today
from tests.applications.filling import section_answers
from tests.applications.test_portal import fill_everything, save, start, submit
from tests.conftest import post_form
from tests.factories import make_organisation, make_user, pick_up, sign_in


@pytest.fixture
def people():
    regulator = make_organisation(OrganisationKind.REGULATOR)
    firm = make_organisation(OrganisationKind.APPLICANT)
    return {"applicant": make_user(Role.APPLICANT, firm), "officer": make_user(Role.CASE_OFFICER, regulator)}


def submitted_and_questioned(client: FlaskClient, people, questions=("What is the kill switch?", "Who monitors it?")):
    sign_in(client, people["applicant"])
    case_id = start(client)
    fill_everything(client, case_id)
    assert submit(client, case_id).status_code == 303
    case = db.session.get(Case, case_id)
    pick_up(case, people["officer"])
    request = send_information_request(db.session, case, people["officer"], list(questions),
                                       regulator_today() + timedelta(days=14), expected_version=case.version)
    db.session.commit()
    return case_id, request


def test_information_request_is_shown_to_the_applicant_with_due_date(client: FlaskClient, people):
    case_id, _request = submitted_and_questioned(client, people)
    status = client.get(f"/applications/{case_id}").get_data(as_text=True)
    assert "We need more information from you by" in status
    page = client.get(f"/applications/{case_id}/information-request").get_data(as_text=True)
    assert "What is the kill switch?" in page and "Who monitors it?" in page
    assert case_clock(db.session.get(Case, case_id)).is_paused


def test_answer_with_amendment_creates_revision_2_and_the_difference_is_field_by_field(client: FlaskClient, people):
    case_id, request = submitted_and_questioned(client, people)
    section = SECTIONS[2]
    amended = section_answers(section)
    field = next(s for s in section.fields if s.kind.value == "text")
    amended[field.name] = "CreditLens 3"
    assert save(client, case_id, section, amended).status_code == 303
    page = client.get(f"/applications/{case_id}/information-request").get_data(as_text=True)
    version = re.search(r'name="case_version" value="(\d+)"', page).group(1)
    answers = {f"answer-{q.id}": f"Answer {q.position}" for q in request.questions}
    response = post_form(client, f"/applications/{case_id}/information-request", {**answers, "case_version": version})
    assert response.status_code == 303
    case = db.session.get(Case, case_id)
    assert case.state == "triage" and not case_clock(case).is_paused
    first, second = db.session.scalars(select(ApplicationRevision).where(ApplicationRevision.case_id == case_id)
                                       .order_by(ApplicationRevision.number)).all()
    assert (first.number, second.number) == (1, 2)
    changes = revision_changes(first, second)
    assert [(c.section_title, c.field_label, c.after) for c in changes] == [
        (section.title, field.label, "CreditLens 3")]
    assert [q.answer for q in db.session.get(type(request), request.id).questions] == ["Answer 1", "Answer 2"]
    status = client.get(f"/applications/{case_id}").get_data(as_text=True)
    assert "Questions you have answered" in status and "What is the kill switch?" in status and "Answer 2" in status


def test_answer_missing_a_question_is_refused_and_changes_nothing(client: FlaskClient, people):
    case_id, request = submitted_and_questioned(client, people)
    page = client.get(f"/applications/{case_id}/information-request").get_data(as_text=True)
    version = re.search(r'name="case_version" value="(\d+)"', page).group(1)
    first = request.questions[0]
    response = post_form(client, f"/applications/{case_id}/information-request",
                         {f"answer-{first.id}": "Only one", "case_version": version})
    assert response.status_code == 422 and "question 2 not answered" in response.get_data(as_text=True)
    assert db.session.get(Case, case_id).state == "information_requested"
    assert db.session.scalars(select(ApplicationRevision)).all()[-1].number == 1


def test_sections_are_locked_after_submission_but_open_while_answering(client: FlaskClient, people):
    sign_in(client, people["applicant"])
    case_id = start(client)
    fill_everything(client, case_id)
    submit(client, case_id)
    assert client.get(f"/applications/{case_id}/sections/{SECTIONS[0].key}").status_code == 422


def test_send_information_request_needs_questions_and_a_future_date(app: Flask, people):
    case = Case(id=None)  # never reaches the workflow: the checks come first
    with pytest.raises(DomainError, match="at least one question"):
        send_information_request(db.session, case, people["officer"], ["  "], regulator_today(), expected_version=1)
    with pytest.raises(DomainError, match="in the future"):
        send_information_request(db.session, case, people["officer"], ["Why?"], regulator_today(), expected_version=1)


def test_staff_see_what_changed_between_revisions_and_the_answers(app: Flask, client: FlaskClient, people):
    case_id, request = submitted_and_questioned(client, people)
    section = SECTIONS[2]
    amended = section_answers(section)
    field = next(s for s in section.fields if s.kind.value == "text")
    amended[field.name] = "CreditLens <3>"
    save(client, case_id, section, amended)
    page = client.get(f"/applications/{case_id}/information-request").get_data(as_text=True)
    version = re.search(r'name="case_version" value="(\d+)"', page).group(1)
    post_form(client, f"/applications/{case_id}/information-request",
              {**{f"answer-{q.id}": f"Answer {q.position}" for q in request.questions}, "case_version": version})
    officer = app.test_client()
    sign_in(officer, people["officer"])
    body = officer.get(f"/cases/{case_id}/revisions").get_data(as_text=True)
    assert "Revision 2" in body and "What changed since revision 1" in body
    assert field.label in body and "CreditLens &lt;3&gt;" in body
    assert "What is the kill switch?" in body and "Answer 1" in body
    assert client.get(f"/cases/{case_id}/revisions").status_code == 403  # applicants never see staff pages


def test_staff_revisions_page_hides_drafts_and_conflicted_cases(app: Flask, client: FlaskClient, people):
    from sandbox.accounts.conflicts import declare_conflict

    sign_in(client, people["applicant"])
    draft_id = start(client)
    officer = app.test_client()
    sign_in(officer, people["officer"])
    assert officer.get(f"/cases/{draft_id}/revisions").status_code == 404
    fill_everything(client, draft_id)
    submit(client, draft_id)
    assert officer.get(f"/cases/{draft_id}/revisions").status_code == 200
    declare_conflict(db.session, people["officer"], people["applicant"].organisation_id, "Former employer")
    db.session.commit()
    assert officer.get(f"/cases/{draft_id}/revisions").status_code == 404


def test_retried_information_request_with_the_same_key_sends_nothing_twice(app: Flask, people):
    from sandbox.applications.models import Notification
    from sandbox.reviews.models import InformationRequest

    client = app.test_client()
    sign_in(client, people["applicant"])
    case_id = start(client)
    fill_everything(client, case_id)
    assert submit(client, case_id).status_code == 303
    case = db.session.get(Case, case_id)
    pick_up(case, people["officer"])
    due = regulator_today() + timedelta(days=14)
    seen = case.version
    first = send_information_request(db.session, case, people["officer"], ["Why?"], due, expected_version=seen,
                                     idempotency_key="send-1")
    db.session.commit()
    again = send_information_request(db.session, case, people["officer"], ["Why?"], due, expected_version=seen,
                                     idempotency_key="send-1")
    db.session.commit()
    assert again.id == first.id
    assert db.session.query(InformationRequest).count() == 1
    assert db.session.query(Notification).filter(Notification.message.like("%more information%")).count() == 1
