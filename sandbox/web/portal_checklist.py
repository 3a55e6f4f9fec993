"""The applicant's self-assessment against the case's compliance checklist: the list (filtered by regime) and
each item with a statement and links to the application's documents.

The pages show items as ApplicantItemSchema dumps them: the regulator's ratings and notes never reach them.
A save carries the item's version; a form overtaken by a colleague's save is shown again with what was typed (409).
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from sandbox.accounts.models import User
from sandbox.applications import documents
from sandbox.applications.access import case_for_applicant
from sandbox.applications.models import Document
from sandbox.cases.models import Case
from sandbox.checklists import catalogue, operations, self_assessment
from sandbox.checklists.models import CaseItem
from sandbox.checklists.schemas import StatementSchema
from sandbox.core.errors import DomainError, NotFound
from sandbox.core.permissions import Role, roles
from sandbox.extensions import db
from sandbox.reviews.models import InformationRequest
from sandbox.reviews.schemas_case import InvalidInput
from sandbox.web.forms import field_messages

bp = Blueprint("portal_checklist", __name__, url_prefix="/applications/<int:case_id>/checklist")
applicant_only = roles(Role.APPLICANT)
NOT_FORM_FIELDS = ("csrf_token", "item_version")


@bp.get("")
@applicant_only
def index(case_id: int) -> str:
    case = case_for_applicant(db.session, current_user, case_id)
    regimes, items = _checklist(case)
    regime = request.args.get("regime", "")
    shown = [item for item in items if not regime or regime in {p["regime"] for p in item["provisions"]}]
    return render_template(
        "portal/checklist.html", case=case, regimes=regimes, regime=regime,
        groups=catalogue.grouped_by_section(shown, itemgetter("section_code", "section_title")),
        shown=len(shown), progress=self_assessment.progress_of(items),
        regime_options=[{"value": "", "text": _("All regimes")}] + [
            {"value": key, "text": name, "selected": key == regime} for key, name in regimes.items()])


@bp.route("/<int:item_id>", methods=["GET", "POST"])
@applicant_only
def assess_item(case_id: int, item_id: int) -> ResponseReturnValue:
    case = case_for_applicant(db.session, current_user, case_id)
    item = _item(case, item_id)
    if request.method == "GET":
        return _render_item(case, item, {})
    try:
        data = StatementSchema().load(_posted())
        operations.save_statement(db.session, case, item, _user(), data["statement"], data["documents"],
                                  expected_version=_item_version())
    except (ValidationError, DomainError) as error:
        return _again(case, item_id, error)
    flash(_("Your self-assessment of %(code)s has been saved.", code=item.code), "success")
    return redirect(url_for("portal_checklist.index", case_id=case.id, _anchor=f"item-{item.code}"), 303)


@bp.app_template_global("checklist_self_assessment")
def checklist_self_assessment(case: Case) -> self_assessment.SelfAssessment | None:
    """The status page's link (the page has already checked the case is the applicant's own)."""
    return self_assessment.self_assessment_of(db.session, case)


@bp.app_template_global("checklist_items_asked_about")
def checklist_items_asked_about(info_request: InformationRequest) -> dict[int, dict[str, Any]]:
    """{item id: code and title} for the request's questions asked from a checklist item."""
    return self_assessment.items_asked_about(db.session, info_request.questions)


# ---- Helpers --------------------------------------------------------------------------------------------------------

def _checklist(case: Case) -> tuple[dict[str, str], list[dict[str, Any]]]:
    found = self_assessment.applicant_checklist(db.session, case)
    if found is None:
        raise NotFound(_("This application has no compliance checklist yet: it gets one when it is sent."))
    return found


def _item(case: Case, item_id: int) -> CaseItem:
    item = db.session.get(CaseItem, item_id)
    if item is None or item.case_id != case.id or item.retired_at is not None:
        raise NotFound(_("Page not found"))
    return item


def _again(case: Case, item_id: int, error: Exception) -> tuple[str, int]:
    """The item page again with what was typed and why it was not saved; nothing half-done stays."""
    if isinstance(error, DomainError) and error.status_code in (403, 404):
        raise error
    db.session.rollback()
    if isinstance(error, ValidationError):
        errors, status = field_messages(error, general="form"), 422
    elif isinstance(error, InvalidInput):
        errors, status = dict(error.errors), 422
    else:
        # Refused documents belong beside the boxes; a stale form, or an assessment that is over, to the page.
        editable = self_assessment.can_self_assess(case) and error.status_code != 409
        errors, status = {error.field or ("documents" if editable else "form"): error.message}, error.status_code
    values = {"statement": request.form.get("statement", ""), "documents": request.form.getlist("documents")}
    return _render_item(case, _item(case, item_id), errors, values=values), status


def _render_item(case: Case, item: CaseItem, errors: Mapping[str, str], *,
                 values: Mapping[str, Any] | None = None) -> str:
    regimes, items = _checklist(case)
    position = next(i for i, candidate in enumerate(items) if candidate["id"] == item.id)
    shown = items[position]
    if values is None:
        values = {"statement": shown["statement"] or "", "documents": [str(i) for i in shown["document_ids"]]}
    return render_template(
        "portal/checklist_item.html", case=case, item=shown, regimes=regimes, values=values, errors=errors,
        error_list=[{"text": message, "href": f"#{key}"} for key, message in errors.items()],
        documents=_documents(case, shown["document_ids"]), can_edit=self_assessment.can_self_assess(case),
        can_upload=documents.can_upload(case), questions=self_assessment.questions_about(db.session, item.id),
        previous_item=items[position - 1] if position > 0 else None,
        next_item=items[position + 1] if position + 1 < len(items) else None, position=position + 1,
        total=len(items))


def _documents(case: Case, linked_ids: list[int]) -> list[Document]:
    """The documents the applicant may link: the current versions, and any earlier one already linked."""
    return [document for document in documents.documents_for(db.session, case)
            if document.is_current or document.id in linked_ids]


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _posted() -> dict[str, Any]:
    return {key: request.form.getlist(key) if key == "documents" else request.form[key]
            for key in request.form if key not in NOT_FORM_FIELDS}


def _item_version() -> int:
    raw = request.form.get("item_version", "")
    if not raw.isdigit():
        abort(400)
    return int(raw)
