"""The case's compliance checklist for staff: the list (filtered by regime, section or what is left), each item
with the applicant's evidence, the officer's rating and its history, questions asked from it, and the CSV.

POSTs carry the item's version (ratings) or the case's (a question: it moves the workflow); a stale form is
shown again with what was typed (409) and nothing is saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select

from sandbox.accounts.models import User
from sandbox.applications import documents
from sandbox.cases.models import Case
from sandbox.checklists import operations
from sandbox.checklists.case_checklist import case_items, checklist_of, missing_mandatory, progress_of
from sandbox.checklists.export import RATING_LABELS, checklist_rows, csv_lines
from sandbox.checklists.models import CaseItem, RatingEntry
from sandbox.checklists.schemas_staff import RatingSchema
from sandbox.core.errors import DomainError, NotFound
from sandbox.core.permissions import Role, roles, staff
from sandbox.extensions import db
from sandbox.reviews import assessment
from sandbox.reviews.access import case_for_staff
from sandbox.reviews.models import InformationQuestion
from sandbox.reviews.schemas_case import InformationRequestSchema, InvalidInput
from sandbox.web.case import EXAMPLE_AHEAD, error_list
from sandbox.workflow.engine import GuardFailed, StaleCase, regulator_today

bp = Blueprint("checklist", __name__, url_prefix="/cases")
NOT_FORM_FIELDS = ("csrf_token", "version", "item_version")


@bp.get("/<int:case_id>/checklist")
@staff
def index(case_id: int) -> str:
    case = _case(case_id)
    checklist = checklist_of(db.session, case.id)
    items = case_items(db.session, case.id)
    regime, section, left = request.args.get("regime", ""), request.args.get("section", ""), request.args.get("left")
    regimes = checklist.template.regimes if checklist else {}
    shown = [item for item in items if (not regime or regime in item.regime_keys())
             and (not section or item.section_code == section) and (not left or not item.is_rated)]
    sections = dict((item.section_code, item.section_title) for item in items)
    groups: dict[str, list[CaseItem]] = {}
    for shown_item in shown:
        groups.setdefault(shown_item.section_title, []).append(shown_item)
    return render_template(
        "review/checklist.html", case=case, checklist=checklist, items=shown, groups=list(groups.items()),
        progress=progress_of(items), missing=missing_mandatory(db.session, case.id), regimes=regimes,
        regime=regime, left=bool(left), rating_labels=RATING_LABELS,
        regime_options=_options(_("All regimes"), regimes, regime),
        section_options=_options(_("All sections"), sections, section))


@bp.get("/<int:case_id>/checklist.csv")
@staff
def export(case_id: int) -> Response:
    case = _case(case_id)
    names = {d.id: d.display_name for d in documents.documents_for(db.session, case)}
    body = "".join(csv_lines(checklist_rows(db.session, case.id), names))
    filename = f"{case.reference}-checklist.csv"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@bp.get("/<int:case_id>/checklist/<int:item_id>")
@staff
def item(case_id: int, item_id: int) -> str:
    case = _case(case_id)
    return _render_item(case, _item(case, item_id), {})


@bp.post("/<int:case_id>/checklist/<int:item_id>/rating")
@roles(Role.CASE_OFFICER)
def rate(case_id: int, item_id: int) -> ResponseReturnValue:
    case = _case(case_id)
    item = _item(case, item_id)
    try:
        data = RatingSchema().load(_posted())
        operations.rate_item(db.session, case, item, _user(), data["rating"], data["note"],
                             expected_version=_version("item_version"))
    except (ValidationError, DomainError) as error:
        return _again(case, item_id, error, "rating")
    flash(_("%(code)s rated: %(rating)s.", code=item.code, rating=RATING_LABELS[item.rating]), "success")
    following = _next_unrated(case, item) if data["next"] else None
    if following is not None:
        return redirect(url_for("checklist.item", case_id=case.id, item_id=following.id), 303)
    return redirect(url_for("checklist.index", case_id=case.id, _anchor=f"item-{item.code}"), 303)


@bp.post("/<int:case_id>/checklist/<int:item_id>/question")
@roles(Role.CASE_OFFICER)
def ask(case_id: int, item_id: int) -> ResponseReturnValue:
    case = _case(case_id)
    item = _item(case, item_id)
    try:
        data = InformationRequestSchema(regulator_today()).load(_posted())
        operations.ask_about_item(db.session, case, item, _user(), data["questions"][0], data["due_on"],
                                  expected_version=_version("version"))
    except (ValidationError, DomainError) as error:
        return _again(case, item_id, error, "question-1")
    flash(_("Your question about %(code)s has been sent. The clock has stopped until the applicant answers.",
            code=item.code), "success")
    return redirect(url_for("checklist.item", case_id=case.id, item_id=item.id), 303)


# ---- Helpers --------------------------------------------------------------------------------------------------------

def _options(everything: str, choices: Mapping[str, str], chosen: str) -> list[dict[str, Any]]:
    return [{"value": "", "text": everything}] + [
        {"value": key, "text": label, "selected": key == chosen} for key, label in choices.items()]


def _case(case_id: int) -> Case:
    return case_for_staff(db.session, current_user, case_id)


def _item(case: Case, item_id: int) -> CaseItem:
    item = db.session.get(CaseItem, item_id)
    if item is None or item.case_id != case.id:
        raise NotFound(_("Page not found"))
    return item


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _posted() -> dict[str, str]:
    return {key: value for key, value in request.form.items() if key not in NOT_FORM_FIELDS}


def _version(name: str) -> int:
    raw = request.form.get(name, "")
    if not raw.isdigit():
        abort(400)
    return int(raw)


def _again(case: Case, item_id: int, error: Exception, field: str) -> tuple[str, int]:
    """The item page again with what was typed and why it was not saved; nothing half-done stays."""
    if isinstance(error, DomainError) and error.status_code in (403, 404):
        raise error
    db.session.rollback()
    status = 422
    if isinstance(error, ValidationError):
        errors = {("" if key == "_schema" else key): str(value[0] if isinstance(value, list) else value)
                  for key, value in error.normalized_messages().items()}
    elif isinstance(error, InvalidInput):
        errors = dict(error.errors)
    elif isinstance(error, GuardFailed):
        errors = {field: " ".join(error.messages)}
    else:
        status = 409 if isinstance(error, StaleCase) or error.status_code == 409 else error.status_code
        errors = {error.field or field: error.message}
    return _render_item(case, _item(case, item_id), errors, values=request.form), status


def _render_item(case: Case, item: CaseItem, errors: Mapping[str, str], *,
                 values: Mapping[str, Any] | None = None) -> str:
    rights = assessment.rights_on(db.session, case, _user())
    declared = rights.assignment is not None and rights.assignment.declared_at is not None
    may_rate = declared and case.case_officer_id == _user().id and case.state in operations.RATING_STATES
    history = list(db.session.scalars(select(RatingEntry).where(RatingEntry.item_id == item.id)
                                      .order_by(RatingEntry.id.desc())))
    people = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(
        {entry.rated_by_id for entry in history} | {item.statement_by_id or 0})))}
    linked_ids = {link.document_id for link in item.evidence_links}
    evidence = [d for d in documents.documents_for(db.session, case) if d.id in linked_ids]
    questions = list(db.session.scalars(select(InformationQuestion).where(
        InformationQuestion.checklist_item_id == item.id).order_by(InformationQuestion.id)))
    checklist = checklist_of(db.session, case.id)
    items = case_items(db.session, case.id)
    position = next(i for i, candidate in enumerate(items) if candidate.id == item.id)
    return render_template(
        "review/checklist_item.html", case=case, item=item, errors=errors, error_list=error_list(errors),
        values=values if values is not None else {"rating": item.rating or "", "note": item.rating_note or ""},
        may_rate=may_rate, may_ask=rights.may_request_information and may_rate, history=history, people=people,
        evidence=evidence, questions=questions, rating_labels=RATING_LABELS,
        regimes=checklist.template.regimes if checklist else {},
        previous_item=items[position - 1] if position > 0 else None,
        next_item=items[position + 1] if position + 1 < len(items) else None,
        position=position + 1, total=len(items), example_date=regulator_today() + EXAMPLE_AHEAD)


def _next_unrated(case: Case, after: CaseItem) -> CaseItem | None:
    items = case_items(db.session, case.id)
    position = next(i for i, candidate in enumerate(items) if candidate.id == after.id)
    return next((item for item in items[position + 1:] + items[:position] if not item.is_rated), None)
