from __future__ import annotations

import re
import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from sandbox.applications import operations
from sandbox.applications.models import ApplicationDraft, ApplicationRevision, Notification
from sandbox.applications.sections import SECTIONS
from sandbox.cases.models import Case
from sandbox.core.audit import AuditEvent
from sandbox.core.permissions import Role
from sandbox.extensions import db
from tests.applications.filling import as_form, section_answers
from tests.conftest import csrf_token_from, post_form
from tests.factories import make_user, sign_in


def start(client: FlaskClient) -> int:
    response = post_form(client, "/applications/new", {}, form_page="/applications/")
    assert response.status_code == 303
    return int(re.search(r"/applications/(\d+)", response.headers["Location"]).group(1))


def save(client: FlaskClient, case_id: int, section, answers: dict, complete: str = "yes", version: int | None = None):
    path = f"/applications/{case_id}/sections/{section.key}"
    page = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    if version is None:
        version = int(re.search(r'name="section_version" value="(\d+)"', page).group(1))
    data = {**as_form(section, answers), "csrf_token": token, "section_version": str(version),
            "section_complete": complete}
    return client.post(path, data=data)


def fill_everything(client: FlaskClient, case_id: int) -> None:
    for section in SECTIONS:
        response = save(client, case_id, section, section_answers(section))
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]


def submit(client: FlaskClient, case_id: int, key: str = "retry-key-1"):
    page = client.get(f"/applications/{case_id}/check-answers").get_data(as_text=True)
    version = re.search(r'name="case_version" value="(\d+)"', page).group(1)
    return client.post(f"/applications/{case_id}/submit", data={
        "csrf_token": csrf_token_from(client, f"/applications/{case_id}/check-answers"), "case_version": version,
        "idempotency_key": key, "signatory_name": "Alice Tam", "signatory_role": "Chief Compliance Officer",
        "attest": "yes"})


def test_application_drafted_over_several_requests_then_submitted(client: FlaskClient, applicant):
    sign_in(client, applicant)
    case_id = start(client)
    first, rest = SECTIONS[0], SECTIONS[1:]
    assert save(client, case_id, first, section_answers(first), complete="no").status_code == 303
    task_list = client.get(f"/applications/{case_id}").get_data(as_text=True)
    assert "In progress" in task_list and "You have completed 0 of 9 sections" in task_list
    assert save(client, case_id, first, section_answers(first)).status_code == 303
    for section in rest:
        assert save(client, case_id, section, section_answers(section)).status_code == 303
    assert "You have completed 9 of 9 sections" in client.get(f"/applications/{case_id}").get_data(as_text=True)
    response = submit(client, case_id)
    assert response.status_code == 303
    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    case = db.session.get(Case, case_id)
    assert case.state == "submitted" and re.fullmatch(r"SBX-\d{4}-\d{4}", case.reference)
    assert case.reference in confirmation
    revision = db.session.scalars(select(ApplicationRevision).where(ApplicationRevision.case_id == case_id)).one()
    assert revision.number == 1 and revision.declaration["attested"] is True
    assert revision.answers == db.session.get(ApplicationDraft, case_id).answers
    assert db.session.scalars(select(Notification.message)).one().startswith(f"Application {case.reference}")


def test_submit_retried_with_same_key_does_not_duplicate(client: FlaskClient, applicant):
    sign_in(client, applicant)
    case_id = start(client)
    fill_everything(client, case_id)
    assert submit(client, case_id, key="same").status_code == 303
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    retry = client.post(f"/applications/{case_id}/submit", data={
        "csrf_token": csrf_token_from(client, "/applications/"), "case_version": "1", "idempotency_key": "same",
        "signatory_name": "Alice Tam", "signatory_role": "CCO", "attest": "yes"})
    assert retry.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(ApplicationRevision)) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_submit_incomplete_application_is_refused_listing_what_is_missing(client: FlaskClient, applicant):
    sign_in(client, applicant)
    case_id = start(client)
    page = client.get(f"/applications/{case_id}/check-answers").get_data(as_text=True)
    assert "Some required questions are not answered yet" in page
    assert "Accept and send application" not in page
    assert db.session.get(Case, case_id).state == "draft"


def first_section_with_text(text: str | None = None):
    """The first section's valid answers, with its first one-line text answer replaced (or made too long)."""
    section = SECTIONS[0]
    answers = section_answers(section)
    first_text = next(s for s in section.fields if s.kind.value == "text")
    answers[first_text.name] = text if text is not None else "x" * ((first_text.max_length or 300) + 1)
    return section, answers


def test_section_bad_input_rerenders_with_errors_and_saves_nothing(client: FlaskClient, applicant):
    sign_in(client, applicant)
    case_id = start(client)
    section, answers = first_section_with_text()
    response = save(client, case_id, section, answers)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "There is a problem" in body and "characters or fewer" in body
    assert db.session.get(ApplicationDraft, case_id).answers == {}


def test_html_typed_into_a_field_is_shown_as_text(client: FlaskClient, applicant):
    sign_in(client, applicant)
    case_id = start(client)
    section, answers = first_section_with_text("<script>alert(1)</script>")
    assert save(client, case_id, section, answers).status_code == 303
    page = client.get(f"/applications/{case_id}/check-answers").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_two_colleagues_saving_the_same_section_second_sees_conflict_not_overwrite(app: Flask, applicant, firm):
    colleague = make_user(Role.APPLICANT, firm)
    alice, ben = app.test_client(), app.test_client()
    sign_in(alice, applicant)
    sign_in(ben, colleague)
    case_id = start(alice)
    section = SECTIONS[0]
    alice_answers, ben_answers = section_answers(section), section_answers(section)
    field = next(s for s in section.fields if s.kind.value == "text")
    alice_answers[field.name], ben_answers[field.name] = "Alice's words", "Ben's words"
    assert save(alice, case_id, section, alice_answers, version=0).status_code == 303
    conflict = save(ben, case_id, section, ben_answers, version=0)
    assert conflict.status_code == 409
    body = conflict.get_data(as_text=True)
    assert "Alice&#39;s words" in body and "Ben&#39;s words" in body
    assert db.session.get(ApplicationDraft, case_id).answers[section.key][field.name] == "Alice's words"
    assert save(ben, case_id, section, ben_answers, version=1).status_code == 303
    assert db.session.get(ApplicationDraft, case_id).answers[section.key][field.name] == "Ben's words"


def test_other_organisation_gets_404_on_every_url_of_the_case(app: Flask, client: FlaskClient, applicant):
    sign_in(client, applicant)
    case_id = start(client)
    outsider = app.test_client()
    sign_in(outsider, make_user(Role.APPLICANT))
    paths = [f"/applications/{case_id}", f"/applications/{case_id}/check-answers",
             f"/applications/{case_id}/submitted", f"/applications/{case_id}/withdraw",
             f"/applications/{case_id}/information-request"]
    paths += [f"/applications/{case_id}/sections/{s.key}" for s in SECTIONS]
    for path in paths:
        assert outsider.get(path).status_code == 404, path
    token = csrf_token_from(outsider, "/applications/")
    for path in (f"/applications/{case_id}/sections/{SECTIONS[0].key}", f"/applications/{case_id}/submit",
                 f"/applications/{case_id}/withdraw",
                 f"/applications/{case_id}/sections/{SECTIONS[0].key}/autosave"):
        assert outsider.post(path, data={"csrf_token": token}).status_code == 404, path
    assert "Untitled application" not in outsider.get("/applications/").get_data(as_text=True)


def test_autosave_saves_and_returns_new_section_version(client: FlaskClient, applicant):
    sign_in(client, applicant)
    case_id = start(client)
    section = SECTIONS[0]
    token = csrf_token_from(client, f"/applications/{case_id}/sections/{section.key}")
    response = client.post(f"/applications/{case_id}/sections/{section.key}/autosave",
                           data={**as_form(section, section_answers(section)), "csrf_token": token,
                                 "section_version": "0"})
    assert response.status_code == 200 and response.json["section_version"] == 1
    stale = client.post(f"/applications/{case_id}/sections/{section.key}/autosave",
                        data={"csrf_token": token, "section_version": "0"})
    assert stale.status_code == 409 and stale.json["conflict"] is True


@pytest.mark.slow
def test_concurrent_submits_never_share_a_reference(app: Flask, firm, applicant):
    cases = []
    for _ in range(8):
        case = operations.start_application(db.session, firm, applicant)
        draft = operations.draft_of(db.session, case)
        draft.answers = {s.key: section_answers(s) for s in SECTIONS}
        cases.append(case.id)
    applicant_id = applicant.id
    db.session.commit()  # and touch nothing more here: on SQLite an open transaction would hold the write lock
    barrier, errors = threading.Barrier(len(cases)), []

    def submit_one(case_id: int) -> None:
        from sandbox.accounts.models import User

        with app.app_context():
            barrier.wait()
            try:
                case, user = db.session.get(Case, case_id), db.session.get(User, applicant_id)
                operations.submit_application(db.session, case, user, {"attested": True},
                                              expected_version=case.version)
                db.session.commit()
            except Exception as error:  # pragma: no cover - reported below
                errors.append(repr(error))
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit_one, args=(case_id,)) for case_id in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    references = db.session.scalars(select(Case.reference).where(Case.id.in_(cases))).all()
    assert len(set(references)) == len(cases) and all(references)


def submitted_case(client: FlaskClient) -> int:
    case_id = start(client)
    fill_everything(client, case_id)
    assert submit(client, case_id).status_code == 303
    return case_id


def test_status_page_shows_timeline_in_applicant_words(client: FlaskClient, applicant):
    sign_in(client, applicant)
    case_id = submitted_case(client)
    page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    assert "What has happened" in page and "Submit application" in page
    assert "What happens next" in page and "A case officer will be assigned" in page
    assert "Received: waiting for a case officer" in page
    assert "Withdraw this application" in page


def test_withdraw_needs_reason_and_confirmation_then_withdraws(client: FlaskClient, applicant):
    sign_in(client, applicant)
    case_id = submitted_case(client)
    confirm = client.get(f"/applications/{case_id}/withdraw")
    assert "Are you sure you want to withdraw" in confirm.get_data(as_text=True)
    no_reason = post_form(client, f"/applications/{case_id}/withdraw", {"reasons": "", "case_version": "2"})
    assert no_reason.status_code == 422 and "Tell us why" in no_reason.get_data(as_text=True)
    assert db.session.get(Case, case_id).state == "submitted"
    page = client.get(f"/applications/{case_id}/withdraw").get_data(as_text=True)
    version = re.search(r'name="case_version" value="(\d+)"', page).group(1)
    done = post_form(client, f"/applications/{case_id}/withdraw",
                     {"reasons": "We found a better approach.", "case_version": version})
    assert done.status_code == 303
    case = db.session.get(Case, case_id)
    assert case.state == "withdrawn" and case.clock_stopped_on is not None
    assert client.get(f"/applications/{case_id}/withdraw").status_code == 422


def test_withdraw_with_stale_version_is_refused(client: FlaskClient, applicant):
    sign_in(client, applicant)
    case_id = submitted_case(client)
    stale = post_form(client, f"/applications/{case_id}/withdraw", {"reasons": "Because.", "case_version": "1"},
                      form_page=f"/applications/{case_id}/withdraw")
    assert stale.status_code == 409
    assert "changed since you opened it" in stale.get_data(as_text=True)


def test_malformed_dates_and_numbers_get_field_errors(client: FlaskClient, applicant):
    from sandbox.applications.sections import FieldKind

    sign_in(client, applicant)
    case_id = start(client)
    section = next(s for s in SECTIONS if any(f.kind is FieldKind.DATE for f in s.fields))
    date_field = next(f for f in section.fields if f.kind is FieldKind.DATE)
    number_field = next(f for f in section.fields if f.kind is FieldKind.INTEGER)
    answers = section_answers(section)
    answers[date_field.name] = "2027-02-30"
    answers[number_field.name] = "twelve"
    response = save(client, case_id, section, answers)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter a real date" in body and "Enter a whole number" in body
    assert f'href="#{date_field.name}"' in body
    assert db.session.get(ApplicationDraft, case_id).answers == {}


def test_section_post_after_session_expired_asks_to_sign_in_and_returns_to_the_section(app: Flask, applicant):
    client = app.test_client()
    sign_in(client, applicant)
    case_id = start(client)
    section = SECTIONS[0]
    page = f"/applications/{case_id}/sections/{section.key}"
    expired = app.test_client()  # no session cookie: as if it had expired
    response = expired.post(page, data={**as_form(section, section_answers(section)), "section_version": "0",
                                        "csrf_token": "stale"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/sign-in?next=/applications/{case_id}/sections/{section.key}"
    assert db.session.get(ApplicationDraft, case_id).answers == {}
    back = post_form(expired, response.headers["Location"], {"email": applicant.email,
                                                             "password": "correct horse battery"})
    assert back.headers["Location"] == page


def test_submitted_page_shows_reference_in_bold_not_markup(client: FlaskClient, applicant):
    sign_in(client, applicant)
    case_id = start(client)
    fill_everything(client, case_id)
    page = client.get(submit(client, case_id).headers["Location"]).get_data(as_text=True)
    reference = db.session.get(Case, case_id).reference
    assert f"<br><strong>{reference}</strong>" in page and "&lt;br&gt;" not in page


def test_dashboard_shows_the_submission_message_to_the_organisation(app: Flask, applicant, firm):
    client = app.test_client()
    sign_in(client, applicant)
    case_id = start(client)
    fill_everything(client, case_id)
    submit(client, case_id)
    colleague = app.test_client()
    sign_in(colleague, make_user(Role.APPLICANT, firm))
    page = colleague.get("/applications/").get_data(as_text=True)
    reference = db.session.get(Case, case_id).reference
    assert "Messages" in page and f"Application {reference} was submitted by" in page


def test_dashboard_queries_do_not_grow_with_the_number_of_cases(app: Flask, client: FlaskClient, applicant, firm):
    from sqlalchemy import event

    sign_in(client, applicant)
    start(client)

    def count_dashboard_queries() -> int:
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731 (before_cursor_execute's statement)
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/applications/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    one_case = count_dashboard_queries()
    for _ in range(5):
        operations.start_application(db.session, firm, applicant)
    assert count_dashboard_queries() == one_case


def test_submit_posted_from_a_stale_page_while_incomplete_is_refused(client: FlaskClient, applicant):
    sign_in(client, applicant)
    case_id = start(client)
    response = post_form(client, f"/applications/{case_id}/submit", {
        "case_version": "1", "signatory_name": "Alice Tam", "signatory_role": "CCO", "attest": "yes"},
        form_page=f"/applications/{case_id}/check-answers")
    assert response.status_code == 422
    assert "Your application is not finished" in response.get_data(as_text=True)
    assert db.session.get(Case, case_id).state == "draft"
    assert db.session.scalar(select(func.count()).select_from(ApplicationRevision)) == 0
