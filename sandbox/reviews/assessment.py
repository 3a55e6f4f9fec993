"""Assessing a case: who may do what on it, eligibility scores, internal notes, the message thread, the recommendation.

Every write flushes, never commits, and records an audit event; moves of the case go through the workflow engine.
The acting user is always passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from sandbox.accounts.conflicts import has_conflict
from sandbox.accounts.models import User
from sandbox.cases.models import Case, CaseTransition
from sandbox.core.audit import AuditEvent, record_event
from sandbox.core.db import utcnow
from sandbox.core.errors import DomainError, Forbidden, NotFound
from sandbox.core.permissions import Role
from sandbox.decisions.models import Decision
from sandbox.notifications.outbox import notify_organisation, notify_staff
from sandbox.reviews.access import NOT_YET_SENT
from sandbox.reviews.information_requests import open_request
from sandbox.reviews.models import (
    CaseAssignment,
    CaseMessage,
    CaseNote,
    EligibilityRating,
    EligibilityScore,
    InformationRequest,
    Recommendation,
    RecommendedOutcome,
    Recusal,
)
from sandbox.reviews.schemas_case import (
    MAX_BODY_LENGTH,
    MAX_NOTE_LENGTH,
    InvalidInput,
    recommendation_problems,
    stored_parameters,
)
from sandbox.workflow.definition import TransitionDef
from sandbox.workflow.engine import StaleCase, earlier_result, perform, regulator_today, stale_case_message
from sandbox.workflow.rules import ELIGIBILITY_SCORED_EVENT, has_assessed
from sandbox.workflow.versions import definition_of

ASSESSABLE_STATES = frozenset({"triage", "assessment"})
DECISION_ACTIONS = ("admit", "reject", "waitlist", "send_back", "reject_out_of_scope")
# Actions with a form of their own on the case view; assigning an officer starts triage.
OWN_FORM_ACTIONS = frozenset({"start_triage", "request_information", "recommend", *DECISION_ACTIONS})


@dataclass(frozen=True)
class Criterion:
    key: str
    label: Any
    guidance: Any
    answer_fields: tuple[str, ...]  # the questions of the application's eligibility section that speak to it


ELIGIBILITY_CRITERIA = (
    Criterion("scope", _l("Scope"), _l(
        "The test involves an activity we regulate, or affects the people we protect."), ("scope_statement",)),
    Criterion("genuine_innovation", _l("Genuine innovation"), _l(
        "The AI system is new here, or differs markedly from what is already offered."), ("genuine_innovation",)),
    Criterion("consumer_benefit", _l("Consumer or public benefit"), _l(
        "The test is likely to bring identifiable benefits to consumers or the public."), ("consumer_benefit",)),
    Criterion("sandbox_need", _l("Need for the sandbox"), _l(
        "The firm cannot test in the usual way, and the relief sought is what it needs."),
        ("sandbox_need", "rules_concerned", "relief_sought", "relief_other")),
    Criterion("readiness", _l("Readiness"), _l(
        "Pre-deployment testing is done, and the people, money and controls to run the test are in place."),
        ("readiness_stage", "pre_deployment_results", "readiness_resources")),
)
CRITERION_BY_KEY = {criterion.key: criterion for criterion in ELIGIBILITY_CRITERIA}
RATING_LABELS = {EligibilityRating.MET.value: _l("Met"), EligibilityRating.PARTLY_MET.value: _l("Partly met"),
                 EligibilityRating.NOT_MET.value: _l("Not met")}
RECOMMENDATION_LABELS = {RecommendedOutcome.ADMIT.value: _l("Admit with conditions"),
                         RecommendedOutcome.REJECT.value: _l("Reject"),
                         RecommendedOutcome.WAITLIST.value: _l("Waitlist")}


# ---- Who may do what ------------------------------------------------------------------------------------------------

def current_assignment_of(session: Session, case: Case, user: User) -> CaseAssignment | None:
    return session.scalars(select(CaseAssignment).where(
        CaseAssignment.case_id == case.id, CaseAssignment.user_id == user.id, CaseAssignment.ended_at.is_(None))
    ).first()


def is_declared_assignee(session: Session, case: Case, user: User) -> bool:
    """The case's officer or decision maker, who has declared no conflict of interest in it."""
    if user.id not in (case.case_officer_id, case.decision_maker_id):
        return False
    assignment = current_assignment_of(session, case, user)
    return assignment is not None and assignment.declared_at is not None


def may_write(session: Session, case: Case, user: User) -> bool:
    """Notes and messages: a team lead, or a declared assignee."""
    if has_conflict(session, user.id, case.organisation_id):
        return False
    return user.role == Role.LEAD or is_declared_assignee(session, case, user)


@dataclass(frozen=True)
class CaseRights:
    """What the viewer may do on the case now. An assignee who has not declared may do nothing else first."""

    assignment: CaseAssignment | None
    must_declare: bool = False
    may_write: bool = False
    may_assign: bool = False
    may_pick_up: bool = False
    may_score: bool = False
    may_request_information: bool = False
    may_recommend: bool = False
    is_barred_by_four_eyes: bool = False
    decision_actions: tuple[TransitionDef, ...] = ()
    other_actions: tuple[TransitionDef, ...] = ()

    @property
    def may_decide(self) -> bool:
        return bool(self.decision_actions)


def rights_on(session: Session, case: Case, user: User) -> CaseRights:
    assignment = current_assignment_of(session, case, user)
    if assignment is not None and assignment.declared_at is None:
        return CaseRights(assignment, must_declare=True)
    is_lead = user.role == Role.LEAD
    declared = (assignment is not None and assignment.declared_at is not None
                and user.id in (case.case_officer_id, case.decision_maker_id))  # as is_declared_assignee, read once
    is_officer = declared and case.case_officer_id == user.id
    is_decider = declared and case.decision_maker_id == user.id
    acting = {Role.LEAD.value: is_lead, Role.CASE_OFFICER.value: is_officer, Role.DECISION_MAKER.value: is_decider}
    offered = [t for t in definition_of(case.workflow_version).transitions_from(case.state)
               if user.role in t.roles and acting.get(user.role, False)]
    actions = {t.action for t in offered}
    request_open = open_request(session, case) is not None
    barred = is_decider and has_assessed(session, case.id, user.id)
    return CaseRights(
        assignment, may_write=is_lead or is_officer or is_decider, may_assign=is_lead and case.is_open,
        may_pick_up=(user.role == Role.CASE_OFFICER and case.is_open and case.case_officer_id is None
                     and assignment is None),
        may_score=is_officer and case.state in ASSESSABLE_STATES,
        may_request_information="request_information" in actions and not request_open,
        may_recommend="recommend" in actions, is_barred_by_four_eyes=barred,
        decision_actions=tuple(t for t in offered if t.action in DECISION_ACTIONS) if not (
            barred or request_open) else (),
        other_actions=tuple(t for t in offered if t.action not in OWN_FORM_ACTIONS))


def move_case(session: Session, case: Case, actor: User, action: str, reasons: str, *,
              expected_version: int) -> CaseTransition:
    """A workflow move that needs no form of its own (start assessment, suspend, close...). Moves that have one
    (information request, recommendation, decision) are refused here, so none happens without its record."""
    if action not in {t.action for t in rights_on(session, case, actor).other_actions}:
        raise Forbidden(_("You cannot do this on this case now."))
    return perform(session, case, action, actor, expected_version=expected_version, payload={"reasons": reasons})


def _require_writer(session: Session, case: Case, user: User) -> None:
    if has_conflict(session, user.id, case.organisation_id):
        raise NotFound(_("Page not found"))
    if not may_write(session, case, user):
        raise Forbidden(_("Only the case officer or decision maker assigned to this case, or a team lead, can do "
                          "this."))


def _touch(session: Session, case: Case) -> None:
    """Mark activity for the queue without bumping the case's version: a note or a message changes nothing a form
    could have been based on, so it must not make everyone else's open page stale."""
    session.execute(update(Case).where(Case.id == case.id).values(last_activity_at=utcnow())
                    .execution_options(synchronize_session=False))


def _text(body: str, field: str, required: str, limit: int) -> str:
    body = (body or "").strip()
    if not body:
        raise InvalidInput({field: required})
    if len(body) > limit:
        raise InvalidInput({field: _("Keep it to %(count)d characters or fewer", count=limit)})
    return body


# ---- Notes and messages ---------------------------------------------------------------------------------------------

def add_note(session: Session, case: Case, author: User, body: str) -> CaseNote:
    """An internal note: regulator staff only, never shown to the applicant."""
    _require_writer(session, case, author)
    note = CaseNote(case_id=case.id, author_id=author.id,
                    body=_text(body, "body", _("Write the note"), MAX_BODY_LENGTH))
    session.add(note)
    session.flush()
    _touch(session, case)
    record_event(session, actor_id=author.id, action="case.note_added", object_type="case_note", object_id=note.id,
                 case_id=case.id, details={"length": len(note.body)})
    return note


def post_message(session: Session, case: Case, author: User, body: str) -> CaseMessage:
    """A message in the thread both sides see; the other side is told (staff: the organisation; applicant: the
    case officer, or the team leads while there is none)."""
    if author.is_staff:
        _require_writer(session, case, author)
    else:
        _check_applicant_may_write(case, author)
    message = CaseMessage(case_id=case.id, author_id=author.id, from_regulator=author.is_staff,
                          body=_text(body, "body", _("Write your message"), MAX_BODY_LENGTH))
    session.add(message)
    session.flush()
    _touch(session, case)
    record_event(session, actor_id=author.id, action="case.message_posted", object_type="case_message",
                 object_id=message.id, case_id=case.id,
                 details={"from_regulator": message.from_regulator, "length": len(message.body)})
    if author.is_staff:
        notify_organisation(session, case, _(
            "The regulator has sent you a message about %(reference)s. Sign in to read it and reply.",
            reference=case.reference), subject=_("New message about %(reference)s", reference=case.reference))
    else:
        recipients = [case.case_officer] if case.case_officer_id else leads_for(session, case)
        notify_staff(session, case, recipients, _(
            "%(organisation)s sent a message about %(reference)s.", organisation=case.organisation_name,
            reference=case.reference), subject=_("New message from the applicant: %(reference)s",
                                                 reference=case.reference))
    return message


def _check_applicant_may_write(case: Case, author: User) -> None:
    if author.organisation_id != case.organisation_id or case.state in NOT_YET_SENT:
        raise NotFound(_("Page not found"))
    if definition_of(case.workflow_version).states[case.state].is_terminal:
        raise DomainError(_("This application is closed, so messages can no longer be sent."))


def leads_for(session: Session, case: Case) -> list[User]:
    """Active team leads without a conflict of interest with the case's organisation."""
    leads = session.scalars(select(User).where(User.role == Role.LEAD.value, User.is_active.is_(True))
                            .order_by(User.id)).all()
    return [lead for lead in leads if not has_conflict(session, lead.id, case.organisation_id)]


@dataclass(frozen=True)
class ThreadEntry:
    author: str
    from_regulator: bool
    body: str
    created_at: datetime


def thread_for_applicant(session: Session, case: Case) -> list[ThreadEntry]:
    """The message thread as the applicant sees it: staff appear by role, never by name."""
    rows = session.execute(select(CaseMessage, User.full_name, User.role).join(User, User.id == CaseMessage.author_id)
                           .where(CaseMessage.case_id == case.id).order_by(CaseMessage.id)).all()
    return [ThreadEntry(_staff_label(role) if message.from_regulator else name, message.from_regulator,
                        message.body, message.created_at) for message, name, role in rows]


def _staff_label(role: str) -> str:
    return _("Case officer") if role == Role.CASE_OFFICER.value else _("The regulator")


# ---- Eligibility ----------------------------------------------------------------------------------------------------

def score_eligibility(session: Session, case: Case, officer: User, scores: Mapping[str, tuple[str, str]], *,
                      expected_version: int) -> list[EligibilityScore]:
    """Rate criteria (criterion key: (rating, note)); one audit event per criterion whose rating or note changed."""
    _check_may_score(session, case, officer)
    _check_scores(scores)
    if case.version != expected_version:
        raise StaleCase(stale_case_message())
    existing = {s.criterion: s for s in session.scalars(select(EligibilityScore).where(
        EligibilityScore.case_id == case.id))}
    changed = {key: value for key, value in scores.items()
               if key not in existing or (existing[key].rating, existing[key].note) != (value[0], value[1].strip())}
    if not changed:
        return []
    case.last_activity_at = utcnow()  # and the version: a recommendation form opened before this is now stale
    try:
        session.flush()
    except StaleDataError:
        raise StaleCase(stale_case_message()) from None
    return [_write_score(session, case, officer, key, rating, note, existing.get(key))
            for key, (rating, note) in changed.items()]


def _check_may_score(session: Session, case: Case, officer: User) -> None:
    if case.case_officer_id != officer.id or not is_declared_assignee(session, case, officer):
        raise Forbidden(_("Only the case officer assigned to this case can score its eligibility."))
    if case.state not in ASSESSABLE_STATES:
        raise DomainError(_("Eligibility is scored during triage and assessment."))


def _check_scores(scores: Mapping[str, tuple[str, str]]) -> None:
    errors = {}
    for key, (rating, note) in scores.items():
        if key not in CRITERION_BY_KEY:
            raise DomainError(_("“%(key)s” is not an eligibility criterion.", key=key))
        label = str(CRITERION_BY_KEY[key].label).lower()
        if rating not in RATING_LABELS:
            errors[f"rating-{key}"] = _("Rate %(criterion)s as met, partly met or not met", criterion=label)
        elif not (note or "").strip():
            errors[f"note-{key}"] = _("Explain your rating of %(criterion)s", criterion=label)
        elif len(note) > MAX_NOTE_LENGTH:
            errors[f"note-{key}"] = _("Keep the note to %(count)d characters or fewer", count=MAX_NOTE_LENGTH)
    if not scores:
        errors[f"rating-{ELIGIBILITY_CRITERIA[0].key}"] = _("Score at least one criterion")
    if errors:
        raise InvalidInput(errors)


def _write_score(session: Session, case: Case, officer: User, key: str, rating: str, note: str,
                 score: EligibilityScore | None) -> EligibilityScore:
    previous = score.rating if score is not None else None
    if score is None:
        score = EligibilityScore(case_id=case.id, criterion=key)
        session.add(score)
    score.rating, score.note, score.scored_by_id, score.scored_at = rating, note.strip(), officer.id, utcnow()
    session.flush()
    record_event(session, actor_id=officer.id, action=ELIGIBILITY_SCORED_EVENT, object_type="case", object_id=case.id,
                 case_id=case.id, details={"criterion": key, "rating": rating, "previous_rating": previous,
                                           "note": score.note})
    return score


# ---- Recommendation -------------------------------------------------------------------------------------------------

def recommend(session: Session, case: Case, officer: User, outcome: str, reasons: str, conditions: list[str],
              test_parameters: Mapping[str, Any], *, expected_version: int,
              idempotency_key: str | None = None) -> Recommendation:
    """The officer's recommendation: the case moves to a decision maker, who (and the leads) are told."""
    if idempotency_key and (earlier := earlier_result(session, case, "recommend", officer, idempotency_key)):
        return session.scalars(select(Recommendation).where(Recommendation.transition_id == earlier.id)).one()
    problems = recommendation_problems(outcome, reasons, conditions, test_parameters, regulator_today())
    if outcome not in RECOMMENDATION_LABELS:
        problems["outcome"] = _("Choose an outcome")
    if problems:
        raise InvalidInput(problems)
    admit = outcome == RecommendedOutcome.ADMIT
    transition = perform(session, case, "recommend", officer, expected_version=expected_version,
                         payload={"reasons": reasons}, idempotency_key=idempotency_key)
    recommendation = Recommendation(
        case_id=case.id, officer_id=officer.id, outcome=outcome, reasons=reasons.strip(),
        conditions=list(conditions) if admit else [],
        test_parameters=stored_parameters(test_parameters) if admit else {}, transition_id=transition.id)
    session.add(recommendation)
    session.flush()
    record_event(session, actor_id=officer.id, action="case.recommendation_recorded", object_type="recommendation",
                 object_id=recommendation.id, case_id=case.id,
                 details={"outcome": outcome, "conditions": recommendation.conditions,
                          "test_parameters": recommendation.test_parameters})
    notify_staff(session, case, [case.decision_maker, *leads_for(session, case)], _(
        "%(officer)s recommends: %(outcome)s, for %(reference)s. It is waiting for a decision.",
        officer=officer.full_name, outcome=str(RECOMMENDATION_LABELS[outcome]).lower(), reference=case.reference),
        subject=_("Recommendation ready for decision: %(reference)s", reference=case.reference))
    return recommendation


# ---- Reading the case file ------------------------------------------------------------------------------------------

@dataclass
class CaseFile:
    """Everything the staff case view shows besides the application itself, each list in reading order."""

    notes: list[CaseNote]
    messages: list[CaseMessage]
    scores: dict[str, EligibilityScore]
    recommendations: list[Recommendation]  # newest first
    decisions: list[Decision]  # newest first
    transitions: list[CaseTransition]  # newest first
    audit_events: list[AuditEvent]  # newest first
    recusals: list[Recusal]
    assignments: list[CaseAssignment]  # newest first, ended ones too
    information_requests: list[InformationRequest]  # newest first
    people: dict[int, User]


def load_case_file(session: Session, case: Case) -> CaseFile:
    def rows(model: Any, *order: Any, options: Iterable[Any] = ()) -> list[Any]:
        return list(session.scalars(select(model).where(model.case_id == case.id).order_by(*order).options(*options)))

    file = CaseFile(
        notes=rows(CaseNote, CaseNote.id), messages=rows(CaseMessage, CaseMessage.id),
        scores={s.criterion: s for s in rows(EligibilityScore, EligibilityScore.id)},
        recommendations=rows(Recommendation, Recommendation.id.desc()), decisions=rows(Decision, Decision.id.desc()),
        transitions=rows(CaseTransition, CaseTransition.id.desc()),
        audit_events=rows(AuditEvent, AuditEvent.seq.desc()),
        recusals=rows(Recusal, Recusal.id), assignments=rows(CaseAssignment, CaseAssignment.id.desc()),
        information_requests=rows(InformationRequest, InformationRequest.id.desc(),
                                  options=[selectinload(InformationRequest.questions)]),
        people={})
    file.people = _people(session, file)
    return file


def _people(session: Session, file: CaseFile) -> dict[int, User]:
    ids = {n.author_id for n in file.notes} | {m.author_id for m in file.messages} | {
        s.scored_by_id for s in file.scores.values()} | {r.officer_id for r in file.recommendations} | {
        d.decision_maker_id for d in file.decisions} | {t.actor_id for t in file.transitions} | {
        e.actor_id for e in file.audit_events} | {r.user_id for r in file.recusals} | {
        a.user_id for a in file.assignments} | {a.assigned_by_id for a in file.assignments} | {
        r.sent_by_id for r in file.information_requests}
    ids.discard(None)  # type: ignore[arg-type]
    if not ids:
        return {}
    return {user.id: user for user in session.scalars(select(User).where(User.id.in_(ids)))}
