"""The case's compliance checklist for staff: the list (filtered by regime, section or what is left), each item
with the applicant's evidence, the officer's rating and its history, questions asked from it, and the CSV.

POSTs carry the item's version (ratings) or the case's (a question: it moves the workflow); a stale form is
shown again with what was typed (409) and nothing is saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from sandbox.accounts.models import User
from sandbox.applications import documents
from sandbox.cases.models import Case
from sandbox.checklists import operations
from sandbox.checklists.case_checklist import case_items, checklist_summary
from sandbox.checklists.export import RATING_LABELS, checklist_rows, csv_lines, regime_name
from sandbox.checklists.models import CaseItem, RatingEntry
from sandbox.checklists.schemas_staff import RatingSchema
from sandbox.core.errors import NotFound
from sandbox.core.permissions import Role, roles, staff
from sandbox.extensions import db
from sandbox.reviews import assessment
from sandbox.reviews.access import case_for_staff
from sandbox.reviews.models import InformationQuestion
from sandbox.reviews.schemas_case import InformationRequestSchema
from sandbox.web.case import EXAMPLE_AHEAD
from sandbox.web.forms import Render, error_list, submit_form
from sandbox.workflow.engine import regulator_today

bp = Blueprint("checklist", __name__, url_prefix="/cases")
NOT_FORM_FIELDS = ("csrf_token", "version", "item_version")


@bp.get("/<int:case_id>/checklist")
@staff
def index(case_id: int) -> str:
    case = _case(case_id)
    summary = checklist_summary(db.session, case.id)
    items = summary.items if summary else []
    regime, section, left = request.args.get("regime", ""), request.args.get("section", ""), request.args.get("left")
    regimes = summary.template.regimes if summary else {}
    groups: dict[str, list[CaseItem]] = {}
    for item in items:
        if (not regime or regime in item.regime_keys()) and (not section or item.section_code == section) \
                and not (left and item.is_rated):
            groups.setdefault(item.section_title, []).append(item)
    sections = {item.section_code: item.section_title for item in items}
    return render_template(
        "review/checklist.html", case=case, summary=summary, groups=list(groups.items()), regimes=regimes,
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
    data: dict[str, str] = {}

    def act() -> None:
        data.update(RatingSchema().load(_posted()))
        operations.rate_item(db.session, case, item, _user(), data["rating"], data["note"],
                             expected_version=_version("item_version"))

    def then() -> str:
        following = _next_unrated(case, item) if data["next"] else None
        if following is not None:
            return url_for("checklist.item", case_id=case.id, item_id=following.id)
        return url_for("checklist.index", case_id=case.id, _anchor=f"item-{item.code}")

    done = _("%(code)s rated: %(rating)s.", code=item.code,
             rating=RATING_LABELS.get(request.form.get("rating", ""), ""))
    return submit_form(act, _on_item_page(case, item_id), done, then, rename={"": "rating"})


@bp.post("/<int:case_id>/checklist/<int:item_id>/question")
@roles(Role.CASE_OFFICER)
def ask(case_id: int, item_id: int) -> ResponseReturnValue:
    case = _case(case_id)
    item = _item(case, item_id)

    def act() -> None:
        data = InformationRequestSchema(regulator_today()).load(_posted())
        operations.ask_about_item(db.session, case, item, _user(), data["questions"][0], data["due_on"],
                                  expected_version=_version("version"))

    done = _("Your question about %(code)s has been sent. The clock has stopped until the applicant answers.",
             code=item.code)
    return submit_form(act, _on_item_page(case, item_id), done,
                       url_for("checklist.item", case_id=case.id, item_id=item.id), rename={"": "question-1"})


@bp.app_template_filter("regime_name")
def regime_name_filter(key: str, regimes: Mapping[str, str]) -> str:
    return regime_name(regimes, key)


# ---- Helpers --------------------------------------------------------------------------------------------------------

def _options(everything: str, choices: Mapping[str, str], chosen: str) -> list[dict[str, Any]]:
    return [{"value": "", "text": everything}] + [
        {"value": key, "text": label, "selected": key == chosen} for key, label in choices.items()]


def _case(case_id: int) -> Case:
    return case_for_staff(db.session, current_user, case_id)


def _item(case: Case, item_id: int) -> CaseItem:
    """A live item of the case's checklist (one retired by a move to another version is kept, not shown)."""
    item = db.session.get(CaseItem, item_id)
    if item is None or item.case_id != case.id or item.retired_at is not None:
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


def _on_item_page(case: Case, item_id: int) -> Render:
    """The item page again, with the messages and what was typed (the item is read afresh after the rollback)."""
    return lambda errors: _render_item(case, _item(case, item_id), errors, values=request.form)


def _render_item(case: Case, item: CaseItem, errors: Mapping[str, str], *,
                 values: Mapping[str, Any] | None = None) -> str:
    user = _user()
    may_rate = operations.may_rate(db.session, case, user)
    history = list(db.session.scalars(select(RatingEntry).where(RatingEntry.item_id == item.id)
                                      .order_by(RatingEntry.id.desc())))
    people = {person.id: person for person in db.session.scalars(select(User).where(User.id.in_(
        {entry.rated_by_id for entry in history})))}
    linked_ids = {link.document_id for link in item.evidence_links}
    evidence = [d for d in documents.documents_for(db.session, case) if d.id in linked_ids]
    questions = list(db.session.scalars(select(InformationQuestion).where(
        InformationQuestion.checklist_item_id == item.id).order_by(InformationQuestion.id)))
    summary = checklist_summary(db.session, case.id)
    items = summary.items if summary else []
    position = items.index(item)
    return render_template(
        "review/checklist_item.html", case=case, item=item, errors=errors, error_list=error_list(errors),
        values=values if values is not None else {"rating": item.rating or "", "note": item.rating_note or ""},
        may_rate=may_rate, may_ask=may_rate and assessment.rights_on(db.session, case, user).may_request_information,
        history=history, people=people,
        evidence=evidence, questions=questions, rating_labels=RATING_LABELS,
        regimes=summary.template.regimes if summary else {},
        previous_item=items[position - 1] if position > 0 else None,
        next_item=items[position + 1] if position + 1 < len(items) else None,
        position=position + 1, total=len(items), example_date=regulator_today() + EXAMPLE_AHEAD)


def _next_unrated(case: Case, after: CaseItem) -> CaseItem | None:
    items = case_items(db.session, case.id)
    position = items.index(after)
    return next((item for item in items[position + 1:] + items[:position] if not item.is_rated), None)
