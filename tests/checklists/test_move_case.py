"""An administrator deliberately moves a running case to another published version: same codes keep their
statement, evidence and ratings, new items start unrated, removed ones are retired; the move is audited."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event

from sandbox.accounts.conflicts import declare_conflict
from sandbox.cases.models import Case
from sandbox.checklists.case_checklist import case_items, checklist_of
from sandbox.checklists.models import ChecklistTemplate
from sandbox.checklists.operations import move_case_to_template, rate_item, save_statement
from sandbox.checklists.templates import DEFAULT_CODE, publish_draft, remove_draft_item, save_draft_item, start_draft
from sandbox.extensions import db
from tests.checklists.conftest import (
    Staff,
    case_item,
    events,
    post_page_form,
    template_item,
    text_of,
)
from tests.factories import signed_in
from tests.reviews.conftest import submit_application

NEW_ITEM = {"section_code": "governance", "section_title": "Governance and accountability", "code": "GOV-09",
            "title": "Model inventory", "outcome": "Every model in the test is inventoried.",
            "process": "A register of models and versions.", "evidence": "The register.", "mandatory": True,
            "evidence_required": "document",
            "provisions": [{"regime": "eu_ai_act", "citation": "Art. 11"}, {"regime": "iso_42001",
                                                                          "citation": "Annex A.4"}]}


def publish_version_2(admin) -> ChecklistTemplate:
    """Version 2: GOV-01 reworded, GOV-09 added, GEN-04 removed; committed."""
    draft = start_draft(db.session, DEFAULT_CODE, admin)
    gov_01 = template_item(draft, "GOV-01")
    changed = {name: getattr(gov_01, name) for name in NEW_ITEM} | {"title": "Accountable executive"}
    save_draft_item(db.session, draft, changed, admin, item=gov_01, expected_version=draft.edit_version)
    save_draft_item(db.session, draft, NEW_ITEM, admin, item=None, expected_version=draft.edit_version)
    remove_draft_item(db.session, draft, template_item(draft, "GEN-04"), admin, expected_version=draft.edit_version)
    publish_draft(db.session, draft, admin, version_label="2027.1", expected_version=draft.edit_version)
    db.session.commit()
    return draft


def test_move_keeps_same_codes_adds_new_items_retires_removed_ones_and_is_audited(staff: Staff,
                                                                                  case_in_assessment: Case):
    case = case_in_assessment
    gov_01, gen_04 = case_item(case, "GOV-01"), case_item(case, "GEN-04")
    rate_item(db.session, case, gov_01, staff.officer, "partly_met", "Minute missing.", expected_version=gov_01.version)
    save_statement(db.session, case, gov_01, staff.applicant, "See the minute.", [], expected_version=gov_01.version)
    rate_item(db.session, case, gen_04, staff.officer, "met", "", expected_version=gen_04.version)
    db.session.commit()
    version_2 = publish_version_2(staff.admin)
    version_1_id = checklist_of(db.session, case.id).template_id

    counts = move_case_to_template(db.session, case, version_2, staff.admin)
    db.session.commit()

    assert counts == {"kept": 53, "added": 1, "retired": 1}
    assert checklist_of(db.session, case.id).template_id == version_2.id
    kept = case_item(case, "GOV-01")
    assert (kept.rating, kept.rating_note, kept.statement) == ("partly_met", "Minute missing.", "See the minute.")
    assert kept.title == "Accountable executive" and len(kept.ratings) == 1
    added = case_item(case, "GOV-09")
    assert added.rating is None and added.retired_at is None and len(added.provisions) == 2
    retired = case_item(case, "GEN-04")
    assert retired.retired_at is not None and retired.rating == "met"  # its history stays
    live = {item.code for item in case_items(db.session, case.id)}
    assert "GEN-04" not in live and {"GOV-01", "GOV-09"} <= live and len(live) == 54
    assert (case.checklist_total, case.checklist_outstanding) == (54, 53)
    (event,) = events("checklist.template_changed")
    assert event.actor_id == staff.admin.id and event.case_id == case.id
    assert event.details == {"from_template_id": version_1_id, "to_template_id": version_2.id, "version": 2,
                             "kept": 53, "added": 1, "retired": 1}


def test_admin_moves_a_case_by_reference_and_sees_the_counts(app: Flask, staff: Staff, submitted_case: Case):
    version_2 = publish_version_2(staff.admin)
    client = signed_in(app, staff.admin)
    page = text_of(client.get("/admin/checklists/cases"))
    assert "Version 2 (2027.1)" in page and "Version 1 (2026.1)" in page
    response = post_page_form(client, "/admin/checklists/cases", {
        "reference": submitted_case.reference.lower(), "template": str(version_2.id)})
    assert response.status_code == 303, text_of(response)[:2000]
    flashed = text_of(client.get(response.headers["Location"]))
    assert (f"{submitted_case.reference} now uses version 2 of the checklist: 53 items kept, 1 added, 1 retired."
            in flashed)
    assert checklist_of(db.session, submitted_case.id).template_id == version_2.id
    assert len(events("checklist.template_changed")) == 1
    again = post_page_form(client, "/admin/checklists/cases", {
        "reference": submitted_case.reference, "template": str(version_2.id)})
    assert again.status_code == 409 and "The case already uses this version" in text_of(again)


def test_unknown_case_and_conflicted_admin_get_the_same_not_found_answer(app: Flask, staff: Staff,
                                                                        submitted_case: Case):
    version_2 = publish_version_2(staff.admin)
    declare_conflict(db.session, staff.admin, staff.firm.id, "My brother runs the firm")
    db.session.commit()
    client = signed_in(app, staff.admin)
    for reference in (submitted_case.reference, "SBX-1999-9999"):
        response = post_page_form(client, "/admin/checklists/cases", {"reference": reference,
                                                                      "template": str(version_2.id)})
        assert response.status_code == 404
        assert f"There is no case with the reference {reference}" in text_of(response)
    assert checklist_of(db.session, submitted_case.id).template.version == 1
    assert events("checklist.template_changed") == []


def test_move_form_needs_a_reference_and_a_published_version(app: Flask, staff: Staff, submitted_case: Case):
    client = signed_in(app, staff.admin)
    draft = start_draft(db.session, DEFAULT_CODE, staff.admin)
    db.session.commit()
    response = post_page_form(client, "/admin/checklists/cases", {"reference": "", "template": ""})
    page = text_of(response)
    assert response.status_code == 422
    assert "Enter the case reference" in page and "Choose the version to move the case to" in page
    response = post_page_form(client, "/admin/checklists/cases", {"reference": submitted_case.reference,
                                                                  "template": str(draft.id)})
    assert response.status_code == 422 and "Choose a published version from the list" in text_of(response)


def test_move_form_costs_the_same_however_many_versions_there_are(app: Flask, staff: Staff, submitted_case: Case):
    client = signed_in(app, staff.admin)

    def statements_of_the_form() -> int:
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731 (before_cursor_execute's statement)
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/admin/checklists/cases").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    one_version = statements_of_the_form()
    for label in ("2027.1", "2027.2"):
        draft = start_draft(db.session, DEFAULT_CODE, staff.admin)
        publish_draft(db.session, draft, staff.admin, version_label=label, expected_version=draft.edit_version)
    db.session.commit()
    page = text_of(client.get("/admin/checklists/cases"))
    assert "Version 3 (2027.2)" in page and page.count("54 items") == 3
    assert statements_of_the_form() == one_version


def test_version_list_counts_the_cases_using_each_version(app: Flask, staff: Staff, submitted_case: Case):
    version_2 = publish_version_2(staff.admin)
    submit_application(staff.firm, staff.applicant)
    move_case_to_template(db.session, submitted_case, version_2, staff.admin)
    db.session.commit()
    page = text_of(signed_in(app, staff.admin).get("/admin/checklists/"))
    assert page.count('govuk-table__cell--numeric">2<') == 1  # both cases on version 2
    assert 'govuk-table__cell--numeric">0<' in page  # none left on version 1
