"""The applicant portal: the organisation's applications, the task list, section pages and submission."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from sandbox.applications import operations
from sandbox.applications.access import case_for_applicant
from sandbox.applications.models import ApplicationDraft, Notification
from sandbox.applications.schemas import is_asked
from sandbox.applications.sections import SECTION_BY_KEY, SECTIONS, FieldKind, SectionSpec
from sandbox.cases.models import Case, CaseTransition
from sandbox.core.errors import DomainError, NotFound
from sandbox.core.permissions import Role, roles
from sandbox.extensions import db
from sandbox.reviews import assessment, information_requests
from sandbox.reviews.schemas_case import MessageSchema
from sandbox.workflow.engine import case_clock, perform
from sandbox.workflow.versions import definition_of

bp = Blueprint("portal", __name__, url_prefix="/applications")
applicant_only = roles(Role.APPLICANT)


@bp.get("/")
@applicant_only
def dashboard() -> str:
    rows = db.session.execute(
        select(Case, ApplicationDraft).join(ApplicationDraft, ApplicationDraft.case_id == Case.id)
        .where(Case.organisation_id == current_user.organisation_id, Case.state != "discarded")
        .options(selectinload(Case.workflow_version), selectinload(Case.pauses))  # for the clocks, without N+1
        .order_by(Case.updated_at.desc())).all()
    cases = [{"case": case, "draft": draft, "state": definition_of(case.workflow_version).states[case.state],
              "clock": case_clock(case)} for case, draft in rows]
    notifications = db.session.scalars(select(Notification).where(
        Notification.organisation_id == current_user.organisation_id).order_by(Notification.id.desc()).limit(10)).all()
    return render_template("portal/dashboard.html", cases=cases, notifications=notifications)


@bp.post("/new")
@applicant_only
def start() -> ResponseReturnValue:
    case = operations.start_application(db.session, current_user.organisation, current_user)
    return redirect(url_for("portal.task_list", case_id=case.id), 303)


@bp.get("/<int:case_id>")
@applicant_only
def task_list(case_id: int) -> str:
    case = case_for_applicant(db.session, current_user, case_id)
    draft = operations.draft_of(db.session, case)
    if case.state != "draft":
        return _render_status(case, draft)
    return render_template("portal/task_list.html", case=case, draft=draft, progress=operations.progress(draft),
                           is_draft=True)


@bp.route("/<int:case_id>/withdraw", methods=["GET", "POST"])
@applicant_only
def withdraw(case_id: int) -> ResponseReturnValue:
    case = case_for_applicant(db.session, current_user, case_id)
    definition = definition_of(case.workflow_version)
    if definition.transition_for(case.state, "withdraw") is None:
        raise DomainError(_("This application can no longer be withdrawn."))
    reasons = request.form.get("reasons", "").strip()
    if request.method == "GET" or not reasons or len(reasons) > 2000:
        error = None if request.method == "GET" else (
            _("Tell us why you are withdrawing") if not reasons else _("Reasons must be 2000 characters or fewer"))
        return render_template("portal/withdraw.html", case=case, draft=operations.draft_of(db.session, case),
                               reasons=reasons, error=error, idempotency_key=secrets.token_urlsafe(16)), \
            (422 if error else 200)
    perform(db.session, case, "withdraw", current_user, payload={"reasons": reasons},
            expected_version=int(request.form.get("case_version", "0") or 0),
            idempotency_key=request.form.get("idempotency_key") or None)
    flash(_("Your application has been withdrawn."), "success")
    return redirect(url_for("portal.task_list", case_id=case.id), 303)


@bp.route("/<int:case_id>/information-request", methods=["GET", "POST"])
@applicant_only
def information_request(case_id: int) -> ResponseReturnValue:
    case = case_for_applicant(db.session, current_user, case_id)
    request_ = information_requests.open_request(db.session, case)
    if request_ is None:
        raise NotFound(_("There is no open request for information on this application."))
    answers = {q.id: request.form.get(f"answer-{q.id}", "") for q in request_.questions}
    if request.method == "POST":
        try:
            information_requests.answer_information_request(
                db.session, case, current_user, answers, expected_version=int(request.form.get("case_version") or 0),
                idempotency_key=request.form.get("idempotency_key") or None)
        except DomainError as error:
            if error.status_code == 409:
                raise
            return render_template("portal/information_request.html", case=case, info_request=request_,
                                   answers=answers, error=error.message, progress=_sections_progress(case),
                                   idempotency_key=request.form.get("idempotency_key")), 422
        flash(_("Your answers have been sent. The time we take to decide has started again."), "success")
        return redirect(url_for("portal.task_list", case_id=case.id), 303)
    return render_template("portal/information_request.html", case=case, info_request=request_, answers=answers,
                           error=None, progress=_sections_progress(case), idempotency_key=secrets.token_urlsafe(16))


@bp.post("/<int:case_id>/messages")
@applicant_only
def send_message(case_id: int) -> ResponseReturnValue:
    """The applicant's side of the message thread with the regulator."""
    case = case_for_applicant(db.session, current_user, case_id)
    try:
        body = MessageSchema().load({k: v for k, v in request.form.items() if k != "csrf_token"})["body"]
        assessment.post_message(db.session, case, current_user, body)
    except ValidationError as error:
        return _message_refused(case, " ".join(str(m) for ms in error.normalized_messages().values() for m in ms))
    except DomainError as error:
        if error.status_code in (403, 404):
            raise
        return _message_refused(case, error.message)
    flash(_("Your message has been sent to the regulator."), "success")
    return redirect(url_for("portal.task_list", case_id=case.id, _anchor="messages"), 303)


def _message_refused(case: Case, message: str) -> tuple[str, int]:
    db.session.rollback()
    return _render_status(case, operations.draft_of(db.session, case), message_error=message,
                          message_body=request.form.get("body", "")), 422


def _sections_progress(case: Case) -> list[operations.SectionProgress]:
    return operations.progress(operations.draft_of(db.session, case))


def _render_status(case: Case, draft: ApplicationDraft, **message_form: str) -> str:
    definition = definition_of(case.workflow_version)
    history = db.session.scalars(select(CaseTransition).where(CaseTransition.case_id == case.id)
                                 .order_by(CaseTransition.id)).all()
    timeline = [{"at": t.occurred_at, "what": definition.states[t.to_state].applicant_label,
                 "by_you": t.actor_id is not None and t.actor_id in _organisation_user_ids(case),
                 "action": _transition_sentence(definition, t)} for t in reversed(history)]
    return render_template("portal/status.html", case=case, draft=draft, timeline=timeline, clock=case_clock(case),
                           state=definition.states[case.state],
                           info_request=information_requests.open_request(db.session, case),
                           answered_requests=information_requests.answered_requests(db.session, case),
                           can_withdraw=definition.transition_for(case.state, "withdraw") is not None,
                           thread=assessment.thread_for_applicant(db.session, case),
                           can_message=not definition.states[case.state].is_terminal, **message_form)


def _organisation_user_ids(case: Case) -> set[int]:
    return {user.id for user in case.organisation.users}


def _transition_sentence(definition: Any, transition: CaseTransition) -> str:
    spec = definition.transition_for(transition.from_state, transition.action)
    return spec.label if spec else transition.action.replace("_", " ").capitalize()


@bp.route("/<int:case_id>/sections/<key>", methods=["GET", "POST"])
@applicant_only
def section(case_id: int, key: str) -> ResponseReturnValue:
    case, spec = _editable_case(case_id), _section(key)
    draft = operations.draft_of(db.session, case)
    if request.method == "GET":
        return _render_section(case, spec, draft.answers.get(key, {}), draft.section_versions.get(key, 0), draft)
    values = form_values(spec)
    mark_complete = {"yes": True, "no": False}.get(request.form.get("section_complete", ""))
    try:
        operations.save_section(db.session, case, key, values, current_user,
                                based_on_version=int(request.form.get("section_version", "0") or 0),
                                mark_complete=mark_complete)
    except operations.DraftConflict as conflict:
        return _render_section(case, spec, values, conflict.their_version, draft, theirs=conflict.theirs,
                               status=409, message=conflict.message)
    except operations.SectionInvalid as invalid:
        return _render_section(case, spec, values, int(request.form.get("section_version", "0") or 0), draft,
                               errors=invalid.errors, status=422)
    flash(_("Your answers to “%(title)s” have been saved.", title=spec.title), "success")
    if case.state == "information_requested":
        return redirect(url_for("portal.information_request", case_id=case.id), 303)
    return redirect(url_for("portal.task_list", case_id=case.id), 303)


@bp.post("/<int:case_id>/sections/<key>/autosave")
@applicant_only
def autosave(case_id: int, key: str) -> ResponseReturnValue:
    """Saves the page in the background as people type; answers with the new section version (JSON)."""
    case, spec = _editable_case(case_id), _section(key)
    try:
        draft = operations.save_section(db.session, case, key, form_values(spec), current_user,
                                        based_on_version=int(request.form.get("section_version", "0") or 0))
    except operations.DraftConflict as conflict:
        return jsonify(saved=False, conflict=True, message=conflict.message), 409
    except operations.SectionInvalid as invalid:
        return jsonify(saved=False, errors=invalid.errors), 422
    return jsonify(saved=True, section_version=draft.section_versions[key], saved_at=draft.updated_at.isoformat())


@bp.get("/<int:case_id>/check-answers")
@applicant_only
def check_answers(case_id: int) -> str:
    case = _editable_case(case_id)
    draft = operations.draft_of(db.session, case)
    return render_template("portal/check_answers.html", case=case, draft=draft, sections=SECTIONS,
                           gaps=operations.missing_for_submission(draft), idempotency_key=secrets.token_urlsafe(16))


@bp.post("/<int:case_id>/submit")
@applicant_only
def submit(case_id: int) -> ResponseReturnValue:
    case = case_for_applicant(db.session, current_user, case_id)
    declaration = {"signatory_name": request.form.get("signatory_name", "").strip()[:200],
                   "signatory_role": request.form.get("signatory_role", "").strip()[:200],
                   "attested": request.form.get("attest") == "yes", "signed_by_user_id": current_user.id}
    errors = _declaration_errors(declaration)
    if errors:
        draft = operations.draft_of(db.session, case)
        return render_template("portal/check_answers.html", case=case, draft=draft, sections=SECTIONS,
                               gaps=operations.missing_for_submission(draft), declaration=declaration,
                               declaration_errors=errors, idempotency_key=request.form.get("idempotency_key")), 422
    operations.submit_application(db.session, case, current_user, declaration,
                                  expected_version=int(request.form.get("case_version", "0") or 0),
                                  idempotency_key=request.form.get("idempotency_key") or None)
    return redirect(url_for("portal.submitted", case_id=case.id), 303)


@bp.get("/<int:case_id>/submitted")
@applicant_only
def submitted(case_id: int) -> str:
    case = case_for_applicant(db.session, current_user, case_id)
    return render_template("portal/submitted.html", case=case, clock=case_clock(case))


def _declaration_errors(declaration: dict[str, Any]) -> dict[str, str]:
    errors = {}
    if not declaration["signatory_name"]:
        errors["signatory_name"] = _("Enter the full name of the authorised signatory")
    if not declaration["signatory_role"]:
        errors["signatory_role"] = _("Enter the signatory's role in your organisation")
    if not declaration["attested"]:
        errors["attest"] = _("Confirm that the information is true and complete")
    return errors


def _section(key: str) -> SectionSpec:
    if key not in SECTION_BY_KEY:
        raise NotFound(_("Page not found"))
    return SECTION_BY_KEY[key]


EDITABLE_STATES = frozenset({"draft", "information_requested"})


def _editable_case(case_id: int) -> Case:
    case = case_for_applicant(db.session, current_user, case_id)
    if case.state not in EDITABLE_STATES:
        raise DomainError(_("This application has been submitted and can no longer be changed here."))
    return case


def _render_section(case: Case, spec: SectionSpec, values: dict[str, Any], version: int, draft: ApplicationDraft,
                    *, errors: dict[str, list[str]] | None = None, theirs: dict[str, Any] | None = None,
                    status: int = 200, message: str | None = None) -> tuple[str, int]:
    return render_template("portal/section.html", case=case, section=spec, values=values, section_version=version,
                           errors=errors or {}, theirs=theirs, message=message, FieldKind=FieldKind,
                           is_complete=spec.key in draft.completed_sections), status


def form_values(spec: SectionSpec) -> dict[str, Any]:
    """The section's answers from the posted form: lists for checkboxes, ISO strings for dates, None for blanks."""
    values: dict[str, Any] = {}
    for field in spec.fields:
        if field.kind is FieldKind.MULTI:
            values[field.name] = [v for v in request.form.getlist(field.name) if v] or None
        elif field.kind is FieldKind.DATE:
            parts = [request.form.get(f"{field.name}-{part}", "").strip() for part in ("year", "month", "day")]
            values[field.name] = None if not any(parts) else "-".join(
                p.zfill(2) if i else p for i, p in enumerate(parts))
        else:
            raw = request.form.get(field.name, "")
            # Free text keeps its leading indentation; everything else is trimmed.
            values[field.name] = (raw.rstrip() if field.kind is FieldKind.TEXTAREA else raw.strip()) or None
    return values


@bp.app_template_filter("choice_item")
def choice_item(choice: Any) -> dict[str, Any]:
    if isinstance(choice, dict):
        return {"value": choice["value"], "text": str(choice["label"])}
    item: dict[str, Any] = {"value": choice.value, "text": choice.label}
    if choice.hint:
        item["hint"] = {"text": choice.hint}
    return item


@bp.app_template_filter("choice_label")
def choice_label(value: str, field: Any) -> str:
    if field.kind is FieldKind.YES_NO:
        return _("Yes") if value == "yes" else _("No")
    return next((c.label for c in field.choices if c.value == value), value)


@bp.app_template_filter("answer_text")
def answer_text(value: Any, field: Any) -> str:
    """An answer as people read it on check-answers and comparison pages."""
    if value in (None, "", []):
        return _("Not answered")
    if field.kind is FieldKind.MULTI:
        return ", ".join(choice_label(v, field) for v in value)
    if field.kind in (FieldKind.CHOICE, FieldKind.YES_NO):
        return choice_label(value, field)
    if field.kind is FieldKind.DATE:
        try:
            return date.fromisoformat(value).strftime("%-d %B %Y")
        except ValueError:
            return str(value)
    return str(value)


@bp.app_template_test("asked")
def asked(field: Any, answers: dict[str, Any]) -> bool:
    return is_asked(field, answers)


@bp.app_template_filter("error_link")
def error_link(item: tuple[str, str]) -> dict[str, str]:
    name, message = item
    return {"text": message, "href": f"#{name}"}
