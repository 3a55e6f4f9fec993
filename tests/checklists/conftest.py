"""Checklist tests start from the review cast (tests/reviews/conftest.py): an administrator, officers, an applicant
firm and cases sent under the bundled checklist (version 1). Helpers post the admin forms as a browser does."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, current_app
from flask.testing import FlaskClient
from sqlalchemy import select

from sandbox.accounts.models import Organisation, User
from sandbox.applications import documents, operations
from sandbox.applications.models import Document
from sandbox.applications.sections import SECTIONS
from sandbox.cases.models import Case
from sandbox.checklists.case_checklist import case_items
from sandbox.checklists.models import CaseItem, ChecklistTemplate, TemplateItem, TemplateStatus
from sandbox.core.audit import AuditEvent
from sandbox.extensions import db
from tests.applications.filling import section_answers
from tests.conftest import csrf_token_from
from tests.reviews import conftest as review_fixtures
from tests.reviews.conftest import Staff

# The review tests' people and cases, as fixtures here too.
staff = review_fixtures.staff
submitted_case = review_fixtures.submitted_case
case_in_assessment = review_fixtures.case_in_assessment

PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
       b"trailer\n<< /Root 1 0 R >>\n%%EOF\n")
EDIT_VERSION = re.compile(r'name="edit_version" value="(\d+)"')
ITEM_VERSION = re.compile(r'name="item_version" value="(\d+)"')


@pytest.fixture(autouse=True)
def storage_root(app: Flask, tmp_path: Path) -> Iterator[Path]:
    """Each test keeps its uploaded files in a folder of its own (the app is shared by the whole run)."""
    before = app.config["SANDBOX_STORAGE_PATH"]
    app.config["SANDBOX_STORAGE_PATH"] = str(tmp_path / "documents")
    yield tmp_path / "documents"
    app.config["SANDBOX_STORAGE_PATH"] = before



def text_of(response: Any) -> str:
    return response.get_data(as_text=True)


def post_page_form(client: FlaskClient, path: str, data: dict[str, Any], *, form_page: str | None = None,
                   edit_version: int | None = None):
    """POST as the browser does: the CSRF token and the draft's edit version shown by the form page."""
    page = text_of(client.get(form_page or path))
    values = dict(data)
    found = EDIT_VERSION.search(page)
    if edit_version is not None:
        values["edit_version"] = str(edit_version)
    elif found:
        values["edit_version"] = found.group(1)
    return client.post(path, data={**values, "csrf_token": csrf_token_from(client, form_page or path)})


def item_form(item: TemplateItem | None = None, **changes: Any) -> dict[str, Any]:
    """The item form's fields for `item` (or a new item in the governance section), with `changes` applied."""
    values: dict[str, Any] = {
        "code": "GOV-09", "title": "Model inventory", "outcome": "Every model in the test is inventoried.",
        "process": "The firm keeps a register of models and versions.", "evidence": "The model register.",
        "mandatory": "yes", "evidence_required": "document", "section": "governance",
        "new_section_code": "", "new_section_title": "",
        "provision-1-regime": "eu_ai_act", "provision-1-citation": "Art. 11",
        "provision-2-regime": "", "provision-2-citation": "", "provision-3-regime": "", "provision-3-citation": ""}
    if item is not None:
        values.update(code=item.code, title=item.title, outcome=item.outcome, process=item.process,
                      evidence=item.evidence, mandatory="yes" if item.mandatory else "no",
                      evidence_required=item.evidence_required, section=item.section_code)
        for slot in range(1, max(3, len(item.provisions)) + 1):
            provision = item.provisions[slot - 1] if slot <= len(item.provisions) else {"regime": "", "citation": ""}
            values[f"provision-{slot}-regime"], values[f"provision-{slot}-citation"] = (provision["regime"],
                                                                                        provision["citation"])
    values.update(changes)
    return values


def template_version(code: str, version: int) -> ChecklistTemplate:
    return db.session.scalars(select(ChecklistTemplate).where(ChecklistTemplate.code == code,
                                                              ChecklistTemplate.version == version)).one()


def the_draft() -> ChecklistTemplate:
    return db.session.scalars(select(ChecklistTemplate).where(
        ChecklistTemplate.status == TemplateStatus.DRAFT.value)).one()


def template_item(template: ChecklistTemplate, code: str) -> TemplateItem:
    return next(item for item in template.items if item.code == code)


def case_item(case: Case, code: str) -> CaseItem:
    return next(item for item in case_items(db.session, case.id, include_retired=True) if item.code == code)


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def submit_with_documents(organisation: Organisation, applicant: User, names: list[str]) -> tuple[Case, list[Document]]:
    """A complete application with these PDFs uploaded while it was a draft, then sent; committed."""
    case = operations.start_application(db.session, organisation, applicant)
    for section in SECTIONS:
        operations.save_section(db.session, case, section.key, section_answers(section), applicant,
                                based_on_version=0, mark_complete=True)
    storage = documents.storage_for(current_app)
    uploaded = [documents.upload_document(db.session, storage, case, applicant, io.BytesIO(PDF), name, None,
                                          1024 * 1024) for name in names]
    operations.submit_application(db.session, case, applicant, {
        "signatory_name": applicant.full_name, "signatory_role": "Director", "attested": True,
        "signed_by_user_id": applicant.id}, expected_version=case.version)
    db.session.commit()
    return case, uploaded


__all__ = ["Staff"]
