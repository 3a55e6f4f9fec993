"""Letters in the domain: drafted from the decision, edited while a draft, issued once under the next number by the
decision maker who may decide the case, frozen after, corrected by a new letter that supersedes the old one."""

from __future__ import annotations

import hashlib
import subprocess
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from sandbox.cases.models import Case
from sandbox.core.audit import AuditEvent
from sandbox.core.counters import take_next_number
from sandbox.core.db import utcnow
from sandbox.core.errors import Conflict, DomainError, Forbidden
from sandbox.decisions import letter_operations
from sandbox.decisions.letter_data import content_sha256
from sandbox.decisions.letter_operations import (
    StaleLetter,
    draft_correction,
    draft_decision_letter,
    draft_information_request_letter,
    draft_supervision_letter,
    edit_draft,
    issue_letter,
)
from sandbox.decisions.letter_register import verify_number
from sandbox.decisions.letters import FROZEN_COLUMNS, Letter, LetterCounter
from sandbox.decisions.models import Decision
from sandbox.decisions.operations import decide
from sandbox.decisions.rendering import letter_html
from sandbox.extensions import db
from sandbox.notifications.models import OutboxEmail
from sandbox.reviews.information_requests import send_information_request
from sandbox.reviews.models import CaseAssignment
from sandbox.workflow.engine import perform, regulator_today
from tests.decisions.conftest import issue
from tests.reviews.conftest import Staff


def events(case_id: int, prefix: str = "letter.") -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.case_id == case_id, AuditEvent.action.startswith(prefix)).order_by(AuditEvent.seq)))


def last_number(year: int) -> int:
    return db.session.scalar(select(LetterCounter.last_number).where(LetterCounter.year == year)) or 0


def test_draft_from_an_admission_carries_the_decision_and_no_number(staff: Staff, draft: Letter):
    data = draft.data
    assert (draft.state, draft.kind, draft.number, draft.pdf_sha256) == ("draft", "admission", None, None)
    assert data["is_draft"] is True and data["verification"] is None and data["number"] is None
    assert data["conditions"] == ["Report monthly on complaints", "Keep a human in the loop for declines"]
    assert data["testing"]["limits"]["max_customers"] == 500
    assert data["case"]["reference"] == draft.case.reference
    assert data["case_officer"]["name"] == staff.officer.full_name
    assert events(draft.case_id) == ["letter.drafted"]


def test_a_decision_has_one_letter_chain(staff: Staff, draft: Letter):
    decision = db.session.get(Decision, draft.decision_id)
    with pytest.raises(Conflict, match="already has a letter"):
        draft_decision_letter(db.session, decision, staff.decider)


def test_issue_numbers_renders_stores_and_tells_the_applicant(staff: Staff, draft: Letter):
    year = regulator_today().year
    letter = issue(draft, staff.decider)
    assert letter.state == "issued" and letter.number == f"SBX/L/{year}/000001"
    assert (letter.year, letter.sequence) == (year, 1)
    assert letter.pdf is not None and letter.pdf.startswith(b"%PDF-")
    assert letter.pdf_sha256 == hashlib.sha256(letter.pdf).hexdigest() and letter.pdf_size == len(letter.pdf)
    assert letter.content_sha256 == content_sha256(letter.data) == letter.data["verification"]["content_sha256"]
    assert letter.data["verification"]["url"].endswith(f"/verify/SBX-L-{year}-000001")
    assert letter.issued_by_id == staff.decider.id and letter.data["issued_on"] == regulator_today().isoformat()
    assert events(letter.case_id) == ["letter.drafted", "letter.issued"]
    recipients = set(db.session.scalars(select(OutboxEmail.to_address).where(OutboxEmail.subject.startswith(
        f"Letter SBX/L/{year}/000001"))))
    assert recipients == {staff.applicant.email, staff.colleague.email}


def test_issued_letter_passes_qpdf_and_its_text_carries_number_and_hash(staff: Staff, issued: Letter, tmp_path):
    path = tmp_path / "letter.pdf"
    path.write_bytes(issued.pdf)
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    words = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(words.split())  # a long hash may be broken over lines
    assert issued.number in words and issued.content_sha256 in flat
    assert "DRAFT" not in words


def test_draft_free_text_can_be_edited_with_the_version_it_was_based_on(staff: Staff, draft: Letter):
    version = draft.version
    edit_draft(db.session, draft, staff.officer, {"introduction": "Dear applicant, <b>welcome</b>.",
                                                  "remarks": "Call us."}, expected_version=version)
    db.session.commit()
    assert draft.data["free_text"] == {"introduction": "Dear applicant, <b>welcome</b>.", "remarks": "Call us."}
    assert draft.version == version + 1
    with pytest.raises(StaleLetter):
        edit_draft(db.session, draft, staff.decider, {"introduction": "Older"}, expected_version=version)
    assert events(draft.case_id)[-1] == "letter.edited"


def test_issued_letter_cannot_be_edited_and_nothing_changes(staff: Staff, issued: Letter):
    before = (dict(issued.data), issued.pdf, issued.version)
    with pytest.raises(Conflict, match="can no longer be changed"):
        edit_draft(db.session, issued, staff.officer, {"introduction": "Changed"}, expected_version=issued.version)
    db.session.rollback()
    db.session.expire_all()
    again = db.session.get(Letter, issued.id)
    assert (again.data, again.pdf, again.version) == before


def test_the_database_refuses_any_change_to_an_issued_letter(staff: Staff, issued: Letter):
    for column, value in (("data", {"tampered": True}), ("pdf", b"%PDF-1.7 other"), ("number", "SBX/L/1999/000001"),
                          ("state", "draft")):
        with pytest.raises((IntegrityError, DBAPIError)), db.session.begin_nested():
            db.session.execute(update(Letter).where(Letter.id == issued.id).values({column: value}))
    db.session.rollback()
    assert db.session.get(Letter, issued.id).pdf_sha256 == hashlib.sha256(issued.pdf).hexdigest()


def test_every_frozen_column_of_an_issued_letter_is_refused_by_the_database(staff: Staff, issued: Letter):
    """FROZEN_COLUMNS is what migration 0006's trigger must guard: a column added to one and not the other fails."""
    day = timedelta(days=1)
    changes = {
        "case_id": issued.case_id + 1000, "decision_id": None, "information_request_id": 1, "kind": "rejection",
        "edition": issued.edition + 1, "number": "SBX/L/1999/000001", "year": 1999, "sequence": 999,
        "data": {"tampered": True}, "content_sha256": "0" * 64, "pdf": b"%PDF-1.7 other", "pdf_sha256": "0" * 64,
        "pdf_size": 1, "issued_by_id": staff.officer.id, "issued_at": issued.issued_at - day,
        "drafted_by_id": staff.decider.id, "drafted_at": issued.drafted_at - day,
    }
    assert set(changes) == set(FROZEN_COLUMNS)
    for column, value in changes.items():
        with pytest.raises((IntegrityError, DBAPIError), match="an issued letter cannot be changed"), \
                db.session.begin_nested():
            db.session.execute(update(Letter).where(Letter.id == issued.id).values({column: value}))
    db.session.rollback()


def test_letterhead_carries_the_regulators_website_when_set(app, staff: Staff, admitted_case: Case, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_REGULATOR_WEBSITE", "sandbox.example.org")
    decision = db.session.scalars(select(Decision).where(Decision.case_id == admitted_case.id)).one()
    letter = draft_decision_letter(db.session, decision, staff.officer)
    assert letter.data["regulator"]["website"] == "sandbox.example.org"
    assert "sandbox.example.org" in letter_html(letter.data)


def test_check_constraints_refuse_impossible_letters(staff: Staff, admitted_case: Case):
    common = {"case_id": admitted_case.id, "kind": "admission", "data": {}, "drafted_by_id": staff.officer.id}
    for values in ({"state": "issued"}, {"state": "draft", "number": "SBX/L/2026/000009"},
                   {"state": "superseded", "number": "SBX/L/2026/000009"}):
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.add(Letter(**common, **values))
            db.session.flush()


def test_issue_is_refused_to_a_decision_maker_who_assessed_and_takes_no_number(staff: Staff, draft: Letter):
    case = draft.case
    staff.officer.role = "decision_maker"  # promoted after assessing this case, and (wrongly) made its decider
    current = db.session.scalars(select(CaseAssignment).where(CaseAssignment.case_id == case.id,
                                                              CaseAssignment.role == "decision_maker")).one()
    current.ended_at, current.end_reason = utcnow(), "reassigned"
    db.session.add(CaseAssignment(case_id=case.id, user_id=staff.officer.id, role="decision_maker",
                                  assigned_by_id=staff.lead.id, declared_at=utcnow()))
    case.decision_maker_id = staff.officer.id
    db.session.commit()
    with pytest.raises(Forbidden, match="worked on the assessment"):
        issue_letter(db.session, draft, staff.officer, expected_version=draft.version)
    db.session.rollback()
    assert db.session.get(Letter, draft.id).state == "draft" and last_number(regulator_today().year) == 0


@pytest.mark.parametrize("who", ["officer", "decider2", "lead"])
def test_only_the_cases_decision_maker_issues(staff: Staff, draft: Letter, who: str):
    with pytest.raises(Forbidden):
        issue_letter(db.session, draft, getattr(staff, who), expected_version=draft.version)


def test_retried_issue_with_the_same_key_takes_no_second_number(staff: Staff, draft: Letter):
    version = draft.version
    issue_letter(db.session, draft, staff.decider, expected_version=version, idempotency_key="k-1")
    db.session.commit()
    number, pdf = draft.number, draft.pdf
    again = issue_letter(db.session, draft, staff.decider, expected_version=version, idempotency_key="k-1")
    db.session.commit()
    assert again.number == number and again.pdf == pdf and last_number(regulator_today().year) == 1
    with pytest.raises(Conflict, match="already been issued"):
        issue_letter(db.session, draft, staff.decider, expected_version=version, idempotency_key="k-2")
    db.session.rollback()
    assert last_number(regulator_today().year) == 1 and events(draft.case_id).count("letter.issued") == 1


def test_a_render_that_fails_takes_no_number(staff: Staff, draft: Letter, monkeypatch):
    def broken(_data):
        raise RuntimeError("the renderer fell over")

    monkeypatch.setattr(letter_operations, "render_letter", broken)
    with pytest.raises(RuntimeError):
        issue_letter(db.session, draft, staff.decider, expected_version=draft.version)
    db.session.rollback()
    assert last_number(regulator_today().year) == 0
    monkeypatch.undo()
    assert issue(db.session.get(Letter, draft.id), staff.decider).sequence == 1


def test_numbers_restart_each_year_without_gaps(staff: Staff, draft: Letter, case_in_assessment: Case):
    first = issue(draft, staff.decider, today=date(2031, 12, 31))
    assert first.number == "SBX/L/2031/000001"
    correction = draft_correction(db.session, first, staff.officer)
    db.session.commit()
    second = issue(correction, staff.decider, today=date(2032, 1, 2))
    assert second.number == "SBX/L/2032/000001"


def test_correction_supersedes_and_both_stay_in_the_register(staff: Staff, issued: Letter):
    original_pdf = issued.pdf
    correction = draft_correction(db.session, issued, staff.officer)
    db.session.commit()
    assert correction.data["supersedes"]["number"] == issued.number and correction.state == "draft"
    assert verify_number(db.session, issued.number).status == "authentic"  # until the correction is issued
    edit_draft(db.session, correction, staff.officer, {"introduction": "This letter corrects the address."},
               expected_version=correction.version)
    db.session.commit()
    issue(correction, staff.decider)
    db.session.expire_all()
    old, new = db.session.get(Letter, issued.id), db.session.get(Letter, correction.id)
    assert (old.state, new.state, new.supersedes_id) == ("superseded", "issued", old.id)
    assert old.pdf == original_pdf and old.superseded_at is not None
    assert verify_number(db.session, old.number).status == "superseded"
    assert verify_number(db.session, old.number).superseded_by == new.number
    assert db.session.scalar(select(func.count()).select_from(Letter)) == 2
    with pytest.raises(Conflict):
        draft_correction(db.session, old, staff.officer)


def test_rejection_letter_says_why_and_how_and_by_when_to_challenge(staff: Staff, case_pending_decision: Case):
    case = case_pending_decision
    decision = decide(db.session, case, staff.decider, "reject", "The model was not tested.\n\nNo plan to test it.",
                      expected_version=case.version)
    db.session.commit()
    letter = draft_decision_letter(db.session, decision, staff.officer)
    decided_on = regulator_today(decision.decided_at)
    assert letter.kind == "rejection"
    assert letter.data["decision"]["reasons"] == ["The model was not tested.", "No plan to test it."]
    assert letter.data["challenge"]["deadline_on"] == (decided_on + timedelta(days=30)).isoformat()


def test_information_request_letter_lists_the_questions(staff: Staff, case_in_assessment: Case):
    case = case_in_assessment
    due = regulator_today() + timedelta(days=14)
    request = send_information_request(db.session, case, staff.officer, ["Who oversees the model?"], due,
                                       expected_version=case.version)
    db.session.commit()
    letter = draft_information_request_letter(db.session, request, staff.officer)
    assert letter.kind == "information_request"
    assert letter.data["information_request"] == {"questions": ["Who oversees the model?"], "due_on": due.isoformat()}


def test_suspension_letter_is_drafted_by_the_decision_maker_of_a_case_in_testing(staff: Staff, admitted_case: Case):
    case = admitted_case
    details = {"reasons": "An incident harmed customers.", "effective_on": regulator_today() + timedelta(days=1),
               "challenge_deadline_on": regulator_today() + timedelta(days=30), "conditions": ["Fix the kill switch."]}
    with pytest.raises(DomainError, match="cannot be drafted"):
        draft_supervision_letter(db.session, case, staff.decider, "suspension", details)
    perform(db.session, case, "accept_conditions", staff.applicant, expected_version=case.version)
    db.session.commit()
    with pytest.raises(Forbidden):
        draft_supervision_letter(db.session, case, staff.officer, "suspension", details)
    letter = draft_supervision_letter(db.session, case, staff.decider, "suspension", details)
    assert letter.kind == "suspension" and letter.data["conditions"] == ["Fix the kill switch."]
    assert letter.data["testing"]["limits"]["max_customers"] == 500  # from the admission
    assert issue(letter, staff.decider).number.endswith("000001")


def test_checklist_ratings_are_annexed_to_the_admission_letter(staff: Staff, admitted_case: Case, checklist):
    checklist.append({"section_title": "Governance", "code": "GOV-01", "title": "Accountable senior manager",
                      "provisions": "EU AI Act Art. 9", "mandatory": True, "rating": "partly_met",
                      "rating_note": "Named, not yet trained.", "rated_by": "Omar Chan", "rated_at": utcnow(),
                      "applicant_statement": None})
    decision = db.session.scalars(select(Decision).where(Decision.case_id == admitted_case.id)).one()
    letter = draft_decision_letter(db.session, decision, staff.officer)
    assert letter.data["checklist_annex"] == [{"section": "Governance", "code": "GOV-01",
                                               "title": "Accountable senior manager", "rating": "Partly met",
                                               "note": "Named, not yet trained."}]


def test_counter_rows_are_locked_while_issuing_on_postgresql(staff: Staff, draft: Letter):
    """The lock the concurrency test relies on: FOR UPDATE on the counter, held until the commit."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE instead")
    take_next_number(db.session, LetterCounter, 2040)
    locked = db.session.execute(text(
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE c.relname = 'letter_counters' AND l.mode = 'RowShareLock'")).scalar_one()
    assert locked >= 1
    db.session.rollback()
