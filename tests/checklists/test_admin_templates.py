"""Administrators edit the checklist as data: a draft of the next version, items changed, added and removed, then
published. Cases keep the version they were sent under; mistakes and stale forms change nothing."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from sandbox.cases.models import Case
from sandbox.checklists.case_checklist import case_items, checklist_of
from sandbox.checklists.models import ChecklistTemplate
from sandbox.checklists.templates import DEFAULT_CODE, latest_published, start_draft
from sandbox.core.errors import NotFound
from sandbox.extensions import db
from tests.checklists.conftest import (
    Staff,
    events,
    item_form,
    post_page_form,
    template_item,
    template_version,
    text_of,
    the_draft,
)
from tests.factories import signed_in
from tests.reviews.conftest import submit_application


def start_a_draft(client) -> ChecklistTemplate:
    response = post_page_form(client, "/admin/checklists/drafts", {"code": DEFAULT_CODE},
                              form_page="/admin/checklists/")
    assert response.status_code == 303, text_of(response)[:1000]
    draft = the_draft()
    assert response.headers["Location"] == f"/admin/checklists/{draft.id}"
    return draft


def edit_path(draft: ChecklistTemplate, code: str) -> str:
    return f"/admin/checklists/{draft.id}/items/{template_item(draft, code).id}"


def test_list_shows_each_version_with_its_items_and_cases(app: Flask, staff: Staff, submitted_case: Case):
    page = text_of(signed_in(app, staff.admin).get("/admin/checklists/"))
    assert "AI models tested under supervision" in page and "Version 1" in page and "2026.1" in page
    assert "In force" in page and "from the bundled file" in page
    row = re.search(r"Version 1</a>.*?</tr>", page, re.S).group(0)
    assert re.findall(r'cell--numeric">(\d+)<', row) == ["54", "1"]  # items, cases using it


def test_draft_edited_and_published_becomes_version_2_while_a_sent_case_keeps_version_1(
        app: Flask, staff: Staff, submitted_case: Case):
    client = signed_in(app, staff.admin)
    draft = start_a_draft(client)
    assert draft.version == 2 and not draft.is_published
    old_title = template_item(draft, "GOV-01").title
    response = post_page_form(client, edit_path(draft, "GOV-01"), item_form(
        template_item(draft, "GOV-01"), title="Named accountable executive for the test"))
    assert response.status_code == 303, text_of(response)[:2000]
    response = post_page_form(client, f"/admin/checklists/{draft.id}/publish", {"version_label": "2027.1"},
                              form_page=f"/admin/checklists/{draft.id}")
    assert response.status_code == 303
    db.session.expire_all()
    version_2 = latest_published(db.session)
    assert (version_2.id, version_2.version, version_2.version_label) == (draft.id, 2, "2027.1")
    assert template_item(version_2, "GOV-01").title == "Named accountable executive for the test"
    # The case sent earlier keeps version 1, word for word.
    assert checklist_of(db.session, submitted_case.id).template.version == 1
    assert {item.code: item.title for item in case_items(db.session, submitted_case.id)}["GOV-01"] == old_title
    # A case sent now gets version 2.
    later = submit_application(staff.firm, staff.applicant)
    assert checklist_of(db.session, later.id).template.version == 2
    assert [e.details["version"] for e in events("checklist_template.published")] == [1, 2]
    assert [e.actor_id for e in events("checklist_template.item_saved")] == [staff.admin.id]
    page = text_of(client.get("/admin/checklists/"))
    assert "Earlier version" in page and "by Ada Cheung" in page


def test_item_citing_two_regimes_is_saved_with_both_and_empty_rows_ignored(app: Flask, staff: Staff):
    client = signed_in(app, staff.admin)
    draft = start_a_draft(client)
    form = item_form(**{"provision-1-regime": "eu_ai_act", "provision-1-citation": "Art. 9(2)",
                        "provision-2-regime": "", "provision-2-citation": "",
                        "provision-3-regime": "hkma_genai_2024", "provision-3-citation": "Section 3"})
    response = post_page_form(client, f"/admin/checklists/{draft.id}/items/new", form)
    assert response.status_code == 303, text_of(response)[:2000]
    db.session.expire_all()
    item = template_item(the_draft(), "GOV-09")
    assert item.provisions == [{"regime": "eu_ai_act", "citation": "Art. 9(2)"},
                               {"regime": "hkma_genai_2024", "citation": "Section 3"}]
    assert item.section_code == "governance" and item.position == 5  # after GOV-01..04
    page = text_of(client.get(f"/admin/checklists/{draft.id}"))
    card = page[page.index('id="item-GOV-09"'):]
    assert "EU AI Act (Regulation (EU) 2024/1689):</span> Art. 9(2)" in card
    assert ("HKMA circular on consumer protection in respect of use of generative AI (August 2024):</span> "
            "Section 3") in card


def test_item_in_a_new_section_goes_last(app: Flask, staff: Staff):
    client = signed_in(app, staff.admin)
    draft = start_a_draft(client)
    form = item_form(code="ENV-01", section="new", new_section_code="environment",
                     new_section_title="Environmental impact")
    assert post_page_form(client, f"/admin/checklists/{draft.id}/items/new", form).status_code == 303
    db.session.expire_all()
    draft = the_draft()
    assert draft.items[-1].code == "ENV-01" and draft.items[-1].section_title == "Environmental impact"


def test_moving_an_item_to_another_section_places_it_last_there(app: Flask, staff: Staff):
    client = signed_in(app, staff.admin)
    draft = start_a_draft(client)
    form = item_form(template_item(draft, "GOV-01"), section="exit_readiness")
    assert post_page_form(client, edit_path(draft, "GOV-01"), form).status_code == 303
    db.session.expire_all()
    assert [item.code for item in the_draft().items][-2:] == ["EXIT-04", "GOV-01"]


def test_invalid_item_is_refused_with_a_message_per_field_and_nothing_is_saved(app: Flask, staff: Staff):
    client = signed_in(app, staff.admin)
    draft = start_a_draft(client)
    before = (draft.edit_version, len(draft.items))
    form = item_form(code="GOV 9!", title="", outcome="Typed by the administrator, kept on the page.",
                     mandatory="", section="new", new_section_code="", new_section_title="",
                     **{"provision-1-regime": "", "provision-1-citation": "Art. 11",
                        "provision-2-regime": "eu_ai_act", "provision-2-citation": ""})
    response = post_page_form(client, f"/admin/checklists/{draft.id}/items/new", form)
    page = text_of(response)
    assert response.status_code == 422
    assert "There is a problem" in page and page.count('class="govuk-error-summary"') == 1
    for message in ("Use letters, digits, dots and hyphens only in the code", "Enter the item&#39;s title",
                    "Say whether the item is mandatory", "Enter a code for the new section",
                    "Enter a title for the new section", "Choose the regime of provision 1",
                    "Enter the citation of provision 2"):
        assert message in page, message
    assert 'href="#provision-1-regime"' in page and 'href="#new_section_code"' in page
    assert "Typed by the administrator, kept on the page." in page and 'value="GOV 9!"' in page
    db.session.expire_all()
    draft = the_draft()
    assert (draft.edit_version, len(draft.items)) == before
    assert events("checklist_template.item_saved") == []


def test_item_without_provisions_or_with_a_taken_code_is_refused(app: Flask, staff: Staff):
    client = signed_in(app, staff.admin)
    draft = start_a_draft(client)
    no_provision = item_form(**{"provision-1-regime": "", "provision-1-citation": ""})
    page = text_of(post_page_form(client, f"/admin/checklists/{draft.id}/items/new", no_provision))
    assert "Cite at least one provision" in page
    response = post_page_form(client, f"/admin/checklists/{draft.id}/items/new", item_form(code="GOV-01"))
    assert response.status_code == 422 and "Another item of this draft already has the code GOV-01" in text_of(response)


def test_unknown_field_is_refused(app: Flask, staff: Staff):
    client = signed_in(app, staff.admin)
    draft = start_a_draft(client)
    response = post_page_form(client, f"/admin/checklists/{draft.id}/items/new", item_form(is_published="yes"))
    assert response.status_code == 422 and "Unknown field" in text_of(response)


def test_stale_draft_form_is_refused_with_409_and_changes_nothing(app: Flask, staff: Staff):
    client = signed_in(app, staff.admin)
    draft = start_a_draft(client)
    path = edit_path(draft, "GOV-02")
    seen_version = draft.edit_version
    # Another administrator saves a change to the draft first.
    colleague = signed_in(app, staff.admin)
    assert post_page_form(colleague, edit_path(draft, "GOV-03"), item_form(
        template_item(draft, "GOV-03"), title="Changed first")).status_code == 303
    response = post_page_form(client, path, item_form(template_item(draft, "GOV-02"), title="Changed second"),
                              edit_version=seen_version)
    page = text_of(response)
    assert response.status_code == 409
    assert "Someone changed this draft since you opened it" in page and 'value="Changed second"' in page
    db.session.expire_all()
    draft = the_draft()
    assert template_item(draft, "GOV-02").title != "Changed second"
    assert template_item(draft, "GOV-03").title == "Changed first"
    stale_publish = post_page_form(client, f"/admin/checklists/{draft.id}/publish", {"version_label": "2027.1"},
                                   form_page=f"/admin/checklists/{draft.id}", edit_version=seen_version)
    assert stale_publish.status_code == 409
    db.session.expire_all()
    assert not the_draft().is_published


def test_removing_an_item_asks_first_then_removes_it_from_the_draft_only(app: Flask, staff: Staff,
                                                                          submitted_case: Case):
    client = signed_in(app, staff.admin)
    draft = start_a_draft(client)
    path = f"{edit_path(draft, 'GEN-04')}/remove"
    confirm = text_of(client.get(path))
    assert "Remove GEN-04 from the draft?" in confirm and "Remove the item" in confirm
    response = post_page_form(client, path, {})
    assert response.status_code == 303
    db.session.expire_all()
    assert "GEN-04" not in {item.code for item in the_draft().items}
    assert "GEN-04" in {item.code for item in template_version(DEFAULT_CODE, 1).items}
    assert "GEN-04" in {item.code for item in case_items(db.session, submitted_case.id)}
    assert [e.details["code"] for e in events("checklist_template.item_removed")] == ["GEN-04"]


def test_publishing_needs_a_label(app: Flask, staff: Staff):
    client = signed_in(app, staff.admin)
    draft = start_a_draft(client)
    response = post_page_form(client, f"/admin/checklists/{draft.id}/publish", {"version_label": " "},
                              form_page=f"/admin/checklists/{draft.id}")
    assert response.status_code == 422 and "Give the version a label, for example 2027.1" in text_of(response)
    db.session.expire_all()
    assert not the_draft().is_published


def test_a_published_version_cannot_be_edited(app: Flask, staff: Staff, submitted_case: Case):
    client = signed_in(app, staff.admin)
    version_1 = template_version(DEFAULT_CODE, 1)
    page = text_of(client.get(f"/admin/checklists/{version_1.id}"))
    assert "Start a new draft" in page and "/items/" not in page  # no Change or Remove links
    response = client.get(f"/admin/checklists/{version_1.id}/items/{template_item(version_1, 'GOV-01').id}")
    assert response.status_code == 409 and "is published and can no longer change" in text_of(response)
    response = post_page_form(client, f"/admin/checklists/{version_1.id}/items/new", item_form(),
                              form_page="/admin/checklists/", edit_version=version_1.edit_version)
    assert response.status_code == 409


def test_starting_a_draft_twice_continues_the_same_draft(app: Flask, staff: Staff):
    client = signed_in(app, staff.admin)
    first = start_a_draft(client)
    again = client.post("/admin/checklists/drafts", data={
        "code": DEFAULT_CODE, "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', text_of(
            client.get(f"/admin/checklists/{first.id}"))).group(1)})
    assert again.status_code == 303 and again.headers["Location"] == f"/admin/checklists/{first.id}"
    assert len(events("checklist_template.draft_started")) == 1
    assert "Continue editing the draft" in text_of(client.get("/admin/checklists/"))


def test_draft_of_an_unknown_template_is_not_found(app: Flask, staff: Staff):
    client = signed_in(app, staff.admin)
    response = post_page_form(client, "/admin/checklists/drafts", {"code": "no-such-checklist"},
                              form_page="/admin/checklists/")
    assert response.status_code == 404
    assert db.session.query(ChecklistTemplate).count() == 0


def test_draft_of_an_unknown_template_is_refused_by_the_domain_too(staff: Staff):
    with pytest.raises(NotFound, match="There is no checklist with the code no-such-checklist"):
        start_draft(db.session, "no-such-checklist", staff.admin)
    assert db.session.query(ChecklistTemplate).count() == 0  # the bundled one is not published under another code


def test_item_of_another_version_is_not_found_under_the_draft(app: Flask, staff: Staff, submitted_case: Case):
    client = signed_in(app, staff.admin)
    draft = start_a_draft(client)
    published_item = template_item(template_version(DEFAULT_CODE, 1), "GOV-01")
    for path in (f"/admin/checklists/{draft.id}/items/{published_item.id}",
                 f"/admin/checklists/{draft.id}/items/{published_item.id}/remove"):
        assert client.get(path).status_code == 404, path
