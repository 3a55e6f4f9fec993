"""The named guards and effects a workflow definition may use.

A guard returns None when the move is allowed, or a message saying why not (in the words of the
person trying). An effect changes the case or writes rows; it flushes, never commits. Adding a name
here makes it available to definitions; the loader refuses names that are not here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.accounts.models import User
from sandbox.cases.models import Case, CaseTransition, ClockPause, ReferenceCounter
from sandbox.checklists.case_checklist import missing_mandatory
from sandbox.core.audit import AuditEvent
from sandbox.core.counters import take_next_number
from sandbox.core.db import utcnow
from sandbox.reviews.models import AssignmentRole, CaseAssignment
from sandbox.workflow.definition import TransitionDef, WorkflowDefinition

MAX_REASONS_LENGTH = 10_000
ASSESSING_ACTIONS = ("start_triage", "start_assessment", "request_information", "recommend")
# Scoring eligibility is assessing too, though it is no move of the workflow: its audit event says who scored.
ELIGIBILITY_SCORED_EVENT = "case.eligibility_scored"
CHECKLIST_RATED_EVENT = "checklist.item_rated"  # rating a checklist item is assessing as well
ASSESSING_EVENTS = (ELIGIBILITY_SCORED_EVENT, CHECKLIST_RATED_EVENT)
MISSING_ITEMS_LISTED = 12
ASSIGNED_ROLES = frozenset(role.value for role in AssignmentRole)


@dataclass
class TransitionContext:
    session: Session
    case: Case
    transition: TransitionDef
    definition: WorkflowDefinition
    actor: User | None
    payload: dict[str, Any]
    today: date
    notes: dict[str, Any] = field(default_factory=dict)  # effects record what they did, for the audit event

    def history(self, *actions: str) -> list[CaseTransition]:
        query = select(CaseTransition).where(CaseTransition.case_id == self.case.id).order_by(CaseTransition.id)
        if actions:
            query = query.where(CaseTransition.action.in_(actions))
        return list(self.session.scalars(query))


Guard = Callable[[TransitionContext], str | None]
Effect = Callable[[TransitionContext], None]


def _open_pause(context: TransitionContext) -> ClockPause | None:
    return next((p for p in context.case.pauses if p.ended_on is None), None)


def no_open_information_request(context: TransitionContext) -> str | None:
    if _open_pause(context) is not None:
        return _("An information request is still open. Wait for the applicant's answer first.")
    return None


def reasons_given(context: TransitionContext) -> str | None:
    reasons = str(context.payload.get("reasons") or "").strip()
    if not reasons:
        return _("Give your reasons.")
    if len(reasons) > MAX_REASONS_LENGTH:
        return _("Reasons must be %(count)d characters or fewer.", count=MAX_REASONS_LENGTH)
    return None


def has_assessed(session: Session, case_id: int, user_id: int) -> bool:
    """Four-eyes: the user triaged, assessed, scored, rated checklist items or recommended on this case (at any
    time, in any role)."""
    moved = session.scalar(select(CaseTransition.id).where(
        CaseTransition.case_id == case_id, CaseTransition.actor_id == user_id,
        CaseTransition.action.in_(ASSESSING_ACTIONS)).limit(1))
    if moved is not None:
        return True
    return session.scalar(select(AuditEvent.id).where(
        AuditEvent.case_id == case_id, AuditEvent.actor_id == user_id,
        AuditEvent.action.in_(ASSESSING_EVENTS)).limit(1)) is not None


def four_eyes(context: TransitionContext) -> str | None:
    """The decision maker must not have worked on the assessment of this case."""
    if context.actor is None:
        return None
    if has_assessed(context.session, context.case.id, context.actor.id):
        return _("You worked on the assessment of this case, so another decision maker must decide it.")
    return None


def mandatory_checklist_rated(context: TransitionContext) -> str | None:
    """A decision waits until every mandatory item of the case's checklist is rated; the message lists them."""
    missing = [item.code for item in missing_mandatory(context.session, context.case.id)]
    if not missing:
        return None
    listed = ", ".join(missing[:MISSING_ITEMS_LISTED])
    if len(missing) > MISSING_ITEMS_LISTED:
        listed = _("%(codes)s and %(count)d more", codes=listed, count=len(missing) - MISSING_ITEMS_LISTED)
    return _("Rate every mandatory checklist item first. Not rated yet: %(codes)s.", codes=listed)


def has_case_officer(context: TransitionContext) -> str | None:
    if context.case.case_officer_id is None:
        return _("Assign a case officer first.")
    return None


def assigned_to_actor(context: TransitionContext) -> str | None:
    """Officers and decision makers act only on cases assigned to them, once they have declared no conflict."""
    actor, case = context.actor, context.case
    if actor is None or actor.role not in ASSIGNED_ROLES:
        return None
    assigned_id = case.case_officer_id if actor.role == AssignmentRole.CASE_OFFICER else case.decision_maker_id
    if assigned_id != actor.id:
        return _("Only the %(role)s assigned to this case can do this.", role=actor.role_enum.label.lower())
    declared = context.session.scalar(select(CaseAssignment.declared_at).where(
        CaseAssignment.case_id == case.id, CaseAssignment.user_id == actor.id, CaseAssignment.role == actor.role,
        CaseAssignment.ended_at.is_(None)))
    if declared is None:
        return _("Confirm that you have no conflict of interest in this case first.")
    return None


def within_reconsideration_window(context: TransitionContext) -> str | None:
    history = context.history()
    if any(t.action == "request_reconsideration" for t in history):
        return _("This decision has already been reconsidered once.")
    entered = [t for t in history if t.to_state == context.case.state]
    if entered:
        deadline = entered[-1].occurred_at.date() + timedelta(days=context.definition.reconsideration_days)
        if context.today > deadline:
            return _("The time to ask for reconsideration ended on %(date)s.", date=deadline.isoformat())
    return None


def not_original_decider(context: TransitionContext) -> str | None:
    if context.actor is None:
        return None
    decisions = [t for t in context.history() if t.to_state == context.case.return_state]
    if decisions and decisions[-1].actor_id == context.actor.id:
        return _("You made the original decision, so another decision maker must reconsider it.")
    return None


def issue_reference(context: TransitionContext) -> None:
    case = context.case
    year = context.today.year
    case.reference = f"SBX-{year}-{take_next_number(context.session, ReferenceCounter, year):04d}"
    case.submitted_at = utcnow()
    context.notes["reference"] = case.reference


def start_clock(context: TransitionContext) -> None:
    context.case.clock_started_on = context.today
    context.case.clock_stopped_on = None


def pause_clock(context: TransitionContext) -> None:
    context.session.add(ClockPause(case=context.case, started_on=context.today, reason=context.transition.action))
    context.notes["clock"] = "paused"


def resume_clock(context: TransitionContext) -> None:
    pause = _open_pause(context)
    if pause is not None:
        pause.ended_on = context.today
        context.notes["clock"] = "resumed"


def stop_clock(context: TransitionContext) -> None:
    if context.case.clock_started_on is not None and context.case.clock_stopped_on is None:
        context.case.clock_stopped_on = context.today
        context.notes["clock"] = "stopped"


GUARDS: dict[str, Guard] = {
    "has_case_officer": has_case_officer,
    "assigned_to_actor": assigned_to_actor,
    "no_open_information_request": no_open_information_request,
    "reasons_given": reasons_given,
    "four_eyes": four_eyes,
    "mandatory_checklist_rated": mandatory_checklist_rated,
    "within_reconsideration_window": within_reconsideration_window,
    "not_original_decider": not_original_decider,
}

EFFECTS: dict[str, Effect] = {
    "issue_reference": issue_reference,
    "start_clock": start_clock,
    "pause_clock": pause_clock,
    "resume_clock": resume_clock,
    "stop_clock": stop_clock,
}
