"""The staff case view and every action taken from it.

Each POST carries the case version its page showed; a form with mistakes (422), or one overtaken by someone else's
change (409), is shown again with what was typed, and nothing is saved. Success redirects (303) with a message.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from sandbox.accounts.conflicts import ConflictDeclaration
from sandbox.accounts.models import User
from sandbox.applications import documents
from sandbox.applications.models import ApplicationRevision
from sandbox.applications.revisions import revision_changes
from sandbox.applications.sections import SECTION_BY_KEY, SECTIONS
from sandbox.cases.models import Case
from sandbox.checklists.case_checklist import checklist_summary
from sandbox.core.errors import DomainError, Forbidden
from sandbox.core.permissions import Role, roles, staff
from sandbox.decisions import operations as decisions
from sandbox.extensions import db
from sandbox.notifications.delivery import emails_for_case
from sandbox.reviews import assessment, assignments, information_requests
from sandbox.reviews.access import case_for_staff
from sandbox.reviews.models import AssignmentRole
from sandbox.reviews.schemas_case import (
    DATE_FIELDS,
    QUESTION_SLOTS,
    AssignSchema,
    ConflictSchema,
    DecisionSchema,
    DeclarationSchema,
    InformationRequestSchema,
    MessageSchema,
    NoteSchema,
    RecommendationSchema,
    TransitionSchema,
    eligibility_schema,
    loaded_parameters,
)
from sandbox.web.forms import Render, error_list, submit_form
from sandbox.workflow.engine import case_clock, regulator_today
from sandbox.workflow.versions import definition_of

bp = Blueprint("case", __name__, url_prefix="/cases")
assignees = roles(Role.CASE_OFFICER, Role.DECISION_MAKER)
NOT_FORM_FIELDS = ("csrf_token", "version", "idempotency_key")
EXAMPLE_AHEAD = timedelta(days=30)  # the example date in date fields' hints


@bp.get("/<int:case_id>")
@staff
def show(case_id: int) -> str:
    return _render_case(_case(case_id))


@bp.get("/<int:case_id>/documents/<int:document_id>")
@staff
def download(case_id: int, document_id: int) -> ResponseReturnValue:
    document = documents.document_for(db.session, _case(case_id), document_id)
    return send_file(documents.storage_for(current_app).open(document.storage_key), mimetype=document.media_type,
                     as_attachment=True, download_name=document.display_name, max_age=0)


@bp.post("/<int:case_id>/assign")
@roles(Role.LEAD, Role.CASE_OFFICER)
def assign(case_id: int) -> ResponseReturnValue:
    case, role = _case(case_id), request.form.get("role", "")
    picking_up = current_user.role == Role.CASE_OFFICER
    form = "pick-up" if picking_up or role not in {r.value for r in AssignmentRole} else f"assign-{role}"

    def act(data: dict[str, Any]) -> None:
        assignee = db.session.get(User, data["assignee"])
        if assignee is None or not assignee.is_staff:
            raise DomainError(_("Choose who to assign from the list."), field="assignee")
        assignments.assign(db.session, case, assignee, AssignmentRole(data["role"]), _user(),
                           expected_version=_version(), declares_no_conflict=data["declares_no_conflict"] == "yes")

    done = _("You have picked up this case.") if picking_up else _("The case has been assigned.")
    return _submit(case, lambda: act(AssignSchema().load(_posted())), _on_case_page(case, form), done, "team",
                   rename={"assignee": form.replace("assign-", "assignee-"), "declaration": "declares_no_conflict"})


@bp.post("/<int:case_id>/declaration")
@assignees
def declare(case_id: int) -> ResponseReturnValue:
    case = _case(case_id)

    def act() -> None:
        DeclarationSchema().load(_posted())
        assignments.declare_no_conflict(db.session, case, _user())

    return _submit(case, act, _on_case_page(case, "declaration"),
                   _("Your declaration has been recorded. You can now work on this case."), "")


@bp.post("/<int:case_id>/conflict")
@assignees
def declare_conflict(case_id: int) -> ResponseReturnValue:
    case = _case(case_id)
    reference = case.reference

    def act() -> None:
        reason = ConflictSchema().load(_posted())["reason"]
        assignments.declare_conflict_on_case(db.session, case, _user(), reason)

    return _submit(case, act, _on_case_page(case, "conflict"), _(
        "You have stood aside from %(reference)s and will no longer see this organisation's cases. The team leads have "
        "been told.", reference=reference), "", then=url_for("queue.index"))


@bp.post("/<int:case_id>/notes")
@staff
def add_note(case_id: int) -> ResponseReturnValue:
    case = _case(case_id)
    return _submit(case, lambda: assessment.add_note(db.session, case, _user(), NoteSchema().load(_posted())["body"]),
                   _on_case_page(case, "note"), _("Your note has been added."), "notes", rename={"body": "note-body"})


@bp.post("/<int:case_id>/messages")
@staff
def post_message(case_id: int) -> ResponseReturnValue:
    case = _case(case_id)

    def act() -> None:
        assessment.post_message(db.session, case, _user(), MessageSchema().load(_posted())["body"])

    return _submit(case, act, _on_case_page(case, "message"),
                   _("Your message has been sent. The applicant has been told by e-mail."), "messages",
                   rename={"body": "message-body"})


@bp.post("/<int:case_id>/transitions")
@staff
def move(case_id: int) -> ResponseReturnValue:
    """The workflow's other moves that need no form of their own (start assessment, suspend, close, ...)."""
    case, action = _case(case_id), request.form.get("action", "")

    def act() -> None:
        data = TransitionSchema().load(_posted())
        assessment.move_case(db.session, case, _user(), data["action"], data["reasons"], expected_version=_version())

    label = next((t.label for t in definition_of(case.workflow_version).transitions if t.action == action), action)
    return _submit(case, act, _on_case_page(case, f"move-{action}"), _("Done: %(action)s.", action=label), "",
                   rename={"reasons": f"reasons-{action}"})


@bp.route("/<int:case_id>/eligibility", methods=["GET", "POST"])
@roles(Role.CASE_OFFICER)
def eligibility(case_id: int) -> ResponseReturnValue:
    case = _case(case_id)
    render = _on_form_page(case, "review/_case_page_eligibility.html")
    if request.method == "GET":
        _require(assessment.rights_on(db.session, case, _user()).may_score)
        return render({})
    schema = eligibility_schema({criterion.key: criterion.label for criterion in assessment.ELIGIBILITY_CRITERIA})
    return _submit(case, lambda: assessment.score_eligibility(
        db.session, case, _user(), schema.load(_posted())["scores"], expected_version=_version()),
        render, _("The eligibility assessment has been saved."), "eligibility")


@bp.route("/<int:case_id>/information-requests/new", methods=["GET", "POST"])
@roles(Role.CASE_OFFICER)
def request_information(case_id: int) -> ResponseReturnValue:
    case = _case(case_id)
    render = _on_form_page(case, "review/_case_page_information.html")
    if request.method == "GET":
        _require(assessment.rights_on(db.session, case, _user()).may_request_information)
        return render({})

    def act() -> None:
        data = InformationRequestSchema(regulator_today()).load(_posted())
        information_requests.send_information_request(db.session, case, _user(), data["questions"], data["due_on"],
                                                      expected_version=_version())

    return _submit(case, act, render, _("Your questions have been sent. The clock has stopped until the applicant "
                                        "answers."), "information")


@bp.route("/<int:case_id>/recommendation", methods=["GET", "POST"])
@roles(Role.CASE_OFFICER)
def recommend(case_id: int) -> ResponseReturnValue:
    case = _case(case_id)
    render = _on_form_page(case, "review/_case_page_recommendation.html")
    if request.method == "GET":
        _require(assessment.rights_on(db.session, case, _user()).may_recommend)
        return render({})

    def act() -> None:
        data = RecommendationSchema(regulator_today()).load(_posted())
        assessment.recommend(db.session, case, _user(), **data, expected_version=_version(),
                             idempotency_key=request.form.get("idempotency_key") or None)

    return _submit(case, act, render, _("Your recommendation has been sent to the decision maker."), "outcome")


@bp.route("/<int:case_id>/decision", methods=["GET", "POST"])
@roles(Role.DECISION_MAKER)
def decide(case_id: int) -> ResponseReturnValue:
    case = _case(case_id)
    rights = assessment.rights_on(db.session, case, _user())
    render = _on_form_page(case, "review/_case_page_decision.html", defaults=_recommended_values(case),
                           checklist=checklist_summary(db.session, case.id))
    if request.method == "GET":
        _require(rights.may_decide, rights.is_barred_by_four_eyes)
        return render({})

    def act() -> None:
        outcomes = [t.action for t in rights.decision_actions] or list(decisions.OUTCOME_OF_ACTION)
        data = DecisionSchema(outcomes, regulator_today()).load(_posted())
        decisions.decide(db.session, case, _user(), **data, expected_version=_version(),
                         idempotency_key=request.form.get("idempotency_key") or None)

    return _submit(case, act, render, _("Your decision has been recorded."), "outcome")


# ---- Helpers --------------------------------------------------------------------------------------------------------

def _case(case_id: int) -> Case:
    return case_for_staff(db.session, current_user, case_id)


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _posted() -> dict[str, str]:
    return {key: value for key, value in request.form.items() if key not in NOT_FORM_FIELDS}


def _version() -> int:
    raw = request.form.get("version", "")
    if not raw.isdigit():
        abort(400)
    return int(raw)


def _require(allowed: bool, barred_by_four_eyes: bool = False) -> None:
    if barred_by_four_eyes:
        raise Forbidden(_("You worked on the assessment of this case, so another decision maker must decide it."))
    if not allowed:
        raise Forbidden(_("You cannot do this on this case now. Go back to the case to see what you can do."))


def _submit(case: Case, act: Callable[[], object], render: Render, done: str, anchor: str, *,
            then: str | None = None, rename: Mapping[str, str] | None = None) -> ResponseReturnValue:
    """Run the action; on a mistake show the form again with the messages beside the fields, saving nothing."""
    return submit_form(act, render, done, then or url_for("case.show", case_id=case.id, _anchor=anchor or None),
                       rename=rename)


def _anchored(errors: Mapping[str, str], form_id: str) -> dict[str, str]:
    """General messages (key "") belong to the form as a whole."""
    return {key or form_id: message for key, message in errors.items()}


def _on_case_page(case: Case, form: str) -> Render:
    return lambda errors: _render_case(case, errors=_anchored(errors, form), posted=form)


def _on_form_page(case: Case, template: str, *, defaults: Mapping[str, Any] | None = None,
                  **extra: Any) -> Render:
    def render(errors: dict[str, str]) -> str:
        file, today, errors = assessment.load_case_file(db.session, case), regulator_today(), _anchored(errors, "form")
        values = request.form if request.method == "POST" else _form_defaults(template, file, defaults)
        return render_template(template, case=case, file=file, errors=errors, error_list=error_list(errors),
                               values=values, criteria=assessment.ELIGIBILITY_CRITERIA, answers=_answers(case),
                               rights=assessment.rights_on(db.session, case, _user()),
                               example_date=today + EXAMPLE_AHEAD, question_slots=QUESTION_SLOTS,
                               idempotency_key=request.form.get("idempotency_key") or secrets.token_urlsafe(16),
                               **_labels(), **extra)
    return render


def _form_defaults(template: str, file: assessment.CaseFile, defaults: Mapping[str, Any] | None) -> dict[str, Any]:
    if template.endswith("eligibility.html"):
        return {**{f"rating-{k}": s.rating for k, s in file.scores.items()},
                **{f"note-{k}": s.note for k, s in file.scores.items()}}
    return dict(defaults or {})


def _recommended_values(case: Case) -> dict[str, Any]:
    """The decision form starts from the latest recommendation's conditions and test parameters."""
    recommendation = decisions.latest_recommendation(db.session, case)
    if recommendation is None:
        return {}
    values: dict[str, Any] = {"conditions": "\n".join(recommendation.conditions)}
    for name, value in loaded_parameters(recommendation.test_parameters).items():
        if name in DATE_FIELDS:
            values.update({f"{name}-day": value.day, f"{name}-month": value.month, f"{name}-year": value.year})
        else:
            values[name] = value
    return values


def _answers(case: Case) -> dict[str, Any]:
    revision = db.session.scalars(select(ApplicationRevision).where(ApplicationRevision.case_id == case.id)
                                  .order_by(ApplicationRevision.number.desc()).limit(1)).first()
    return revision.answers if revision else {}


def _labels() -> dict[str, Any]:
    return {"rating_labels": assessment.RATING_LABELS, "recommendation_labels": assessment.RECOMMENDATION_LABELS,
            "decision_labels": decisions.OUTCOME_LABELS, "section_by_key": SECTION_BY_KEY}


def _render_case(case: Case, *, errors: dict[str, str] | None = None, posted: str | None = None) -> str:
    user, today = _user(), regulator_today()
    revisions = db.session.scalars(select(ApplicationRevision).where(ApplicationRevision.case_id == case.id)
                                   .order_by(ApplicationRevision.number)).all()
    rights = assessment.rights_on(db.session, case, user)
    conflicted = set(db.session.scalars(select(ConflictDeclaration.user_id).where(
        ConflictDeclaration.organisation_id == case.organisation_id)))
    workloads = {role.value: [w for w in assignments.workload(db.session, role, today) if w.user.id not in conflicted]
                 for role in (Role.CASE_OFFICER, Role.DECISION_MAKER)} if rights.may_assign else {}
    all_documents = documents.documents_for(db.session, case)
    return render_template(
        "review/case.html", case=case, definition=definition_of(case.workflow_version), clock=case_clock(case, today),
        rights=rights, file=assessment.load_case_file(db.session, case), sections=SECTIONS,
        latest=revisions[-1] if revisions else None,
        changes=revision_changes(revisions[-2], revisions[-1]) if len(revisions) > 1 else [],
        documents=[d for d in all_documents if d.is_current], history=documents.earlier_versions(all_documents),
        workloads=workloads, emails=emails_for_case(db.session, case.id), criteria=assessment.ELIGIBILITY_CRITERIA,
        open_request=information_requests.open_request(db.session, case), errors=errors or {}, posted=posted,
        checklist=checklist_summary(db.session, case.id),
        error_list=error_list(errors or {}), values=request.form if posted else {},
        **_labels())


@bp.app_template_filter("iso_date")
def iso_date(value: str | date | None) -> str:
    """A date kept as ISO text in JSON (test parameters), as people read it."""
    if not value:
        return ""
    try:
        day = value if isinstance(value, date) else date.fromisoformat(value)
    except ValueError:
        return str(value)
    return format_date(day, "d MMMM yyyy")
