"""The regulator's review queue: filter, search, sort, page, save views, export CSV, assign in bulk."""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import date, datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, get_timezone, get_translations
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from sandbox.accounts.models import User
from sandbox.core.errors import DomainError, NotFound
from sandbox.core.permissions import STAFF_ROLES, Role, roles, staff
from sandbox.extensions import db
from sandbox.reviews import queue
from sandbox.reviews.assignments import bulk_assign
from sandbox.reviews.models import AssignmentRole, SavedView
from sandbox.reviews.schemas import RISK_CLASS_LABELS, SECTOR_LABELS, QueueArgsSchema, query_args
from sandbox.workflow.definition import WorkflowDefinition
from sandbox.workflow.engine import days_left_on_queue, regulator_today
from sandbox.workflow.versions import current_definition, definition_for

bp = Blueprint("queue", __name__, url_prefix="/queue")
MAX_SAVED_VIEWS = 30
CSV_DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NO_CLOCK = "\u2013"  # an en dash, in the days-left cell of a case whose clock never started


@bp.get("/")
@staff
def index() -> ResponseReturnValue:
    states = _state_labels()
    try:
        view = QueueArgsSchema(list(states)).load(request.args.to_dict())
    except ValidationError as error:
        return _render(queue.QueueQuery(), None, states, _messages(error)), 400
    today = regulator_today()
    page = queue.load_page(db.session, view, current_user.id, today)
    return _render(view, page, states, [], today=today)


@bp.get("/export.csv")
@staff
def export() -> ResponseReturnValue:
    states = _state_labels()
    try:
        view = QueueArgsSchema(list(states)).load(request.args.to_dict())
    except ValidationError as error:
        raise DomainError(" ".join(_messages(error))) from None
    today = regulator_today()
    # Written out inside the request's transaction (spooled to disk when large), then sent: a long download
    # never holds a database transaction open (on SQLite that would block every writer).
    spool = tempfile.SpooledTemporaryFile(max_size=2 * 1024 * 1024, mode="w+b")  # noqa: SIM115 (send_file closes it)
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
    _write_csv(text, view, current_user.id, today, states)
    text.flush()
    text.detach()
    spool.seek(0)
    return send_file(spool, mimetype="text/csv", as_attachment=True,
                     download_name=f"sandbox-queue-{today.isoformat()}.csv", max_age=0)


@bp.post("/views")
@staff
def save_view() -> ResponseReturnValue:
    name = request.form.get("name", "").strip()
    query = request.form.get("query", "").lstrip("?")[:2000]
    if not name or len(name) > 80:
        flash(_("Give the view a name of up to 80 characters."), "error")
        return redirect(url_for("queue.index") + ("?" + query if query else ""), 303)
    kept = db.session.scalars(select(SavedView).where(SavedView.user_id == current_user.id)).all()
    if len(kept) >= MAX_SAVED_VIEWS and all(v.name != name for v in kept):
        raise DomainError(_("You can keep up to %(count)d views. Delete one first.", count=MAX_SAVED_VIEWS))
    existing = next((v for v in kept if v.name == name), None)
    if existing is not None:
        existing.query = query
    else:
        db.session.add(SavedView(user_id=current_user.id, name=name, query=query))
    try:
        db.session.flush()
    except IntegrityError:
        raise DomainError(_("A view with that name was saved at the same time. Try again.")) from None
    flash(_("View “%(name)s” saved.", name=name), "success")
    return redirect(url_for("queue.index") + ("?" + query if query else ""), 303)


@bp.post("/views/<int:view_id>/delete")
@staff
def delete_view(view_id: int) -> ResponseReturnValue:
    view = db.session.get(SavedView, view_id)
    if view is None or view.user_id != current_user.id:
        raise NotFound(_("Page not found"))
    db.session.delete(view)
    flash(_("View “%(name)s” deleted.", name=view.name), "success")
    return redirect(url_for("queue.index"), 303)


@bp.post("/assign")
@roles(Role.LEAD)
def assign_selected() -> ResponseReturnValue:
    back = request.form.get("back", "").lstrip("?")[:2000]
    target = url_for("queue.index") + ("?" + back if back else "")
    selected = request.form.getlist("case")
    assignee_id = request.form.get("assignee", "")
    role = request.form.get("role", AssignmentRole.CASE_OFFICER.value)
    if not selected or not assignee_id.isdigit() or role not in {r.value for r in AssignmentRole}:
        flash(_("Select at least one case and the person to assign."), "error")
        return redirect(target, 303)
    assignee = db.session.get(User, int(assignee_id))
    if assignee is None or not assignee.is_staff:
        raise DomainError(_("Choose the person to assign from the list."))
    report = bulk_assign(db.session, _parse_selection(selected), assignee, AssignmentRole(role), current_user)
    if report.assigned:
        flash(_("%(name)s assigned to %(count)d cases: %(refs)s.", name=assignee.full_name,
                count=len(report.assigned), refs=", ".join(report.assigned)), "success")
    for reference, reason in report.refused:
        flash(_("%(reference)s not assigned: %(reason)s", reference=reference, reason=reason), "error")
    return redirect(target, 303)


def _parse_selection(values: list[str]) -> list[tuple[int, int]]:
    """Checkbox values are "case id:version seen", so a case that changed since is refused, not overwritten."""
    pairs = []
    for value in values[:500]:
        case_id, _sep, version = value.partition(":")
        if not (case_id.isdigit() and version.isdigit()):
            raise DomainError(_("The selection was not understood. Reload the queue and try again."))
        pairs.append((int(case_id), int(version)))
    return pairs


def _state_labels() -> dict[str, str]:
    definition = current_definition(db.session)
    return {name: state.label for name, state in definition.states.items()
            if name not in (definition.initial_state, "discarded")}


def _messages(error: ValidationError) -> list[str]:
    messages: Any = error.normalized_messages()
    found = []
    for field, value in messages.items():
        items = value if isinstance(value, list) else [str(value)]
        found.extend(_("Unknown filter “%(name)s”.", name=field) if item == "Unknown field." else str(item)
                     for item in items)
    return found


def _render(view: queue.QueueQuery, page: queue.QueuePage | None, states: dict[str, str], errors: list[str],
            today: date | None = None) -> str:
    staff_members = db.session.scalars(select(User).where(User.role.in_([r.value for r in STAFF_ROLES]),
                                                          User.is_active.is_(True)).order_by(User.full_name)).all()
    saved = db.session.scalars(select(SavedView).where(SavedView.user_id == current_user.id)
                               .order_by(SavedView.name)).all()
    rows = _display_rows(page.rows, today) if page and today else []
    return render_template("review/queue.html", view=view, page=page, rows=rows, errors=errors, states=states,
                           sectors=SECTOR_LABELS, risk_classes=RISK_CLASS_LABELS, saved_views=saved,
                           officers=[u for u in staff_members if u.role == Role.CASE_OFFICER.value],
                           deciders=[u for u in staff_members if u.role == Role.DECISION_MAKER.value],
                           args=lambda **changes: query_args(view, **changes), sorts=queue.SORTS,
                           is_lead=current_user.role == Role.LEAD.value)


CASE_ID_STAND_IN = 987654321  # an id no case has, in the one case URL a queue page builds


def _display_rows(rows: list[queue.QueueRow], today: date) -> list[dict[str, Any]]:
    """What each row shows, worked out per page rather than per cell: a page shares a few deadlines and dates,
    and Flask-Babel's look-ups of locale and zone on every call cost more than the formatting itself."""
    locale, zone = get_locale(), get_timezone()
    select_pattern = _("Select %(reference)s")
    translations = get_translations()
    # The case page's address, built once with a stand-in id and filled in per row (url_for for each of 50
    # rows cost half a millisecond of a 17 ms page).
    case_url = url_for("case.show", case_id=CASE_ID_STAND_IN).replace(str(CASE_ID_STAND_IN), "{}")
    clocks: dict[tuple[object, ...], dict[str, Any]] = {}
    dates: dict[date, str] = {}

    # "d MMM yyyy" from the locale's own month abbreviations: the same text as babel's format_date, whose
    # pattern parsing cost more than the rest of a row (a page shows about 70 different dates).
    months = locale.months["format"]["abbreviated"]

    def shown_date(moment: datetime) -> str:
        day = moment.astimezone(zone).date()
        if day not in dates:
            dates[day] = f"{day.day} {months[day.month]} {day.year}"
        return dates[day]

    shown = []
    definitions: dict[tuple[int, str], WorkflowDefinition] = {}  # a page's rows share one or two versions
    for row in rows:
        version = (row.workflow_version_id, row.workflow_checksum)
        if version not in definitions:
            definitions[version] = definition_for(db.session, *version)
        definition = definitions[version]
        days_left = days_left_on_queue(row.clock_state, row.deadline_on, row.days_left_when_paused, definition,
                                       today)
        key = (row.clock_state, days_left)  # the cell's words depend on these alone: rows share them
        if key not in clocks:
            clocks[key] = _clock(row.clock_state, days_left, translations)
        state = definition.states.get(row.state)
        shown.append({"row": row, "state_label": state.label if state else row.state, **clocks[key],
                      "select_label": select_pattern % {"reference": row.reference},
                      "url": case_url.format(row.id),
                      "last_activity": shown_date(row.last_activity_at), "submitted": shown_date(row.submitted_at)})
    return shown


def _clock(clock_state: str | None, days_left: int | None, translations: Any) -> dict[str, Any]:
    """The "days left" cell: its words, whether they are muted, and a tag (text, modifier class) or None.

    `translations`: the request's catalogue, fetched once per page (Flask-Babel looks it up at every call).
    """
    _ = translations.ugettext

    def ngettext(singular: str, plural: str, num: int) -> str:
        return translations.ungettext(singular, plural, num) % {"num": num}

    running = clock_state == "running" and days_left is not None
    is_overdue = running and days_left < 0
    text, muted, tag = "", False, None
    if is_overdue:
        tag = (ngettext("%(num)d day overdue", "%(num)d days overdue", -days_left), "govuk-tag--red")
    elif running:
        text = ngettext("%(num)d day", "%(num)d days", days_left)
        tag = (_("Due soon"), "govuk-tag--orange") if days_left <= 5 else None
    elif clock_state == "paused":
        text, tag = ngettext("%(num)d day", "%(num)d days", days_left or 0), (_("Paused"), "govuk-tag--grey")
    else:
        text, muted = _("Stopped") if clock_state == "stopped" else NO_CLOCK, True
    return {"days_left": days_left, "is_overdue": is_overdue, "clock_text": text, "clock_muted": muted,
            "clock_tag": tag}


def _days_left(row: queue.QueueRow, today: date) -> int | None:
    definition = definition_for(db.session, row.workflow_version_id, row.workflow_checksum)
    return days_left_on_queue(row.clock_state, row.deadline_on, row.days_left_when_paused, definition, today)


CSV_HEADINGS = ("Reference", "Applicant", "AI system", "Sector", "Risk class", "Status", "Case officer",
                "Decision maker", "Checklist items rated", "Checklist items", "Clock", "Deadline", "Days left",
                "Last activity (UTC)", "Submitted (UTC)")


def _write_csv(out: io.TextIOBase, view: queue.QueueQuery, viewer_id: int, today: date,
               states: dict[str, str]) -> None:
    writer = csv.writer(out)
    writer.writerow(CSV_HEADINGS)
    for row in queue.iter_export(db.session, view, viewer_id, today):
        days_left = _days_left(row, today)
        writer.writerow([_cell(v) for v in (
            row.reference, row.organisation_name, row.system_name, SECTOR_LABELS.get(row.sector or "", row.sector),
            RISK_CLASS_LABELS.get(row.risk_class or "", row.risk_class), states.get(row.state, row.state),
            row.case_officer_name, row.decision_maker_name, row.checklist_total - row.checklist_outstanding,
            row.checklist_total, row.clock_state or "", row.deadline_on.isoformat() if row.deadline_on else "",
            "" if days_left is None else days_left,
            row.last_activity_at.strftime("%Y-%m-%d %H:%M"), row.submitted_at.strftime("%Y-%m-%d %H:%M"))])


def _cell(value: object) -> object:
    """Text a spreadsheet would run as a formula is written as text (OWASP CSV injection advice)."""
    if isinstance(value, str) and value.startswith(CSV_DANGEROUS_PREFIXES):
        return "'" + value
    return "" if value is None else value
