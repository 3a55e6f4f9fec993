"""The administrators' pages: checklist template versions (read, draft, edit, publish) and moving a case to
another version.

Every form of a draft carries the draft's edit version; a form overtaken by another administrator's change is
shown again with what was typed (409), one with mistakes likewise (422), and nothing is saved. The domain
functions write the audit events.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from sandbox.accounts.models import User
from sandbox.checklists import catalogue, operations, templates
from sandbox.checklists.models import ChecklistTemplate, TemplateItem
from sandbox.checklists.schemas import (
    NEW_SECTION,
    PROVISION_SLOTS,
    MoveCaseSchema,
    PublishSchema,
    StartDraftSchema,
    TemplateItemSchema,
)
from sandbox.core.errors import Conflict, DomainError, NotFound
from sandbox.core.permissions import Role, roles
from sandbox.extensions import db
from sandbox.web.forms import field_messages

bp = Blueprint("admin", __name__, url_prefix="/admin")
admin_only = roles(Role.ADMIN)
NOT_FORM_FIELDS = ("csrf_token", "edit_version")
MIN_PROVISION_ROWS = 3
Render = Callable[[dict[str, str]], str]


@bp.get("/checklists/")
@admin_only
def checklists() -> str:
    return render_template("admin/checklists.html", families=catalogue.template_families(db.session))


@bp.post("/checklists/drafts")
@admin_only
def start_draft() -> ResponseReturnValue:
    try:
        code = StartDraftSchema().load(_posted())["code"]
    except ValidationError:
        abort(400)
    draft = templates.start_draft(db.session, code, _user())
    flash(_("Draft version %(version)d is ready to edit. Nothing changes for applicants or staff until you "
            "publish it.", version=draft.version), "success")
    return redirect(url_for("admin.version", template_id=draft.id), 303)


@bp.get("/checklists/<int:template_id>")
@admin_only
def version(template_id: int) -> str:
    return _render_version(_template(template_id), {})


@bp.post("/checklists/<int:template_id>/publish")
@admin_only
def publish(template_id: int) -> ResponseReturnValue:
    draft = _template(template_id)

    def act() -> None:
        label = PublishSchema().load(_posted())["version_label"]
        templates.publish_draft(db.session, draft, _user(), version_label=label, expected_version=_edit_version())

    return _submit(act, lambda errors: _render_version(draft, errors, values=request.form),
                   lambda: (_("Version %(version)d is published. New applications get it when they are sent; "
                              "running cases keep theirs.", version=draft.version),
                            url_for("admin.version", template_id=draft.id)), field="version_label")


@bp.route("/checklists/<int:template_id>/items/new", methods=["GET", "POST"])
@admin_only
def add_item(template_id: int) -> ResponseReturnValue:
    return _item_form(_draft(template_id), None)


@bp.route("/checklists/<int:template_id>/items/<int:item_id>", methods=["GET", "POST"])
@admin_only
def edit_item(template_id: int, item_id: int) -> ResponseReturnValue:
    draft = _draft(template_id)
    return _item_form(draft, _item(draft, item_id))


@bp.route("/checklists/<int:template_id>/items/<int:item_id>/remove", methods=["GET", "POST"])
@admin_only
def remove_item(template_id: int, item_id: int) -> ResponseReturnValue:
    draft = _draft(template_id)
    item = _item(draft, item_id)
    code = item.code

    def render(errors: dict[str, str]) -> str:
        return render_template("admin/checklist_item_remove.html", template=draft, item=item, errors=errors,
                               error_list=_error_list(errors))

    if request.method == "GET":
        return render({})
    return _submit(lambda: templates.remove_draft_item(db.session, draft, item, _user(),
                                                       expected_version=_edit_version()),
                   render, lambda: (_("%(code)s has been removed from the draft.", code=code),
                                    url_for("admin.version", template_id=draft.id)))


@bp.route("/checklists/cases", methods=["GET", "POST"])
@admin_only
def move_case() -> ResponseReturnValue:
    def render(errors: dict[str, str]) -> str:
        return render_template("admin/move_case.html", versions=catalogue.published_versions(db.session),
                               values=request.form, errors=errors, error_list=_error_list(errors))

    if request.method == "GET":
        return render({})
    moved: dict[str, Any] = {}

    def act() -> None:
        data = MoveCaseSchema().load(_posted())
        case = catalogue.case_for_admin(db.session, _user(), data["reference"])
        template = _published(data["template"])
        moved.update(reference=case.reference, version=template.version,
                     **operations.move_case_to_template(db.session, case, template, _user()))

    return _submit(act, render, lambda: (_(
        "%(reference)s now uses version %(version)d of the checklist: %(kept)d items kept, %(added)d added, "
        "%(retired)d retired.", **moved), url_for("admin.move_case")), field="template", conflict_field="template")


# ---- Helpers --------------------------------------------------------------------------------------------------------

def _item_form(draft: ChecklistTemplate, item: TemplateItem | None) -> ResponseReturnValue:
    def render(errors: dict[str, str]) -> str:
        values = request.form if request.method == "POST" else _item_values(item)
        return render_template("admin/checklist_item_form.html", template=draft, item=item, values=values,
                               errors=errors, error_list=_error_list(errors),
                               sections=catalogue.sections_of(draft.items), new_section=NEW_SECTION,
                               provision_rows=_provision_rows(values))

    if request.method == "GET":
        return render({})
    saved: list[TemplateItem] = []

    def act() -> None:
        taken = {other.code for other in draft.items if other is not item}
        values = TemplateItemSchema(draft.regimes, catalogue.sections_of(draft.items), taken).load(_posted())
        saved.append(templates.save_draft_item(db.session, draft, values, _user(), item=item,
                                               expected_version=_edit_version()))

    return _submit(act, render, lambda: (
        _("%(code)s has been saved in the draft.", code=saved[0].code),
        url_for("admin.version", template_id=draft.id, _anchor=f"item-{saved[0].code}")))


def _submit(act: Callable[[], object], render: Render, done: Callable[[], tuple[str, str]], *,
            field: str = "", conflict_field: str = "") -> ResponseReturnValue:
    """Run the action; on a mistake or a stale form show the page again with the messages, saving nothing.
    A domain message without a field goes beside `field` (a conflict beside `conflict_field`: the whole form)."""
    try:
        act()
    except ValidationError as error:
        return _again(render, field_messages(error), 422)
    except DomainError as error:
        if error.status_code == 403 or (error.status_code == 404 and error.field is None):
            raise
        key = error.field or (conflict_field if isinstance(error, Conflict) else field)
        return _again(render, {key: error.message}, error.status_code)
    message, then = done()
    flash(message, "success")
    return redirect(then, 303)


def _again(render: Render, errors: dict[str, str], status: int) -> tuple[str, int]:
    db.session.rollback()  # nothing half-done is shown; the page reloads what is saved now
    return render(errors), status


def _error_list(errors: Mapping[str, str]) -> list[dict[str, str]]:
    """The error summary's links; a message about the whole form links to the form."""
    return [{"text": message, "href": f"#{key or 'form'}"} for key, message in errors.items()]


def _item_values(item: TemplateItem | None) -> dict[str, Any]:
    """An item as its form's fields (a new item starts blank, mandatory and in no section)."""
    if item is None:
        return {"mandatory": "yes"}
    values: dict[str, Any] = {name: getattr(item, name) for name in ("code", "title", "outcome", "process",
                                                                    "evidence", "evidence_required")}
    values.update(section=item.section_code, mandatory="yes" if item.mandatory else "no")
    for slot, provision in enumerate(item.provisions, start=1):
        values[f"provision-{slot}-regime"], values[f"provision-{slot}-citation"] = (provision["regime"],
                                                                                    provision["citation"])
    return values


def _provision_rows(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows the form shows: every row used so far and one spare, at least three, at most the slots posted."""
    used = [slot for slot in range(1, PROVISION_SLOTS + 1)
            if values.get(f"provision-{slot}-regime") or values.get(f"provision-{slot}-citation")]
    count = min(PROVISION_SLOTS, max(MIN_PROVISION_ROWS, (used[-1] if used else 0) + 1))
    return [{"slot": slot, "regime": values.get(f"provision-{slot}-regime", ""),
             "citation": values.get(f"provision-{slot}-citation", "")} for slot in range(1, count + 1)]


def _render_version(template: ChecklistTemplate, errors: dict[str, str], *,
                    values: Mapping[str, Any] | None = None) -> str:
    family = next(f for f in catalogue.template_families(db.session) if f.code == template.code)
    row = next(r for r in family.versions if r.template.id == template.id)
    return render_template("admin/checklist_version.html", template=template, row=row, family=family,
                           groups=catalogue.grouped_by_section(template.items), errors=errors,
                           error_list=_error_list(errors), values=values or {})


def _template(template_id: int) -> ChecklistTemplate:
    template = db.session.get(ChecklistTemplate, template_id)
    if template is None:
        raise NotFound(_("Page not found"))
    return template


def _draft(template_id: int) -> ChecklistTemplate:
    template = _template(template_id)
    if template.is_published:
        raise Conflict(_("Version %(version)d is published and can no longer change. Start a new draft to change "
                         "the checklist.", version=template.version))
    return template


def _item(template: ChecklistTemplate, item_id: int) -> TemplateItem:
    item = db.session.get(TemplateItem, item_id)
    if item is None or item.template_id != template.id:
        raise NotFound(_("Page not found"))
    return item


def _published(template_id: int) -> ChecklistTemplate:
    template = db.session.get(ChecklistTemplate, template_id)
    if template is None or not template.is_published:
        raise DomainError(_("Choose a published version from the list"), field="template")
    return template


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _posted() -> dict[str, str]:
    return {key: value for key, value in request.form.items() if key not in NOT_FORM_FIELDS}


def _edit_version() -> int:
    raw = request.form.get("edit_version", "")
    if not raw.isdigit():
        abort(400)
    return int(raw)
