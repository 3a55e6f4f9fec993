"""The applicant's self-assessment: the case's checklist by section, a statement and document links per item, the
regulator's questions about an item; never the regulator's ratings or notes."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask

from sandbox.cases.models import Case
from sandbox.checklists.case_checklist import case_items
from sandbox.checklists.operations import ask_about_item, rate_item
from sandbox.core.db import utcnow
from sandbox.core.permissions import Role
from sandbox.extensions import db
from sandbox.workflow.engine import perform, regulator_today
from tests.checklists.conftest import (
    ITEM_VERSION,
    Staff,
    case_item,
    events,
    submit_with_documents,
    text_of,
)
from tests.conftest import csrf_token_from
from tests.factories import make_organisation, make_user, signed_in

SECRET_NOTE = "Internal: the board minute looks back-dated, check with the FCA"


def checklist_path(case: Case, code: str | None = None) -> str:
    base = f"/applications/{case.id}/checklist"
    return f"{base}/{case_item(case, code).id}" if code else base


def save_statement(client, case: Case, code: str, statement: str, document_ids: list[int | str], *,
                   version: str | None = None):
    path = checklist_path(case, code)
    page = text_of(client.get(path))
    data = {"csrf_token": csrf_token_from(client, path), "statement": statement,
            "item_version": version or ITEM_VERSION.search(page).group(1),
            "documents": [str(document_id) for document_id in document_ids]}
    return client.post(path, data=data)


def test_checklist_lists_every_item_by_section_with_its_guidance(app: Flask, staff: Staff, submitted_case: Case):
    client = signed_in(app, staff.applicant)
    status = text_of(client.get(f"/applications/{submitted_case.id}"))
    assert "Compliance checklist: 0 of 54 items self-assessed" in status
    page = text_of(client.get(checklist_path(submitted_case)))
    assert page.count('class="app-self-assessment__item"') == 54
    assert "Governance and accountability" in page and "Exit and post-market readiness" in page
    gov_01 = page[page.index('id="item-GOV-01"'):page.index('id="item-GOV-02"')]
    for expected in ("Named accountable senior manager", "Mandatory", "Evidence required: a document", "Not started",
                     "A named senior manager is personally accountable", "The board or equivalent body appoints",
                     "Board minute or appointment letter",
                     "EU AI Act (Regulation (EU) 2024/1689):</span> Art. 17(1)(m)"):
        assert expected in gov_01, expected


def test_regime_filter_shows_only_the_items_citing_it(app: Flask, staff: Staff, submitted_case: Case):
    client = signed_in(app, staff.applicant)
    page = text_of(client.get(checklist_path(submitted_case) + "?regime=gdpr"))
    shown = re.findall(r'id="item-([A-Z]+-\d+)"', page)
    citing = {item.code for item in (case_item(submitted_case, code) for code in shown) if "gdpr" in item.regime_keys()}
    assert shown and set(shown) == citing and len(shown) < 54
    assert f"{len(shown)} items cite this regime" in page
    # Every item citing it is shown, in the checklist's order; the progress still counts the whole checklist.
    assert shown == [item.code for item in case_items(db.session, submitted_case.id) if "gdpr" in item.regime_keys()]
    assert "You have self-assessed 0 of 54 items." in page


def test_statement_with_document_links_is_saved_and_counted(app: Flask, staff: Staff):
    case, (_dpia, minute) = submit_with_documents(staff.firm, staff.applicant, ["dpia.pdf", "board-minute.pdf"])
    client = signed_in(app, staff.applicant)
    page = text_of(client.get(checklist_path(case, "GOV-01")))
    assert "board-minute.pdf" in page and "dpia.pdf" in page and 'name="item_version"' in page
    response = save_statement(client, case, "GOV-01", "Our CRO is accountable; see the minute.", [minute.id])
    assert response.status_code == 303, text_of(response)[:2000]
    item = case_item(case, "GOV-01")
    assert item.statement == "Our CRO is accountable; see the minute."
    assert [link.document_id for link in item.evidence_links] == [minute.id]
    assert item.statement_by_id == staff.applicant.id
    assert [e.details["documents"] for e in events("checklist.statement_saved")] == [[minute.id]]
    page = text_of(client.get(checklist_path(case)))
    gov_01 = page[page.index('id="item-GOV-01"'):page.index('id="item-GOV-02"')]
    assert "Documents linked" in gov_01
    assert "Compliance checklist: 1 of 54 items self-assessed" in text_of(client.get(f"/applications/{case.id}"))
    assert "You have self-assessed 1 of 54 items." in page
    # A statement alone is "statement given".
    assert save_statement(client, case, "GOV-02", "Responsibilities are in the RACI.", []).status_code == 303
    page = text_of(client.get(checklist_path(case)))
    assert "Statement given" in page[page.index('id="item-GOV-02"'):page.index('id="item-GOV-03"')]


def test_another_cases_document_cannot_be_linked(app: Flask, staff: Staff):
    case, _documents = submit_with_documents(staff.firm, staff.applicant, ["dpia.pdf"])
    other_firm = make_organisation(name="Another Firm Ltd")
    other_applicant = make_user(Role.APPLICANT, other_firm)
    _other_case, (theirs,) = submit_with_documents(other_firm, other_applicant, ["their-secret.pdf"])
    client = signed_in(app, staff.applicant)
    assert "their-secret.pdf" not in text_of(client.get(checklist_path(case, "GOV-01")))
    response = save_statement(client, case, "GOV-01", "Typed and kept.", [theirs.id])
    page = text_of(response)
    assert response.status_code == 422
    assert "Choose documents uploaded to this application" in page and "Typed and kept." in page
    item = case_item(case, "GOV-01")
    assert item.statement is None and item.evidence_links == []
    assert events("checklist.statement_saved") == []


def test_document_choice_that_is_not_on_the_list_is_refused_beside_the_boxes(app: Flask, staff: Staff):
    case, _documents = submit_with_documents(staff.firm, staff.applicant, ["dpia.pdf"])
    client = signed_in(app, staff.applicant)
    response = save_statement(client, case, "GOV-01", "Typed and kept.", ["not-a-document"])
    page = text_of(response)
    assert response.status_code == 422
    assert 'href="#documents">Choose documents from the list</a>' in page and "Typed and kept." in page
    assert case_item(case, "GOV-01").statement is None


def test_stale_statement_is_refused_with_409_keeping_what_was_typed(app: Flask, staff: Staff, submitted_case: Case):
    client = signed_in(app, staff.applicant)
    colleague = signed_in(app, staff.colleague)
    seen = ITEM_VERSION.search(text_of(client.get(checklist_path(submitted_case, "GOV-01")))).group(1)
    assert save_statement(colleague, submitted_case, "GOV-01", "Ben's statement.", []).status_code == 303
    response = save_statement(client, submitted_case, "GOV-01", "Alice's statement, typed at length.", [],
                              version=seen)
    page = text_of(response)
    assert response.status_code == 409
    assert "Someone changed this checklist item since you opened it" in page
    assert "Alice&#39;s statement, typed at length." in page and "Ben&#39;s statement." in page
    assert case_item(submitted_case, "GOV-01").statement == "Ben's statement."


def test_after_the_assessment_the_item_is_read_only(app: Flask, staff: Staff, submitted_case: Case):
    client = signed_in(app, staff.applicant)
    assert save_statement(client, submitted_case, "GOV-01", "Kept for the record.", []).status_code == 303
    perform(db.session, submitted_case, "withdraw", staff.applicant, payload={"reasons": "Not ready."},
            expected_version=submitted_case.version)
    db.session.commit()
    page = text_of(client.get(checklist_path(submitted_case, "GOV-01")))
    assert "can no longer be changed" in page and "Kept for the record." in page and "<textarea" not in page
    response = save_statement(client, submitted_case, "GOV-01", "Changed after the end.", [], version="2")
    assert response.status_code == 422 and "can no longer be changed" in text_of(response)
    assert case_item(submitted_case, "GOV-01").statement == "Kept for the record."


def test_applicant_pages_never_show_the_rating_or_its_note(app: Flask, staff: Staff, case_in_assessment: Case):
    item = case_item(case_in_assessment, "GOV-01")
    rate_item(db.session, case_in_assessment, item, staff.officer, "not_met", SECRET_NOTE,
              expected_version=item.version)
    item = case_item(case_in_assessment, "GOV-02")
    rate_item(db.session, case_in_assessment, item, staff.officer, "partly_met", SECRET_NOTE + " (2)",
              expected_version=item.version)
    db.session.commit()
    client = signed_in(app, staff.applicant)
    pages = [f"/applications/{case_in_assessment.id}", checklist_path(case_in_assessment),
             checklist_path(case_in_assessment) + "?regime=eu_ai_act"]
    pages += [checklist_path(case_in_assessment, code) for code in ("GOV-01", "GOV-02", "GOV-03")]
    for path in pages:
        response = client.get(path)
        page = text_of(response)
        assert response.status_code == 200, path
        for secret in ("back-dated", "Not met", "Partly met", "not_met", "partly_met", staff.officer.full_name):
            assert secret not in page, (path, secret)
        assert not re.search(r"\b(ratings?|rated)\b", page, re.IGNORECASE), path


def test_question_asked_from_an_item_shows_on_the_request_and_the_item(app: Flask, staff: Staff,
                                                                        case_in_assessment: Case):
    item = case_item(case_in_assessment, "DATA-03")
    ask_about_item(db.session, case_in_assessment, item, staff.officer, "Which groups did the bias test cover?",
                   regulator_today() + timedelta(days=14), expected_version=case_in_assessment.version)
    db.session.commit()
    client = signed_in(app, staff.applicant)
    request_page = text_of(client.get(f"/applications/{case_in_assessment.id}/information-request"))
    assert "Which groups did the bias test cover?" in request_page
    plain = re.sub(r"<[^>]+>", "", request_page)
    assert f"About checklist item DATA-03: {item.title}" in plain
    assert f'href="{checklist_path(case_in_assessment, "DATA-03")}"' in request_page
    item_page = text_of(client.get(checklist_path(case_in_assessment, "DATA-03")))
    assert "The regulator asked about this item:" in item_page
    assert "Which groups did the bias test cover?" in item_page
    assert f'href="/applications/{case_in_assessment.id}/information-request"' in item_page
    other_page = text_of(client.get(checklist_path(case_in_assessment, "DATA-02")))
    assert "The regulator asked about this item" not in other_page


def test_a_draft_has_no_checklist_yet(app: Flask, staff: Staff):
    from sandbox.applications import operations

    case = operations.start_application(db.session, staff.firm, staff.applicant)
    db.session.commit()
    client = signed_in(app, staff.applicant)
    assert client.get(f"/applications/{case.id}/checklist").status_code == 404
    assert "Compliance checklist:" not in text_of(client.get(f"/applications/{case.id}"))


def test_retired_item_and_another_cases_item_are_not_found(app: Flask, staff: Staff, submitted_case: Case):
    from tests.reviews.conftest import submit_application

    other = submit_application(staff.firm, staff.applicant)
    client = signed_in(app, staff.applicant)
    foreign_item = case_item(other, "GOV-01")
    assert client.get(f"/applications/{submitted_case.id}/checklist/{foreign_item.id}").status_code == 404
    item = case_item(submitted_case, "GOV-01")
    item.retired_at = utcnow()  # as when an administrator moves the case to a version without the item
    db.session.commit()
    assert client.get(checklist_path(submitted_case, "GOV-01")).status_code == 404
    assert 'id="item-GOV-01"' not in text_of(client.get(checklist_path(submitted_case)))
