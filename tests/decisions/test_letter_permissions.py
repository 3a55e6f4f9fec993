"""The permission matrix of the letter pages (staff), the applicant's letter downloads and the public verification
page, on a case in testing with an issued admission letter and a draft correction of it.

Every route of the letters, portal_letters and verify blueprints must appear here: a new route without a row fails
`test_every_letter_route_is_in_the_matrix`. Forms are posted with data that is valid but changes nothing for good
(a stale version where that is enough), so an allowed person's answer is a success or a refusal for the letter's
state (303/409/422), never 403 or 404.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from sandbox.cases.models import Case
from sandbox.decisions.letter_batches import request_batch
from sandbox.decisions.letter_operations import draft_correction
from sandbox.decisions.letters import Letter
from sandbox.extensions import db
from sandbox.workflow.engine import perform, regulator_today
from tests.conftest import csrf_token_from
from tests.factories import signed_in
from tests.reviews.conftest import Staff, permission_cast

ACTORS = ("applicant", "other_applicant", "officer", "officer2", "conflicted", "decider", "decider2", "lead",
          "admin")
DENIED = (403, 404)
STAFF_OK = [403, 403, 200, 200, 404, 200, 200, 200, 200]  # any member of staff who may see the case

PAGES = {
    "letters.register": ("/letters/", [403, 403, 200, 200, 200, 200, 200, 200, 200]),
    "letters.show": ("/letters/{issued}", STAFF_OK),
    "letters.preview": ("/letters/{draft}/preview.pdf", STAFF_OK),
    "letters.download": ("/letters/{issued}/letter.pdf", STAFF_OK),
    "letters.dossier": ("/cases/{case}/dossier.pdf", STAFF_OK),
    "letters.batch": ("/letters/batches/{batch}", [403, 403, 403, 403, 403, 200, 404, 403, 403]),
    # Supervision letters: the case's decision maker and the team leads.
    "letters.draft_supervision/GET": ("/cases/{case}/letters/new/suspension",
                                      [403, 403, 403, 403, 403, 200, 403, 200, 403]),
    "portal_letters.download": ("/applications/{case}/letters/{issued}.pdf",
                                [200, 404, 403, 403, 403, 403, 403, 403, 403]),
    "verify.index": ("/verify/", [200] * 9),
    "verify.by_number": ("/verify/SBX-L-2026-000001", [200] * 9),
}

FORMS = {
    "letters.edit": ("/letters/{draft}", {"introduction": "Changed", "remarks": ""}, {"officer", "decider", "lead"}),
    "letters.discard": ("/letters/{draft}/discard", {"version": "999"}, {"officer", "decider", "lead"}),
    "letters.issue": ("/letters/{draft}/issue", {"confirm": "yes"}, {"decider"}),
    "letters.correct": ("/letters/{issued}/correction", {}, {"officer", "decider", "lead"}),
    "letters.draft": ("/cases/{case}/letters", {"source": "decision-{decision}"}, {"officer", "decider", "lead"}),
    "letters.draft_supervision": ("/cases/{case}/letters/new/suspension", "suspension", {"decider", "lead"}),
    "letters.start_batch": ("/letters/batches", {"letter": "{draft}"}, {"decider"}),
    "verify.upload": ("/verify/", {}, set(ACTORS)),
}


@pytest.fixture
def world(staff: Staff, issued: Letter) -> dict:
    case = db.session.get(Case, issued.case_id)
    perform(db.session, case, "accept_conditions", staff.applicant, expected_version=case.version)  # now testing
    correction = draft_correction(db.session, issued, staff.officer)
    batch = request_batch(db.session, staff.decider, [correction.id])
    people = permission_cast(staff)
    db.session.commit()
    ids = {"case": case.id, "issued": issued.id, "draft": correction.id, "batch": batch.id,
           "decision": issued.decision_id}
    return {"people": people, "ids": ids}



@pytest.mark.parametrize("endpoint", sorted(PAGES))
def test_letter_pages_answer_each_role_as_the_matrix_says(app: Flask, world, endpoint):
    path, expected = PAGES[endpoint]
    path = path.format(**world["ids"])
    found = []
    for name in ACTORS:
        response = signed_in(app, world["people"][name]).get(path)
        found.append(response.status_code)
        response.close()
    assert dict(zip(ACTORS, found, strict=True)) == dict(zip(ACTORS, expected, strict=True))


def supervision_form() -> dict[str, str]:
    when, until = regulator_today() + timedelta(days=2), regulator_today() + timedelta(days=30)
    return {"reasons": "An incident harmed customers.",
            "effective_on-day": str(when.day), "effective_on-month": str(when.month),
            "effective_on-year": str(when.year), "challenge_deadline_on-day": str(until.day),
            "challenge_deadline_on-month": str(until.month), "challenge_deadline_on-year": str(until.year)}


@pytest.mark.parametrize("endpoint", sorted(FORMS))
def test_letter_forms_let_only_the_right_people_act(app: Flask, world, endpoint):
    path, data, allowed = FORMS[endpoint]
    ids = world["ids"]
    for name in ACTORS:
        client = signed_in(app, world["people"][name])
        db.session.expire_all()
        draft = db.session.get(Letter, ids["draft"])
        values = supervision_form() if data == "suspension" else {
            key: value.format(**ids) for key, value in data.items()}
        values.setdefault("version", str(draft.version) if draft else "1")
        response = client.post(path.format(**ids), data={**values, "csrf_token": csrf_token_from(client, "/")})
        if name in allowed:
            assert response.status_code not in DENIED, f"{name} was refused {endpoint}"
        else:
            assert response.status_code in DENIED, f"{name} could use {endpoint} ({response.status_code})"


def test_every_letter_route_is_in_the_matrix(app: Flask):
    covered = {endpoint.split("/")[0] for endpoint in (*PAGES, *FORMS)}
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.endpoint.split(".")[0] in ("letters", "portal_letters", "verify")}
    assert endpoints - covered == set()
