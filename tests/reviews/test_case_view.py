"""The staff case view: what it shows, to whom, the declaration step, assignment, and the workflow's other moves."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask, current_app
from sqlalchemy import func, select

from sandbox.applications import documents
from sandbox.applications.models import Notification
from sandbox.cases.models import Case
from sandbox.core.permissions import Role
from sandbox.extensions import db
from sandbox.notifications.models import OutboxEmail
from sandbox.reviews.assignments import assign
from sandbox.reviews.models import AssignmentRole, CaseAssignment, Recusal
from tests.conftest import post_form
from tests.factories import pick_up, signed_in
from tests.reviews.conftest import Staff, post_case_form


def count(model: type, *where: object) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))



def test_case_view_shows_the_case_at_a_glance_and_every_section(app: Flask, staff: Staff,
                                                                case_pending_decision: Case):
    case = case_pending_decision
    page = signed_in(app, staff.officer2).get(f"/cases/{case.id}").get_data(as_text=True)
    assert case.reference in page and "Aurora Credit Ltd" in page and "Decision pending" in page
    assert "working days left" in page  # the clock runs while the decision waits
    assert "Omar Chan" in page and "Daniel Lau" in page and "Declared no conflict of interest" in page
    for heading in ("Application", "Documents", "Eligibility", "Information requests", "Recommendation and decision",
                    "Case team", "Internal notes", "Messages with the applicant", "Timeline", "Audit trail",
                    "E-mails"):
        assert f">{heading}</h2>" in page, heading
    assert "Meets every criterion." in page and "Report monthly on complaints" in page
    assert "case.recommendation_recorded" in page  # the audit trail
    assert f'href="/cases/{case.id}/revisions"' in page


def test_officer_not_assigned_reads_the_case_but_is_offered_no_action(app: Flask, staff: Staff,
                                                                     case_in_assessment: Case):
    page = signed_in(app, staff.officer2).get(f"/cases/{case_in_assessment.id}").get_data(as_text=True)
    assert "You can read this case" in page
    for offered in ("Make a recommendation", "Request information", "Add note", "Send message",
                    'value="start_assessment"'):
        assert offered not in page, offered


def test_applicants_cannot_open_the_staff_case_view(app: Flask, staff: Staff, case_in_assessment: Case):
    applicant = signed_in(app, staff.applicant)
    assert applicant.get(f"/cases/{case_in_assessment.id}").status_code == 403
    assert applicant.get(f"/cases/{case_in_assessment.id}/decision").status_code == 403


def test_pending_declaration_comes_first_and_hides_every_action(app: Flask, staff: Staff,
                                                                case_in_assessment: Case):
    case = case_in_assessment
    assessment_recommend(case, staff)
    assign(db.session, case, staff.decider, AssignmentRole.DECISION_MAKER, staff.lead, expected_version=case.version)
    db.session.commit()
    decider = signed_in(app, staff.decider)
    page = decider.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "I have no conflict of interest with Aurora Credit Ltd in this case" in page
    assert "Record the decision" not in page and "Add note" not in page
    assert decider.get(f"/cases/{case.id}/decision").status_code == 403
    refused = post_case_form(decider, f"/cases/{case.id}/declaration", {}, form_page=f"/cases/{case.id}")
    assert refused.status_code == 422 and "Confirm that you have no conflict of interest" in refused.get_data(True)
    response = post_case_form(decider, f"/cases/{case.id}/declaration", {"confirm": "yes"},
                              form_page=f"/cases/{case.id}")
    assert response.status_code == 303
    page = decider.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Record the decision" in page and "Add note" in page


def assessment_recommend(case: Case, staff: Staff) -> None:
    from tests.reviews.conftest import recommend_admission

    recommend_admission(case, staff.officer)


def test_declaring_a_conflict_recuses_and_hides_the_case(app: Flask, staff: Staff, case_in_assessment: Case):
    case = case_in_assessment
    assign(db.session, case, staff.decider, AssignmentRole.DECISION_MAKER, staff.lead, expected_version=case.version)
    db.session.commit()
    decider = signed_in(app, staff.decider)
    empty = post_case_form(decider, f"/cases/{case.id}/conflict", {"reason": " "}, form_page=f"/cases/{case.id}")
    assert empty.status_code == 422 and "Say what the conflict of interest is" in empty.get_data(as_text=True)
    response = post_case_form(decider, f"/cases/{case.id}/conflict", {"reason": "My brother works there."},
                              form_page=f"/cases/{case.id}")
    assert response.status_code == 303 and response.headers["Location"] == "/queue/"
    assignment = db.session.scalars(select(CaseAssignment).where(CaseAssignment.user_id == staff.decider.id)).one()
    assert assignment.end_reason == "recused"
    recusal = db.session.scalars(select(Recusal)).one()
    assert (recusal.user_id, recusal.reason) == (staff.decider.id, "My brother works there.")
    assert db.session.get(Case, case.id).decision_maker_id is None
    assert decider.get(f"/cases/{case.id}").status_code == 404
    assert count(Notification, Notification.user_id == staff.lead.id) >= 1
    page = signed_in(app, staff.lead).get(f"/cases/{case.id}").get_data(as_text=True)
    assert "My brother works there." in page and "stood aside" in page


def test_lead_assigns_from_the_case_view_seeing_each_persons_workload(app: Flask, staff: Staff,
                                                                     case_in_assessment: Case):
    case = case_in_assessment
    lead = signed_in(app, staff.lead)
    page = lead.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Reassign the case officer" in page and "Assign a decision maker" in page
    assert re.search(r"Omar Chan \(assigned now\).*?1 open case", page, re.S)
    assert re.search(r"Olivia Wong.*?0 open cases", page, re.S)
    missing = post_case_form(lead, f"/cases/{case.id}/assign", {"role": "decision_maker"},
                             form_page=f"/cases/{case.id}")
    assert missing.status_code == 422 and 'href="#assignee-decision_maker"' in missing.get_data(as_text=True)
    response = post_case_form(lead, f"/cases/{case.id}/assign",
                              {"role": "decision_maker", "assignee": str(staff.decider.id)},
                              form_page=f"/cases/{case.id}")
    assert response.status_code == 303
    case = db.session.get(Case, case.id)
    assert case.decision_maker_id == staff.decider.id
    assert count(OutboxEmail, OutboxEmail.to_address == staff.decider.email) == 1
    same_person = post_case_form(lead, f"/cases/{case.id}/assign",
                                 {"role": "decision_maker", "assignee": str(staff.officer.id)},
                                 form_page=f"/cases/{case.id}")
    assert same_person.status_code == 422 and "not an active decision maker" in same_person.get_data(as_text=True)


def test_officer_picks_up_an_unassigned_case_after_declaring(app: Flask, staff: Staff, submitted_case: Case):
    case = submitted_case
    officer = signed_in(app, staff.officer)
    assert "Pick up this case" in officer.get(f"/cases/{case.id}").get_data(as_text=True)
    data = {"role": "case_officer", "assignee": str(staff.officer.id)}
    refused = post_case_form(officer, f"/cases/{case.id}/assign", data, form_page=f"/cases/{case.id}")
    assert refused.status_code == 422 and 'href="#declares_no_conflict"' in refused.get_data(as_text=True)
    response = post_case_form(officer, f"/cases/{case.id}/assign", {**data, "declares_no_conflict": "yes"},
                              form_page=f"/cases/{case.id}")
    assert response.status_code == 303
    case = db.session.get(Case, case.id)
    assert (case.state, case.case_officer_id) == ("triage", staff.officer.id)
    other = post_case_form(signed_in(app, staff.officer2), f"/cases/{case.id}/assign",
                           {**data, "assignee": str(staff.officer2.id), "declares_no_conflict": "yes",
                            "version": str(case.version)}, form_page=f"/cases/{case.id}")
    assert other.status_code == 403  # only a lead reassigns a case that has an officer


def test_other_moves_from_the_definition_are_offered_to_the_assigned_person(app: Flask, staff: Staff,
                                                                           submitted_case: Case):
    case = submitted_case
    pick_up(case, staff.officer)
    officer = signed_in(app, staff.officer)
    assert 'value="start_assessment"' in officer.get(f"/cases/{case.id}").get_data(as_text=True)
    sneaky = post_case_form(officer, f"/cases/{case.id}/transitions", {"action": "recommend", "reasons": "x"},
                            form_page=f"/cases/{case.id}")
    assert sneaky.status_code == 403  # moves with a form of their own never happen without their record
    response = post_case_form(officer, f"/cases/{case.id}/transitions", {"action": "start_assessment"},
                              form_page=f"/cases/{case.id}")
    assert response.status_code == 303
    assert db.session.get(Case, case.id).state == "assessment"
    page = officer.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'value="start_assessment"' not in page and ">Start assessment</h3>" in page  # now in the timeline


def test_stale_note_is_still_added_but_a_stale_move_is_refused(app: Flask, staff: Staff, submitted_case: Case):
    case = submitted_case
    pick_up(case, staff.officer)
    officer = signed_in(app, staff.officer)
    stale = str(case.version)
    assign(db.session, case, staff.decider, AssignmentRole.DECISION_MAKER, staff.lead, expected_version=case.version)
    db.session.commit()
    response = post_form(officer, f"/cases/{case.id}/transitions", {"action": "start_assessment", "version": stale},
                         form_page=f"/cases/{case.id}")
    assert response.status_code == 409 and "Someone changed this case" in response.get_data(as_text=True)
    assert db.session.get(Case, case.id).state == "triage"
    # Notes only add to the file, so they never clash with anyone's change.
    response = post_form(officer, f"/cases/{case.id}/notes", {"body": "Looks in scope.", "version": stale},
                         form_page=f"/cases/{case.id}")
    assert response.status_code == 303


def test_staff_download_documents_from_the_case_view(app: Flask, staff: Staff, submitted_case: Case):
    case = submitted_case
    case.state = "draft"  # uploads happen while drafting; put the case back there for a moment
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    document = documents.upload_document(db.session, documents.storage_for(current_app), case, staff.applicant,
                                         io.BytesIO(pdf), "model-card.pdf", None,
                                         documents.max_upload_bytes(current_app))
    case.state = "triage"
    db.session.commit()
    officer = signed_in(app, staff.officer)
    page = officer.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "model-card.pdf" in page
    response = officer.get(f"/cases/{case.id}/documents/{document.id}")
    body = response.data
    response.close()
    assert response.status_code == 200 and body == pdf
    assert officer.get(f"/cases/{case.id}/documents/{document.id + 1}").status_code == 404


@pytest.mark.parametrize("role", [Role.CASE_OFFICER, Role.LEAD])
def test_a_conflicted_member_of_staff_gets_404_everywhere_on_the_case(app: Flask, staff: Staff,
                                                                      case_in_assessment: Case, role: Role):
    from sandbox.accounts.conflicts import declare_conflict

    person = staff.officer2 if role is Role.CASE_OFFICER else staff.lead
    declare_conflict(db.session, person, staff.firm.id, "Former employer")
    db.session.commit()
    client = signed_in(app, person)
    for path in ("", "/eligibility", "/recommendation", "/information-requests/new"):
        assert client.get(f"/cases/{case_in_assessment.id}{path}").status_code in (403, 404), path
    assert client.get(f"/cases/{case_in_assessment.id}").status_code == 404
