"""The permission matrix of the regulator's pages: who may open each queue and case page, and who may
act through each of their forms, on a case awaiting decision (officer assessed it; decision maker assigned).

Every GET and POST route of the queue, case, checklist, review and dashboard blueprints must appear here: a new route
without a row fails `test_every_staff_route_is_in_the_matrix`. Forms are posted with valid data, so an
allowed person's answer is a success or a state refusal (303/409/422), never 403 or 404.
"""

from __future__ import annotations

import pytest
from flask import Flask

from sandbox.cases.models import Case
from sandbox.checklists.case_checklist import case_items
from sandbox.extensions import db
from tests.conftest import csrf_token_from
from tests.factories import signed_in
from tests.reviews.conftest import Staff, permission_cast

ACTORS = ("applicant", "other_applicant", "officer", "officer2", "conflicted", "decider", "decider2", "lead",
          "admin")
DENIED = (403, 404)

# GET pages: the status each actor gets. (officer = assigned and declared; officer2 = not assigned;
# conflicted = an officer who declared a conflict with the firm; decider = the assigned decision maker.)
PAGES = {
    "case.show": ("/cases/{id}", [403, 403, 200, 200, 404, 200, 200, 200, 200]),
    "review.revisions": ("/cases/{id}/revisions", [403, 403, 200, 200, 404, 200, 200, 200, 200]),
    # Officer forms: closed while the case waits for a decision, for everyone.
    "case.eligibility": ("/cases/{id}/eligibility", [403, 403, 403, 403, 404, 403, 403, 403, 403]),
    "case.request_information": ("/cases/{id}/information-requests/new",
                                 [403, 403, 403, 403, 404, 403, 403, 403, 403]),
    "case.recommend": ("/cases/{id}/recommendation", [403, 403, 403, 403, 404, 403, 403, 403, 403]),
    # Only the assigned decision maker may open the decision form.
    "case.decide/GET": ("/cases/{id}/decision", [403, 403, 403, 403, 403, 200, 403, 403, 403]),
    "queue.index": ("/queue/", [403, 403, 200, 200, 200, 200, 200, 200, 200]),
    "queue.export": ("/queue/export.csv", [403, 403, 200, 200, 200, 200, 200, 200, 200]),
    "dashboard.show": ("/dashboard/", [403, 403, 403, 403, 403, 200, 200, 200, 200]),
    "checklist.index": ("/cases/{id}/checklist", [403, 403, 200, 200, 404, 200, 200, 200, 200]),
    "checklist.export": ("/cases/{id}/checklist.csv", [403, 403, 200, 200, 404, 200, 200, 200, 200]),
    "checklist.item": ("/cases/{id}/checklist/{item}", [403, 403, 200, 200, 404, 200, 200, 200, 200]),
}

# Forms: who is allowed (anyone else must get 403 or 404, and nothing may change).
ALLOWED = "allowed"
FORMS = {
    "case.add_note": ("/cases/{id}/notes", {"body": "Checked the DPIA."}, {"officer", "decider", "lead"}),
    "case.post_message": ("/cases/{id}/messages", {"body": "We will decide soon."}, {"officer", "decider", "lead"}),
    "case.assign": ("/cases/{id}/assign", {"role": "decision_maker", "assignee": "{decider2}"}, {"lead"}),
    "case.decide": ("/cases/{id}/decision", {"outcome": "waitlist", "reasons": "No capacity this cohort."},
                    {"decider"}),
    "case.move": ("/cases/{id}/transitions", {"action": "close", "reasons": "x"}, set()),
    "case.declare": ("/cases/{id}/declaration", {"confirm": "yes"}, set()),
    # Rated and asked during assessment only: the assigned officer is refused by the case's state here.
    "checklist.rate": ("/cases/{id}/checklist/{item}/rating", {"rating": "not_met", "note": "No DPIA.",
                                                              "item_version": "1"}, {"officer"}),
    "checklist.ask": ("/cases/{id}/checklist/{item}/question", {"question-1": "Send the DPIA.", "due_on-day": "1",
                                                               "due_on-month": "1", "due_on-year": "2099"},
                      {"officer"}),
}


def first_item_id(case: Case) -> int:
    return case_items(db.session, case.id)[0].id


@pytest.fixture
def actors(staff: Staff, case_pending_decision: Case) -> dict:
    people = permission_cast(staff)
    db.session.commit()
    return people



@pytest.mark.parametrize("endpoint", sorted(PAGES))
def test_staff_pages_answer_each_role_as_the_matrix_says(app: Flask, actors, case_pending_decision, endpoint):
    path, expected = PAGES[endpoint]
    path = path.format(id=case_pending_decision.id, item=first_item_id(case_pending_decision))
    found = []
    for name in ACTORS:
        response = signed_in(app, actors[name]).get(path)
        found.append(response.status_code)
        response.close()
    assert dict(zip(ACTORS, found, strict=True)) == dict(zip(ACTORS, expected, strict=True))


@pytest.mark.parametrize("endpoint", sorted(FORMS))
def test_staff_forms_let_only_the_right_people_act(app: Flask, actors, staff: Staff, case_pending_decision,
                                                    endpoint):
    path, data, allowed = FORMS[endpoint]
    case_id = case_pending_decision.id
    for name in ACTORS:
        client = signed_in(app, actors[name])
        db.session.expire_all()
        version = db.session.get(Case, case_id).version
        values = {key: value.format(decider2=staff.decider2.id) for key, value in data.items()}
        token = csrf_token_from(client, "/")
        response = client.post(path.format(id=case_id, item=first_item_id(case_pending_decision)),
                               data={**values, "version": str(version),
                                                               "csrf_token": token})
        if name in allowed:
            assert response.status_code not in DENIED, f"{name} was refused {endpoint}"
        else:
            assert response.status_code in DENIED or (
                response.status_code in (409, 422) and name not in ("applicant", "other_applicant")
                and _refused_for_role(response.get_data(as_text=True))), f"{name} could use {endpoint}"


def _refused_for_role(page: str) -> bool:
    """A member of staff refused by the workflow (not assigned, not declared, wrong role) sees why."""
    return any(text in page for text in ("Only the", "Your role cannot", "not possible while", "no declaration",
                                        "cannot", "Only a team lead", "rated during triage"))


def test_every_staff_route_is_in_the_matrix(app: Flask):
    covered = set(PAGES) | set(FORMS) | {
        # Covered by their own tests (tests/reviews/test_queue.py, test_case_view.py, test_assessment.py):
        "queue.save_view", "queue.delete_view", "queue.assign_selected", "case.download", "case.declare_conflict"}
    covered = {endpoint.split("/")[0] for endpoint in covered}
    staff_endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                       if rule.endpoint.split(".")[0] in ("queue", "case", "review", "dashboard", "checklist")}
    assert staff_endpoints - covered == set()


# On a case in assessment the officer's forms are open, to the assigned and declared officer only.
ASSESSMENT_PAGES = ("/cases/{id}/eligibility", "/cases/{id}/information-requests/new", "/cases/{id}/recommendation")
ASSESSMENT_EXPECTED = [403, 403, 200, 403, 404, 403, 403, 403, 403]


@pytest.mark.parametrize("path", ASSESSMENT_PAGES)
def test_officer_forms_open_only_to_the_assigned_officer(app: Flask, staff: Staff, case_in_assessment, path):
    people = permission_cast(staff)
    db.session.commit()
    found = [signed_in(app, people[name]).get(path.format(id=case_in_assessment.id)).status_code for name in ACTORS]
    assert dict(zip(ACTORS, found, strict=True)) == dict(zip(ACTORS, ASSESSMENT_EXPECTED, strict=True))
