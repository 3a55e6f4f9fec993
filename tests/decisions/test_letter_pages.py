"""The staff letter pages: drafting from the case page, previewing with the DRAFT watermark, editing the free text,
issuing with confirmation, correcting, discarding, supervision letters and batch issuing through the job runner."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from sandbox.cases.models import Case
from sandbox.decisions import letter_operations
from sandbox.decisions.letters import Letter, LetterBatch
from sandbox.extensions import db
from sandbox.reviews.information_requests import send_information_request
from sandbox.workflow.engine import perform, regulator_today
from tests.conftest import csrf_token_from
from tests.decisions.test_concurrency import draft_for_new_case
from tests.factories import signed_in
from tests.reviews.conftest import Staff


def post_letter_form(client: FlaskClient, path: str, data: dict, *, page: str):
    """POST as the letter page's form does: its CSRF token, version and idempotency key."""
    html = client.get(page).get_data(as_text=True)
    values = {"csrf_token": csrf_token_from(client, page)}
    if version := re.search(r'name="version" value="(\d+)"', html):
        values["version"] = version.group(1)
    if key := re.search(r'name="idempotency_key" value="([^"]+)"', html):
        values["idempotency_key"] = key.group(1)
    return client.post(path, data={**values, **data})


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_officer_drafts_the_decision_letter_from_the_case_page(app: Flask, staff: Staff, admitted_case: Case):
    officer = signed_in(app, staff.officer)
    page = officer.get(f"/cases/{admitted_case.id}").get_data(as_text=True)
    assert "Draft the decision letter (admitted with conditions)" in page and 'id="letters"' in page
    decision_id = re.search(r'name="source" value="(decision-\d+)"', page).group(1)
    response = officer.post(f"/cases/{admitted_case.id}/letters", data={
        "source": decision_id, "csrf_token": csrf_token_from(officer, f"/cases/{admitted_case.id}")})
    assert response.status_code == 303
    letter = db.session.scalars(select(Letter)).one()
    assert response.headers["Location"] == f"/letters/{letter.id}"
    page = officer.get(f"/cases/{admitted_case.id}").get_data(as_text=True)
    assert "Draft the decision letter" not in page and f"/letters/{letter.id}" in page


def test_officer_drafts_the_information_request_letter_from_the_case_page(app: Flask, staff: Staff,
                                                                          case_in_assessment: Case):
    case = case_in_assessment
    send_information_request(db.session, case, staff.officer, ["Who oversees the model?"],
                             regulator_today() + timedelta(days=14), expected_version=case.version)
    db.session.commit()
    officer = signed_in(app, staff.officer)
    page = officer.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Draft a letter for the information request of" in page
    source = re.search(r'name="source" value="(request-\d+)"', page).group(1)
    response = officer.post(f"/cases/{case.id}/letters", data={
        "source": source, "csrf_token": csrf_token_from(officer, f"/cases/{case.id}")})
    assert response.status_code == 303
    assert db.session.scalars(select(Letter)).one().kind == "information_request"
    assert "Draft a letter for the information request of" not in officer.get(f"/cases/{case.id}").get_data(
        as_text=True)


def test_draft_preview_has_the_watermark_and_edits_show_in_it(app: Flask, staff: Staff, draft: Letter, tmp_path):
    officer = signed_in(app, staff.officer)
    page = officer.get(f"/letters/{draft.id}").get_data(as_text=True)
    assert "Edit the free text" in page and "Issue the letter" in page
    assert "The decision maker assigned to this case issues its letters." in page  # not the officer
    preview = officer.get(f"/letters/{draft.id}/preview.pdf")
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    assert "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]
    assert "DRAFT" in pdf_text(preview.data, tmp_path)
    response = post_letter_form(officer, f"/letters/{draft.id}", {
        "introduction": "We are pleased to admit <your> system.", "remarks": "Questions? Write to us."},
        page=f"/letters/{draft.id}")
    assert response.status_code == 303
    text = pdf_text(officer.get(f"/letters/{draft.id}/preview.pdf").data, tmp_path)
    assert "We are pleased to admit <your> system." in text and "Questions? Write to us." in text


def test_edit_from_a_stale_page_is_refused_and_keeps_what_was_typed(app: Flask, staff: Staff, draft: Letter):
    officer = signed_in(app, staff.officer)
    token = csrf_token_from(officer, f"/letters/{draft.id}")
    response = officer.post(f"/letters/{draft.id}", data={
        "csrf_token": token, "version": str(draft.version + 5), "introduction": "Mine", "remarks": ""})
    assert response.status_code == 409
    assert "Someone changed this letter" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Letter, draft.id).data["free_text"]["introduction"] != "Mine"


def test_edit_longer_than_a_letter_allows_is_refused_beside_the_field(app: Flask, staff: Staff, draft: Letter):
    officer = signed_in(app, staff.officer)
    response = post_letter_form(officer, f"/letters/{draft.id}", {"introduction": "x" * 10_001, "remarks": ""},
                                page=f"/letters/{draft.id}")
    assert response.status_code == 422
    assert "Keep the introduction to 10000 characters or fewer" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Letter, draft.id).data["free_text"]["introduction"] != "x" * 10_001


def test_decision_maker_issues_with_confirmation_and_downloads_it_byte_for_byte(app: Flask, staff: Staff,
                                                                                draft: Letter):
    decider = signed_in(app, staff.decider)
    refused = post_letter_form(decider, f"/letters/{draft.id}/issue", {}, page=f"/letters/{draft.id}")
    assert refused.status_code == 422 and "Confirm that the letter is ready" in refused.get_data(as_text=True)
    response = post_letter_form(decider, f"/letters/{draft.id}/issue", {"confirm": "yes"},
                                page=f"/letters/{draft.id}")
    assert response.status_code == 303
    db.session.expire_all()
    letter = db.session.get(Letter, draft.id)
    assert letter.state == "issued"
    first = decider.get(f"/letters/{letter.id}/letter.pdf")
    second = decider.get(f"/letters/{letter.id}/letter.pdf")
    assert first.data == second.data == letter.pdf
    assert first.headers["Content-Disposition"].startswith("attachment;")
    assert letter.number.replace("/", "-") in first.headers["Content-Disposition"]
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    page = decider.get(f"/letters/{letter.id}").get_data(as_text=True)
    assert letter.pdf_sha256 in page and letter.content_sha256 in page and "Edit the free text" not in page


def test_a_double_submitted_issue_takes_one_number(app: Flask, staff: Staff, draft: Letter):
    decider = signed_in(app, staff.decider)
    page = f"/letters/{draft.id}"
    html = decider.get(page).get_data(as_text=True)
    form = {"csrf_token": csrf_token_from(decider, page), "confirm": "yes",
            "version": re.search(r'name="version" value="(\d+)"', html).group(1),
            "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)}
    assert decider.post(f"{page}/issue", data=form).status_code == 303
    assert decider.post(f"{page}/issue", data=form).status_code == 303  # the retry finds it issued
    assert db.session.scalar(select(func.max(Letter.sequence))) == 1


def test_correction_through_the_pages(app: Flask, staff: Staff, issued: Letter):
    officer = signed_in(app, staff.officer)
    response = post_letter_form(officer, f"/letters/{issued.id}/correction", {}, page=f"/letters/{issued.id}")
    assert response.status_code == 303
    correction = db.session.scalars(select(Letter).where(Letter.supersedes_id == issued.id)).one()
    assert response.headers["Location"] == f"/letters/{correction.id}"
    decider = signed_in(app, staff.decider)
    assert post_letter_form(decider, f"/letters/{correction.id}/issue", {"confirm": "yes"},
                            page=f"/letters/{correction.id}").status_code == 303
    page = decider.get(f"/letters/{issued.id}").get_data(as_text=True)
    assert "Superseded" in page and "replaced by a correction" in page


def test_discarding_a_draft_lets_the_decision_be_drafted_again(app: Flask, staff: Staff, draft: Letter):
    officer, case_id = signed_in(app, staff.officer), draft.case_id
    response = post_letter_form(officer, f"/letters/{draft.id}/discard", {}, page=f"/letters/{draft.id}")
    assert response.status_code == 303 and response.headers["Location"].endswith("#letters")
    assert db.session.scalar(select(func.count()).select_from(Letter)) == 0
    assert "Draft the decision letter" in officer.get(f"/cases/{case_id}").get_data(as_text=True)


def test_suspension_letter_form_on_a_case_in_testing(app: Flask, staff: Staff, admitted_case: Case):
    case = admitted_case
    perform(db.session, case, "accept_conditions", staff.applicant, expected_version=case.version)
    db.session.commit()
    decider = signed_in(app, staff.decider)
    path = f"/cases/{case.id}/letters/new/suspension"
    assert path in decider.get(f"/cases/{case.id}").get_data(as_text=True)
    token = csrf_token_from(decider, path)
    refused = decider.post(path, data={"csrf_token": token, "reasons": ""})
    assert refused.status_code == 422
    assert 'href="#effective_on-day"' in refused.get_data(as_text=True)
    when, until = regulator_today() + timedelta(days=2), regulator_today() + timedelta(days=30)
    response = decider.post(path, data={
        "csrf_token": token, "reasons": "An incident harmed customers.", "conditions": "Fix the kill switch",
        "effective_on-day": when.day, "effective_on-month": when.month, "effective_on-year": when.year,
        "challenge_deadline_on-day": until.day, "challenge_deadline_on-month": until.month,
        "challenge_deadline_on-year": until.year})
    assert response.status_code == 303
    letter = db.session.scalars(select(Letter)).one()
    assert letter.kind == "suspension" and letter.data["decision"]["effective_on"] == when.isoformat()
    assert signed_in(app, staff.officer).get(path).status_code == 403


def test_supervision_letter_page_is_refused_before_testing_starts(app: Flask, staff: Staff, admitted_case: Case):
    decider = signed_in(app, staff.decider)
    path = f"/cases/{admitted_case.id}/letters/new/suspension"
    assert path not in decider.get(f"/cases/{admitted_case.id}").get_data(as_text=True)
    response = decider.get(path)
    assert response.status_code == 422 and "cannot be drafted while the case is" in response.get_data(as_text=True)
    assert decider.get(f"/cases/{admitted_case.id}/letters/new/apology").status_code == 404


def test_batch_issue_through_the_job_runner(app: Flask, staff: Staff, draft: Letter):
    others = [draft_for_new_case(staff) for _ in range(2)]
    decider = signed_in(app, staff.decider)
    token = csrf_token_from(decider, "/letters/?state=draft")
    page = decider.get("/letters/?state=draft").get_data(as_text=True)
    assert "Issue the selected drafts" in page
    response = decider.post("/letters/batches", data={"csrf_token": token,
                                                      "letter": [str(draft.id), *map(str, others)]})
    assert response.status_code == 303  # in tests the job ran at once, after the request's commit
    batch = db.session.scalars(select(LetterBatch)).one()
    assert response.headers["Location"] == f"/letters/batches/{batch.id}"
    assert batch.finished_at is not None and len(batch.results) == 3
    assert all("number" in result for result in batch.results.values())
    numbers = sorted(db.session.scalars(select(Letter.sequence)))
    assert numbers == [1, 2, 3]
    shown = decider.get(f"/letters/batches/{batch.id}").get_data(as_text=True)
    assert "Finished: 3 of 3 letters handled." in shown
    assert signed_in(app, staff.decider2).get(f"/letters/batches/{batch.id}").status_code == 404


def test_batch_goes_on_past_a_letter_that_cannot_be_produced(app: Flask, staff: Staff, draft: Letter, monkeypatch):
    other = draft_for_new_case(staff)
    broken_reference = db.session.get(Letter, other).case.reference
    render = letter_operations.render_letter

    def render_failing_for_one(data):
        if data["case"]["reference"] == broken_reference:
            raise RuntimeError("the renderer fell over")
        return render(data)

    monkeypatch.setattr(letter_operations, "render_letter", render_failing_for_one)
    decider = signed_in(app, staff.decider)
    token = csrf_token_from(decider, "/letters/")
    decider.post("/letters/batches", data={"csrf_token": token, "letter": [str(other), str(draft.id)]})
    batch = db.session.scalars(select(LetterBatch)).one()
    assert "could not be produced" in batch.results[str(other)]["error"]
    assert batch.results[str(draft.id)]["number"].endswith("000001")  # the failed one took no number
    assert db.session.get(Letter, other).state == "draft"


def test_batch_of_letters_someone_else_decides_is_refused_up_front(app: Flask, staff: Staff, draft: Letter):
    decider2 = signed_in(app, staff.decider2)
    token = csrf_token_from(decider2, "/letters/")
    response = decider2.post("/letters/batches", data={"csrf_token": token, "letter": [str(draft.id)]})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(LetterBatch)) == 0


def test_batch_with_nothing_selected_goes_back_to_the_drafts_with_a_message(app: Flask, staff: Staff,
                                                                            draft: Letter):
    decider = signed_in(app, staff.decider)
    response = decider.post("/letters/batches", data={"csrf_token": csrf_token_from(decider, "/letters/")})
    assert response.status_code == 303 and response.headers["Location"] == "/letters/?state=draft"
    assert "Select at least one draft letter to issue." in decider.get("/letters/?state=draft").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(LetterBatch)) == 0


def test_case_dossier_downloads_as_a_checked_pdf(app: Flask, staff: Staff, issued: Letter, tmp_path):
    response = signed_in(app, staff.lead).get(f"/cases/{issued.case_id}/dossier.pdf")
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment;")
    path = tmp_path / "dossier.pdf"
    path.write_bytes(response.data)
    assert subprocess.run(["qpdf", "--check", str(path)], capture_output=True, check=False).returncode == 0
    text = pdf_text(response.data, tmp_path)
    assert issued.number in text and issued.case.reference in text
