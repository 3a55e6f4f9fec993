"""The permission matrix of the checklist pages: only administrators reach /admin; an applicant reaches the
self-assessment of their own organisation's cases only (another organisation's case does not exist for them)."""

from __future__ import annotations

import pytest
from flask import Flask

from sandbox.cases.models import Case
from sandbox.checklists.templates import DEFAULT_CODE, start_draft
from sandbox.extensions import db
from tests.checklists.conftest import Staff, case_item, template_item
from tests.conftest import csrf_token_from
from tests.factories import signed_in
from tests.reviews.conftest import permission_cast

ACTORS = ("applicant", "other_applicant", "officer", "decider", "lead", "admin")
ADMIN_ONLY = [403, 403, 403, 403, 403, 200]
APPLICANT_ONLY = [200, 404, 403, 403, 403, 403]

PAGES = {
    "admin.checklists": ("/admin/checklists/", ADMIN_ONLY),
    "admin.version": ("/admin/checklists/{draft}", ADMIN_ONLY),
    "admin.add_item": ("/admin/checklists/{draft}/items/new", ADMIN_ONLY),
    "admin.edit_item": ("/admin/checklists/{draft}/items/{template_item}", ADMIN_ONLY),
    "admin.remove_item": ("/admin/checklists/{draft}/items/{template_item}/remove", ADMIN_ONLY),
    "admin.move_case": ("/admin/checklists/cases", ADMIN_ONLY),
    "portal_checklist.index": ("/applications/{case}/checklist", APPLICANT_ONLY),
    "portal_checklist.assess_item": ("/applications/{case}/checklist/{case_item}", APPLICANT_ONLY),
}

# Forms: who may act (anyone else gets 403 or 404 and nothing changes).
FORMS = {
    "admin.start_draft": ("/admin/checklists/drafts", {"code": DEFAULT_CODE}, "admin"),
    "admin.publish": ("/admin/checklists/{draft}/publish", {"version_label": "2027.1", "edit_version": "{edit}"},
                      "admin"),
    "admin.add_item/POST": ("/admin/checklists/{draft}/items/new", {"code": "X-1", "edit_version": "{edit}"},
                            "admin"),
    "admin.remove_item/POST": ("/admin/checklists/{draft}/items/{template_item}/remove",
                               {"edit_version": "{edit}"}, "admin"),
    "admin.move_case/POST": ("/admin/checklists/cases", {"reference": "{reference}", "template": "{draft}"}, "admin"),
    "portal_checklist.assess_item/POST": ("/applications/{case}/checklist/{case_item}",
                                          {"statement": "Ours.", "item_version": "{item_version}"}, "applicant"),
}


@pytest.fixture
def actors(staff: Staff, submitted_case: Case) -> dict:
    people = permission_cast(staff)
    db.session.commit()
    return people


@pytest.fixture
def ids(staff: Staff, submitted_case: Case) -> dict:
    draft = start_draft(db.session, DEFAULT_CODE, staff.admin)
    db.session.commit()
    item = case_item(submitted_case, "GOV-01")
    return {"draft": draft.id, "template_item": template_item(draft, "GOV-02").id, "case": submitted_case.id,
            "case_item": item.id, "edit": draft.edit_version, "reference": submitted_case.reference,
            "item_version": item.version}


@pytest.mark.parametrize("endpoint", sorted(PAGES))
def test_pages_answer_each_role_as_the_matrix_says(app: Flask, actors, ids, endpoint):
    path, expected = PAGES[endpoint]
    found = [signed_in(app, actors[name]).get(path.format(**ids)).status_code for name in ACTORS]
    assert dict(zip(ACTORS, found, strict=True)) == dict(zip(ACTORS, expected, strict=True))


@pytest.mark.parametrize("endpoint", sorted(FORMS))
def test_forms_refuse_everyone_else(app: Flask, actors, ids, endpoint):
    path, data, allowed = FORMS[endpoint]
    for name in ACTORS:
        if name == allowed:
            continue
        client = signed_in(app, actors[name])
        values = {key: value.format(**ids) for key, value in data.items()}
        response = client.post(path.format(**ids), data={**values, "csrf_token": csrf_token_from(client, "/")})
        assert response.status_code in (403, 404), (name, endpoint, response.status_code)


def test_every_checklist_route_is_in_the_matrix(app: Flask):
    covered = {endpoint.split("/")[0] for endpoint in (*PAGES, *FORMS)}
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.endpoint.split(".")[0] in ("admin", "portal_checklist")}
    assert endpoints - covered == set()


def test_only_administrators_see_the_checklists_link(app: Flask, actors):
    for name in ACTORS:
        page = signed_in(app, actors[name]).get("/").get_data(as_text=True)
        assert ('href="/admin/checklists/"' in page) == (name == "admin"), name
