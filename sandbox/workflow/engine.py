"""The one entry point that moves a case: role, conflict, guards, effects and audit in one transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from sandbox.accounts.conflicts import has_conflict
from sandbox.accounts.models import Organisation, User
from sandbox.cases.models import Case, CaseTransition, IdempotencyKey
from sandbox.core.audit import record_event
from sandbox.core.db import utcnow
from sandbox.core.errors import Conflict, DomainError, NotFound
from sandbox.workflow.clocks import ClockStatus, CountingCalendar, Pause, clock_status
from sandbox.workflow.definition import SYSTEM_ROLE, TransitionDef, WorkflowDefinition
from sandbox.workflow.rules import EFFECTS, GUARDS, TransitionContext
from sandbox.workflow.versions import current_version, definition_of

REGULATOR_TIMEZONE = ZoneInfo("Asia/Hong_Kong")
NO_DEADLINE = date(9999, 12, 31)
PAUSED_BASE = date(9000, 1, 1)


def stale_case_message() -> str:
    return _("This case changed since you opened it. Reload the page to see the latest version, then try again.")


class InvalidTransition(DomainError):
    status_code = 409


class GuardFailed(DomainError):
    def __init__(self, messages: list[str]) -> None:
        super().__init__(" ".join(messages))
        self.messages = messages


class StaleCase(Conflict):
    pass


def regulator_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(REGULATOR_TIMEZONE).date()


def start_of_regulator_day(day: date) -> datetime:
    """The moment (in UTC) the regulator's calendar day `day` begins: the bound of a date-range filter."""
    return datetime(day.year, day.month, day.day, tzinfo=REGULATOR_TIMEZONE).astimezone(UTC)


def open_case(session: Session, organisation: Organisation, actor: User) -> Case:
    """A new draft for the organisation, pinned to the workflow version in force now."""
    version = current_version(session)
    case = Case(organisation=organisation, workflow_version=version, state=definition_of(version).initial_state,
                created_by_id=actor.id, organisation_name=organisation.name)
    session.add(case)
    session.flush()
    record_event(session, actor_id=actor.id, action="case.opened", object_type="case", object_id=case.id,
                 case_id=case.id, details={"workflow_version": version.number, "state": case.state})
    return case


def perform(session: Session, case: Case, action: str, actor: User | None, *, expected_version: int,
            payload: dict[str, Any] | None = None, idempotency_key: str | None = None,
            today: date | None = None) -> CaseTransition:
    """Move `case` by `action`. Raises a DomainError (nothing changed) when the move is not allowed."""
    if idempotency_key:
        earlier = earlier_result(session, case, action, actor, idempotency_key)
        if earlier is not None:
            return earlier
    if case.version != expected_version:
        raise StaleCase(stale_case_message())
    definition = definition_of(case.workflow_version)
    transition = _allowed_transition(session, definition, case, action, actor)
    context = TransitionContext(session=session, case=case, transition=transition, definition=definition,
                                actor=actor, payload=payload or {}, today=today or regulator_today())
    failures = [message for name in transition.guards if (message := GUARDS[name](context))]
    if failures:
        raise GuardFailed(failures)
    return _apply(context, idempotency_key)


def _allowed_transition(session: Session, definition: WorkflowDefinition, case: Case, action: str,
                        actor: User | None) -> TransitionDef:
    if actor is not None and not actor.is_staff and actor.organisation_id != case.organisation_id:
        raise NotFound(_("Case not found."))  # another organisation's case does not exist for this user
    if actor is not None and actor.is_staff and has_conflict(session, actor.id, case.organisation_id):
        raise NotFound(_("Case not found."))
    transition = definition.transition_for(case.state, action)
    state_label = definition.states[case.state].label
    if transition is None:
        raise InvalidTransition(_("“%(action)s” is not possible while the case is “%(state)s”.",
                                  action=action.replace("_", " "), state=state_label))
    role = SYSTEM_ROLE if actor is None else actor.role
    if role not in transition.roles:
        raise InvalidTransition(_("Your role cannot “%(action)s” on a case that is “%(state)s”.",
                                  action=transition.label, state=state_label))
    return transition


def _apply(context: TransitionContext, idempotency_key: str | None) -> CaseTransition:
    case, transition = context.case, context.transition
    from_state = case.state
    to_state = case.return_state if transition.returns_to_previous else transition.target
    if to_state is None:
        raise InvalidTransition(_("This case has no earlier state to return to."))
    for name in transition.effects:
        EFFECTS[name](context)
    case.return_state = from_state if to_state in context.definition.states_returning_to_previous() else None
    case.state = to_state
    case.updated_at = case.last_activity_at = utcnow()
    with context.session.no_autoflush:  # reading the pauses must not write the case twice (one version per move)
        refresh_queue_columns(case, context.definition, context.today)
    reasons = str(context.payload.get("reasons") or "").strip() or None
    record = CaseTransition(case_id=case.id, action=transition.action, from_state=from_state, to_state=to_state,
                            actor_id=context.actor.id if context.actor else None, reasons=reasons)
    context.session.add(record)
    try:
        context.session.flush()
    except StaleDataError:
        raise StaleCase(stale_case_message()) from None
    if idempotency_key:
        context.session.add(IdempotencyKey(user_key=_user_key(context.actor), key=idempotency_key, case_id=case.id,
                                           action=transition.action, transition_id=record.id))
    record_event(context.session, actor_id=record.actor_id, action=f"case.{transition.action}", object_type="case",
                 object_id=case.id, case_id=case.id,
                 details={"from": from_state, "to": to_state, "version": case.version, **context.notes})
    return record


def _user_key(actor: User | None) -> str:
    return "system" if actor is None else str(actor.id)


def earlier_result(session: Session, case: Case, action: str, actor: User | None, key: str) -> CaseTransition | None:
    """The transition an earlier request with this idempotency key made, if there was one."""
    earlier = session.scalars(select(IdempotencyKey).where(IdempotencyKey.user_key == _user_key(actor),
                                                           IdempotencyKey.key == key)).one_or_none()
    if earlier is None:
        return None
    if earlier.case_id != case.id or earlier.action != action:
        raise Conflict(_("This request was already used for a different action. Reload the page and try again."))
    return session.get(CaseTransition, earlier.transition_id)


def refresh_queue_columns(case: Case, definition: WorkflowDefinition, today: date) -> None:
    """Keep the case's queue copies of its state and clock true after a move (see Case.clock_sort_on)."""
    case.is_open = definition.is_open(case.state)
    clock = case_clock(case, today)
    case.deadline_on = clock.deadline if clock.is_running else None
    case.days_left_when_paused = clock.days_left if clock.is_paused else None
    if clock.is_running:
        case.clock_state, case.clock_sort_on = "running", clock.deadline or NO_DEADLINE
    elif clock.is_paused:
        case.clock_state = "paused"
        case.clock_sort_on = PAUSED_BASE + timedelta(days=max(clock.days_left or 0, -1000))
    else:
        case.clock_state = "stopped" if clock.is_stopped else None
        case.clock_sort_on = NO_DEADLINE


def days_left_on_queue(case_clock_state: str | None, deadline_on: date | None, days_left_when_paused: int | None,
                       definition: WorkflowDefinition, today: date) -> int | None:
    """Days left from the queue copies alone (no pause history needed); negative when overdue."""
    if case_clock_state == "paused":
        return days_left_when_paused
    if case_clock_state != "running" or deadline_on is None:
        return None
    calendar = CountingCalendar.for_clock(definition.clock)
    if today <= deadline_on:
        return calendar.count_between(today, deadline_on)
    return -calendar.count_between(deadline_on, today)


def case_clock(case: Case, today: date | None = None) -> ClockStatus:
    clock = definition_of(case.workflow_version).clock
    return clock_status(CountingCalendar.for_clock(clock), clock.days, case.clock_started_on,
                        [Pause(p.started_on, p.ended_on) for p in case.pauses], case.clock_stopped_on,
                        today or regulator_today())
