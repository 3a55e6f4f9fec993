"""Who works on a case: assigning case officers and decision makers, declarations, recusals, workload.

A lead assigns and reassigns; a case officer may pick up a case nobody has yet. Each assignee declares,
for the case itself, that they have no conflict of interest before they may act on it; declaring one
instead records a recusal, ends the assignment and hides the organisation's cases from them.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from sandbox.accounts.conflicts import declare_conflict, has_conflict
from sandbox.accounts.models import User
from sandbox.cases.models import Case
from sandbox.core.audit import record_event
from sandbox.core.db import utcnow
from sandbox.core.errors import DomainError, Forbidden
from sandbox.core.permissions import Role
from sandbox.notifications.outbox import notify_staff
from sandbox.reviews.models import AssignmentEnd, AssignmentRole, CaseAssignment, Recusal
from sandbox.workflow.engine import StaleCase, perform, stale_case_message
from sandbox.workflow.rules import has_assessed

MAX_REASON_LENGTH = 2000


def current_assignment(session: Session, case: Case, role: AssignmentRole) -> CaseAssignment | None:
    return session.scalars(select(CaseAssignment).where(
        CaseAssignment.case_id == case.id, CaseAssignment.role == role.value, CaseAssignment.ended_at.is_(None))
    ).one_or_none()


def pending_declaration(session: Session, case: Case, user: User) -> CaseAssignment | None:
    """The user's current assignment on the case if they have not yet declared on it."""
    return session.scalars(select(CaseAssignment).where(
        CaseAssignment.case_id == case.id, CaseAssignment.user_id == user.id, CaseAssignment.ended_at.is_(None),
        CaseAssignment.declared_at.is_(None))).first()


def assign(session: Session, case: Case, assignee: User, role: AssignmentRole, by: User, *,
           expected_version: int, declares_no_conflict: bool = False) -> CaseAssignment:
    """Make `assignee` the case's officer or decision maker. Flushes; writes one audit event."""
    if case.reference is None or not case.is_open:
        raise DomainError(_("Only open cases can be assigned."))
    _check_may_assign(case, assignee, role, by)
    _check_assignee(session, case, assignee, role)
    if case.version != expected_version:
        raise StaleCase(stale_case_message())
    if by.id == assignee.id and not declares_no_conflict:
        raise DomainError(_("Confirm that you have no conflict of interest in this case."), field="declaration")
    earlier = current_assignment(session, case, role)
    if earlier is not None:
        earlier.ended_at, earlier.end_reason = utcnow(), AssignmentEnd.REASSIGNED.value
    now = utcnow()
    assignment = CaseAssignment(case_id=case.id, user_id=assignee.id, role=role.value, assigned_by_id=by.id,
                                declared_at=now if by.id == assignee.id else None)
    session.add(assignment)
    if role is AssignmentRole.CASE_OFFICER:
        case.case_officer_id = assignee.id
    else:
        case.decision_maker_id = assignee.id
    case.last_activity_at = now
    if role is AssignmentRole.CASE_OFFICER and case.state == "submitted":
        perform(session, case, "start_triage", by, expected_version=expected_version)  # flushes the case with it
    _flush_case(session)
    record_event(session, actor_id=by.id, action="case.assigned", object_type="case", object_id=case.id,
                 case_id=case.id, details={"role": role.value, "user_id": assignee.id,
                                           "replaces_user_id": earlier.user_id if earlier else None})
    if by.id != assignee.id:
        notify_staff(session, case, [assignee], _(
            "You have been assigned %(reference)s as %(role)s. Open the case to declare that you have no conflict "
            "of interest before you start.", reference=case.reference, role=_role_label(role)),
            subject=_("Case %(reference)s assigned to you", reference=case.reference))
    return assignment


def _role_label(role: AssignmentRole) -> str:
    return Role(role.value).label.lower()


def _check_may_assign(case: Case, assignee: User, role: AssignmentRole, by: User) -> None:
    if by.role_enum is Role.LEAD:
        return
    picking_up = (by.id == assignee.id and role is AssignmentRole.CASE_OFFICER and case.case_officer_id is None)
    if not picking_up:
        raise Forbidden(_("Only a team lead can assign or reassign this case."))


def _check_assignee(session: Session, case: Case, assignee: User, role: AssignmentRole) -> None:
    if not assignee.is_active or assignee.role != role.value:
        raise DomainError(_("%(name)s is not an active %(role)s.", name=assignee.full_name, role=_role_label(role)),
                          field="assignee")
    if has_conflict(session, assignee.id, case.organisation_id):
        raise DomainError(_("%(name)s has declared a conflict of interest with %(organisation)s and cannot be "
                            "assigned.", name=assignee.full_name, organisation=case.organisation_name),
                          field="assignee")
    if role is AssignmentRole.DECISION_MAKER and has_assessed(session, case.id, assignee.id):
        raise DomainError(_("%(name)s worked on the assessment of this case, so cannot decide it.",
                            name=assignee.full_name), field="assignee")
    other = case.decision_maker_id if role is AssignmentRole.CASE_OFFICER else case.case_officer_id
    if other == assignee.id:
        raise DomainError(_("The case officer and the decision maker must be different people."), field="assignee")


def _flush_case(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise StaleCase(stale_case_message()) from None


def declare_no_conflict(session: Session, case: Case, user: User) -> CaseAssignment:
    assignment = pending_declaration(session, case, user)
    if assignment is None:
        raise DomainError(_("You have no declaration to make on this case."))
    assignment.declared_at = utcnow()
    session.flush()
    record_event(session, actor_id=user.id, action="case.declared_no_conflict", object_type="case",
                 object_id=case.id, case_id=case.id, details={"role": assignment.role})
    return assignment


def declare_conflict_on_case(session: Session, case: Case, user: User, reason: str) -> Recusal:
    """The user has a conflict with the case's organisation: they stand aside from all of its cases."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say what the conflict of interest is."), field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise DomainError(_("Keep the reason to %(count)d characters or fewer.", count=MAX_REASON_LENGTH),
                          field="reason")
    declare_conflict(session, user, case.organisation_id, reason)
    recusals = recuse_from_organisation(session, user, case.organisation_id, reason)
    return next((r for r in recusals if r.case_id == case.id), None) or _record_recusal(session, case, user, reason)


def recuse_from_organisation(session: Session, user: User, organisation_id: int, reason: str) -> list[Recusal]:
    """End the user's assignments on the organisation's cases, recording a recusal on each."""
    assignments = session.scalars(select(CaseAssignment).join(Case, Case.id == CaseAssignment.case_id).where(
        Case.organisation_id == organisation_id, CaseAssignment.user_id == user.id,
        CaseAssignment.ended_at.is_(None))).all()
    recusals = []
    for assignment in assignments:
        case = session.get_one(Case, assignment.case_id)
        assignment.ended_at, assignment.end_reason = utcnow(), AssignmentEnd.RECUSED.value
        if case.case_officer_id == user.id:
            case.case_officer_id = None
        if case.decision_maker_id == user.id:
            case.decision_maker_id = None
        case.last_activity_at = utcnow()
        recusals.append(_record_recusal(session, case, user, reason))
        leads = session.scalars(select(User).where(User.role == Role.LEAD.value, User.is_active.is_(True))).all()
        notify_staff(session, case, [lead for lead in leads if not has_conflict(session, lead.id, organisation_id)],
                     _("%(name)s declared a conflict of interest and stood aside from %(reference)s. Assign "
                       "someone else.", name=user.full_name, reference=case.reference),
                     subject=_("Case %(reference)s needs a new assignee", reference=case.reference))
    _flush_case(session)
    return recusals


def _record_recusal(session: Session, case: Case, user: User, reason: str) -> Recusal:
    recusal = Recusal(case_id=case.id, user_id=user.id, reason=reason)
    session.add(recusal)
    session.flush()
    record_event(session, actor_id=user.id, action="case.recused", object_type="case", object_id=case.id,
                 case_id=case.id, details={"reason": reason})
    return recusal


@dataclass(frozen=True)
class Workload:
    user: User
    open_cases: int
    overdue_cases: int


def workload(session: Session, role: Role, today: object) -> list[Workload]:
    """Open and overdue cases per active member of staff holding `role` (officers or decision makers)."""
    column = Case.case_officer_id if role is Role.CASE_OFFICER else Case.decision_maker_id
    counts = dict(session.execute(select(column, func.count()).where(Case.is_open)
                                  .group_by(column)).all())
    overdue = dict(session.execute(select(column, func.count()).where(
        # Only running clocks have a real date as their sort key, so this reads the clock index's range.
        Case.clock_sort_on < today, Case.clock_state == "running", Case.is_open).group_by(column))
        .all())
    people = session.scalars(select(User).where(User.role == role.value, User.is_active.is_(True))
                             .order_by(User.full_name)).all()
    return [Workload(person, counts.get(person.id, 0), overdue.get(person.id, 0)) for person in people]


@dataclass
class BulkReport:
    assigned: list[str]
    refused: list[tuple[str, str]]  # (reference, why)


def bulk_assign(session: Session, selection: list[tuple[int, int]], assignee: User, role: AssignmentRole,
                by: User) -> BulkReport:
    """Assign each selected (case id, version seen) on its own: one refusal does not undo the others."""
    report = BulkReport([], [])
    for case_id, version in selection:
        case = session.get(Case, case_id)
        if case is None or case.reference is None or has_conflict(session, by.id, case.organisation_id):
            report.refused.append((f"#{case_id}", _("case not found")))
            continue
        reference = case.reference
        try:
            with session.begin_nested():
                assign(session, case, assignee, role, by, expected_version=version)
        except DomainError as error:
            report.refused.append((reference, error.message))
        else:
            report.assigned.append(reference)
    return report
