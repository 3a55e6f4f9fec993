"""The regulator's letter pages: the register, a letter (preview, edit, issue, correct), drafting from the case page,
batch issuing and the case dossier.

A form overtaken by someone else's change (409) or refused for its content (422) shows the letter page again with
the message, saving nothing; success redirects (303) with a message. Issued letters download byte-for-byte as
issued; drafts are rendered afresh, with the DRAFT watermark, each time they are previewed.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from sandbox.accounts.models import User
from sandbox.cases.models import Case
from sandbox.core.errors import DomainError, NotFound
from sandbox.core.permissions import Role, roles, staff
from sandbox.decisions import letter_batches, letter_register
from sandbox.decisions import letter_operations as letters
from sandbox.decisions.dossier import dossier_filename, render_dossier
from sandbox.decisions.letter_content import KIND_LABELS, KIND_OF_OUTCOME, SUPERVISION_KINDS
from sandbox.decisions.letter_schemas import FreeTextSchema, RegisterArgsSchema, SupervisionLetterSchema, register_args
from sandbox.decisions.letters import Letter, LetterState
from sandbox.decisions.models import Decision
from sandbox.decisions.rendering import render_letter
from sandbox.extensions import db
from sandbox.jobs import start_after_commit
from sandbox.reviews.access import case_for_staff
from sandbox.reviews.assessment import CaseFile
from sandbox.reviews.models import InformationRequest
from sandbox.web.forms import error_list, field_messages
from sandbox.workflow.engine import regulator_today

bp = Blueprint("letters", __name__)
writers = roles(Role.CASE_OFFICER, Role.DECISION_MAKER, Role.LEAD)
issuers = roles(Role.DECISION_MAKER)
STATE_LABELS = {LetterState.DRAFT.value: _l("Draft"), LetterState.ISSUED.value: _l("Issued"),
                LetterState.SUPERSEDED.value: _l("Superseded")}
DATE_INPUTS = ("effective_on", "challenge_deadline_on", "ended_on")
EXAMPLE_AHEAD = timedelta(days=14)  # the example date in date fields' hints


# ---- The register ---------------------------------------------------------------------------------------------------

@bp.get("/letters/")
@staff
def register() -> ResponseReturnValue:
    try:
        query = RegisterArgsSchema().load(request.args.to_dict())
    except ValidationError as error:
        query, problems = letter_register.RegisterQuery(), field_messages(error, general="form")
        return render_template("review/letters_register.html", query=query, page=None, errors=problems,
                               **_register_context(query)), 400
    page = letter_register.load_register(db.session, query, _user())
    return render_template("review/letters_register.html", query=query, page=page, errors={},
                           **_register_context(query))


def _register_context(query: letter_register.RegisterQuery) -> dict[str, Any]:
    return {"kind_labels": KIND_LABELS, "state_labels": STATE_LABELS, "args": lambda **c: register_args(query, **c),
            "may_batch": _user().role == Role.DECISION_MAKER}


@bp.post("/letters/batches")
@issuers
def start_batch() -> ResponseReturnValue:
    chosen = [int(value) for value in request.form.getlist("letter")[:letter_batches.MAX_BATCH + 1] if value.isdigit()]
    try:
        batch = letter_batches.request_batch(db.session, _user(), chosen)
    except DomainError as error:
        if error.status_code in (403, 404):
            raise
        flash(error.message, "error")
        return redirect(url_for("letters.register", state="draft"), 303)
    start_after_commit("issue_letters", batch_id=batch.id)
    flash(_("The letters are being issued. This page shows each one as it is done."), "success")
    return redirect(url_for("letters.batch", batch_id=batch.id), 303)


@bp.get("/letters/batches/<int:batch_id>")
@issuers
def batch(batch_id: int) -> ResponseReturnValue:
    found = letter_batches.batch_for(db.session, _user(), batch_id)
    if found is None:
        raise NotFound(_("Page not found"))
    chosen = {letter.id: letter for letter in db.session.scalars(select(Letter).where(
        Letter.id.in_(found.letter_ids)).options(selectinload(Letter.case)))}
    return render_template("review/letters_batch.html", batch=found, letters=chosen, kind_labels=KIND_LABELS)


# ---- One letter -----------------------------------------------------------------------------------------------------

@bp.get("/letters/<int:letter_id>")
@staff
def show(letter_id: int) -> ResponseReturnValue:
    return _render_letter(_letter(letter_id))


@bp.get("/letters/<int:letter_id>/preview.pdf")
@staff
def preview(letter_id: int) -> ResponseReturnValue:
    """The letter inline: a draft rendered now (DRAFT watermark), an issued letter as issued."""
    letter = _letter(letter_id, with_pdf=True)
    pdf = render_letter(letter.data) if letter.is_draft else letter.pdf
    response = send_file(io.BytesIO(pdf or b""), mimetype="application/pdf", download_name=letter_filename(letter),
                         max_age=0)
    # Shown in a frame of the letter page (this site only), never elsewhere.
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/letters/<int:letter_id>/letter.pdf")
@staff
def download(letter_id: int) -> ResponseReturnValue:
    """The issued letter, byte-for-byte as it was issued."""
    letter = _letter(letter_id, with_pdf=True)
    if letter.is_draft or letter.pdf is None:
        raise NotFound(_("This letter has not been issued yet. Preview the draft instead."))
    return pdf_attachment(letter.pdf, letter_filename(letter))


@bp.post("/letters/<int:letter_id>")
@writers
def edit(letter_id: int) -> ResponseReturnValue:
    letter = _letter(letter_id)

    def act() -> None:
        letters.edit_draft(db.session, letter, _user(), FreeTextSchema().load(_posted()),
                           expected_version=_version())

    return _submit(letter, act, _("Your changes to the draft have been saved. The preview shows them."), "edit")


@bp.post("/letters/<int:letter_id>/issue")
@issuers
def issue(letter_id: int) -> ResponseReturnValue:
    letter = _letter(letter_id)
    if request.form.get("confirm") != "yes":
        return _render_letter(letter, errors={"confirm": _("Confirm that the letter is ready to be issued")},
                              status=422)

    def act() -> None:
        letters.issue_letter(db.session, letter, _user(), expected_version=_version(),
                             idempotency_key=request.form.get("idempotency_key") or None)

    return _submit(letter, act, _("The letter has been issued. The applicant has been told."), "issue")


@bp.post("/letters/<int:letter_id>/correction")
@writers
def correct(letter_id: int) -> ResponseReturnValue:
    letter = _letter(letter_id)
    found: dict[str, Letter] = {}

    def act() -> None:
        found["correction"] = letters.draft_correction(db.session, letter, _user())

    return _submit(letter, act, _("A correction has been drafted. Edit it, then issue it to replace the letter."),
                   "correct", then=lambda: url_for("letters.show", letter_id=found["correction"].id))


@bp.post("/letters/<int:letter_id>/discard")
@writers
def discard(letter_id: int) -> ResponseReturnValue:
    letter = _letter(letter_id)
    case_id = letter.case_id
    return _submit(letter, lambda: letters.discard_draft(db.session, letter, _user(), expected_version=_version()),
                   _("The draft has been discarded."), "discard",
                   then=lambda: url_for("case.show", case_id=case_id, _anchor="letters"))


# ---- Drafting from the case page, and the dossier -------------------------------------------------------------------

@bp.post("/cases/<int:case_id>/letters")
@writers
def draft(case_id: int) -> ResponseReturnValue:
    """A decision's or an information request's letter: `source` is "decision-<id>" or "request-<id>"."""
    case = case_for_staff(db.session, _user(), case_id)
    kind, _sep, raw_id = request.form.get("source", "").partition("-")
    model = {"decision": Decision, "request": InformationRequest}.get(kind)
    source = db.session.get(model, int(raw_id)) if model is not None and raw_id.isdigit() else None
    if source is None or source.case_id != case.id:
        raise NotFound(_("Page not found"))
    try:
        letter = (letters.draft_decision_letter(db.session, source, _user()) if isinstance(source, Decision)
                  else letters.draft_information_request_letter(db.session, source, _user()))
    except DomainError as error:
        if error.status_code in (403, 404):
            raise
        flash(error.message, "error")
        return redirect(url_for("case.show", case_id=case.id, _anchor="letters"), 303)
    flash(_("The letter has been drafted. Check it, edit its free text if needed, then issue it."), "success")
    return redirect(url_for("letters.show", letter_id=letter.id), 303)


@bp.route("/cases/<int:case_id>/letters/new/<kind>", methods=["GET", "POST"])
@roles(Role.DECISION_MAKER, Role.LEAD)
def draft_supervision(case_id: int, kind: str) -> ResponseReturnValue:
    case = case_for_staff(db.session, _user(), case_id)
    letters.require_supervision_drafting(db.session, case, _user(), kind)
    if request.method == "GET":
        return _render_new(case, kind, {})
    try:
        details = SupervisionLetterSchema(kind, regulator_today()).load(_posted())
        letter = letters.draft_supervision_letter(db.session, case, _user(), kind, details)
    except ValidationError as error:
        return _render_new(case, kind, field_messages(error, general="form")), 422
    except DomainError as error:
        if error.status_code in (403, 404):
            raise
        return _render_new(case, kind, {"form": error.message}), error.status_code
    flash(_("The letter has been drafted. Check it, then issue it."), "success")
    return redirect(url_for("letters.show", letter_id=letter.id), 303)


@bp.get("/cases/<int:case_id>/dossier.pdf")
@staff
def dossier(case_id: int) -> ResponseReturnValue:
    case = case_for_staff(db.session, _user(), case_id)
    return pdf_attachment(render_dossier(db.session, case, _user()), dossier_filename(case))


# ---- The case page's letters section (a template global, so the case view needs no change) ---------------------------

@dataclass(frozen=True)
class LettersPanel:
    letters: list[Letter]
    decisions_to_draft: list[Decision]
    requests_to_draft: list[InformationRequest]
    supervision_kinds: list[str]


@bp.app_template_global("letters_panel")
def letters_panel(case: Case, file: CaseFile) -> LettersPanel:
    """From the case page's own `file` (its decisions and information requests, newest first, already read)."""
    user = _user()
    all_letters = letter_register.letters_of_case(db.session, case)
    drafted = {letter.decision_id for letter in all_letters} | {letter.information_request_id for letter in all_letters}
    may_draft = letters.may_draft(db.session, case, user)
    decisions = [d for d in reversed(file.decisions) if d.outcome in KIND_OF_OUTCOME and d.id not in drafted]
    requests = [r for r in reversed(file.information_requests) if r.id not in drafted]
    supervision = [kind for kind, states in SUPERVISION_KINDS.items() if case.state in states]
    if supervision and not letters.may_draft_supervision(db.session, case, user):
        supervision = []
    return LettersPanel(all_letters, decisions if may_draft else [], requests if may_draft else [], supervision)


# ---- Helpers --------------------------------------------------------------------------------------------------------

def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _letter(letter_id: int, *, with_pdf: bool = False) -> Letter:
    return letter_register.letter_for_staff(db.session, _user(), letter_id, with_pdf=with_pdf)


def _posted() -> dict[str, str]:
    return {key: value for key, value in request.form.items()
            if key not in ("csrf_token", "version", "idempotency_key", "confirm")}


def _version() -> int:
    raw = request.form.get("version", "")
    if not raw.isdigit():
        abort(400)
    return int(raw)


def letter_filename(letter: Letter) -> str:
    """SBX-L-2026-000123.pdf (a draft: draft-<id>.pdf)."""
    return f"{(letter.number or f'draft-{letter.id}').replace('/', '-')}.pdf"


def pdf_attachment(pdf: bytes, filename: str) -> Response:
    """A PDF download, sent whole every time (no ETag, so no 304 or range answers)."""
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True, download_name=filename,
                     max_age=0, etag=False, conditional=False)


def _submit(letter: Letter, act: Callable[[], object], done: str, form: str, *,
            then: Callable[[], str] | None = None) -> ResponseReturnValue:
    """Run the action; a refusal shows the letter page again with the message, saving nothing."""
    try:
        act()
    except ValidationError as error:
        db.session.rollback()
        return _render_letter(letter, errors=field_messages(error, general="form"), status=422)
    except DomainError as error:
        if error.status_code in (403, 404):
            raise
        db.session.rollback()
        return _render_letter(letter, errors={error.field or form: error.message}, status=error.status_code)
    flash(done, "success")
    return redirect(then() if then else url_for("letters.show", letter_id=letter.id), 303)


def _render_letter(letter: Letter, *, errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    user, errors = _user(), errors or {}
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(
        {letter.drafted_by_id, letter.issued_by_id} - {None})))}
    values = request.form if request.method == "POST" else letter.data.get("free_text", {})
    return render_template(
        "review/letter.html", letter=letter, case=letter.case, people=people, kind_labels=KIND_LABELS,
        state_labels=STATE_LABELS, may_edit=letters.may_edit(db.session, letter, user),
        may_correct=letter.is_current and letter.superseded_by is None and letters.may_draft(
            db.session, letter.case, user),
        issue_refusal=letters.issue_refusal(db.session, letter, user) if letter.is_draft else None,
        is_issuer_role=user.role == Role.DECISION_MAKER, errors=errors,
        error_list=_error_list(errors), values=values,
        idempotency_key=request.form.get("idempotency_key") or secrets.token_urlsafe(16)), status


def _error_list(errors: dict[str, str]) -> list[dict[str, str]]:
    return error_list(errors, DATE_INPUTS)


def _render_new(case: Case, kind: str, errors: dict[str, str]) -> str:
    return render_template("review/letters_new.html", case=case, kind=kind, kind_label=KIND_LABELS[kind],
                           errors=errors, error_list=_error_list(errors), values=request.form,
                           example_date=regulator_today() + EXAMPLE_AHEAD)
