"""A decision maker's decision on a case: through the workflow (four-eyes enforced), a Decision row, the people told.

Flushes, never commits; the workflow writes the transition's audit event and this module one more with what was
decided (the conditions and test parameters the letter will carry).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.accounts.models import User
from sandbox.cases.models import Case
from sandbox.core.audit import record_event
from sandbox.core.errors import DomainError, Forbidden
from sandbox.decisions.models import Decision, DecisionOutcome
from sandbox.notifications.outbox import notify_organisation, notify_staff
from sandbox.reviews.information_requests import open_request
from sandbox.reviews.models import Recommendation
from sandbox.reviews.schemas_case import InvalidInput, decision_problems, loaded_parameters, stored_parameters
from sandbox.workflow.engine import earlier_result, perform, regulator_today
from sandbox.workflow.rules import has_assessed

OUTCOME_OF_ACTION = {
    "admit": DecisionOutcome.ADMITTED,
    "reject": DecisionOutcome.REJECTED,
    "waitlist": DecisionOutcome.WAITLISTED,
    "send_back": DecisionOutcome.SENT_BACK,
    "reject_out_of_scope": DecisionOutcome.REJECTED_OUT_OF_SCOPE,
}
OUTCOME_LABELS = {
    DecisionOutcome.ADMITTED.value: _l("Admitted with conditions"),
    DecisionOutcome.REJECTED.value: _l("Rejected"),
    DecisionOutcome.WAITLISTED.value: _l("Waitlisted"),
    DecisionOutcome.SENT_BACK.value: _l("Sent back to assessment"),
    DecisionOutcome.REJECTED_OUT_OF_SCOPE.value: _l("Rejected as out of scope"),
}


def latest_recommendation(session: Session, case: Case) -> Recommendation | None:
    return session.scalars(select(Recommendation).where(Recommendation.case_id == case.id)
                           .order_by(Recommendation.id.desc()).limit(1)).one_or_none()


def decide(session: Session, case: Case, decision_maker: User, outcome: str, reasons: str,
           conditions: list[str] | None = None, test_parameters: Mapping[str, Any] | None = None, *,
           expected_version: int, idempotency_key: str | None = None) -> Decision:
    """`outcome` is the workflow action: admit, reject, waitlist, send_back (or reject_out_of_scope from triage).
    Conditions and test parameters left as None are the latest recommendation's."""
    if outcome not in OUTCOME_OF_ACTION:
        raise InvalidInput({"outcome": _("Choose an outcome")})
    if idempotency_key and (earlier := earlier_result(session, case, outcome, decision_maker, idempotency_key)):
        return session.scalars(select(Decision).where(Decision.transition_id == earlier.id)).one()
    _check_may_decide(session, case, decision_maker)
    recommendation = latest_recommendation(session, case) if case.state == "decision_pending" else None
    if conditions is None:
        conditions = list(recommendation.conditions) if recommendation else []
    if test_parameters is None:
        test_parameters = loaded_parameters(recommendation.test_parameters) if recommendation else {}
    problems = decision_problems(outcome, reasons, conditions, test_parameters, regulator_today())
    if problems:
        raise InvalidInput(problems)
    transition = perform(session, case, outcome, decision_maker, expected_version=expected_version,
                         payload={"reasons": reasons}, idempotency_key=idempotency_key)
    admit = outcome == "admit"
    decision = Decision(case_id=case.id, decision_maker_id=decision_maker.id, outcome=OUTCOME_OF_ACTION[outcome].value,
                        reasons=(reasons or "").strip() or None, conditions=list(conditions) if admit else [],
                        test_parameters=stored_parameters(test_parameters) if admit else {},
                        recommendation_id=recommendation.id if recommendation else None, transition_id=transition.id,
                        submitted_at=case.submitted_at)
    session.add(decision)
    session.flush()
    record_event(session, actor_id=decision_maker.id, action="case.decision_recorded", object_type="decision",
                 object_id=decision.id, case_id=case.id,
                 details={"outcome": decision.outcome, "recommendation_id": decision.recommendation_id,
                          "conditions": decision.conditions, "test_parameters": decision.test_parameters})
    _tell_people(session, case, decision, decision_maker)
    return decision


def _check_may_decide(session: Session, case: Case, decision_maker: User) -> None:
    """Checks with clearer words than the workflow's guards, which still apply."""
    if open_request(session, case) is not None:
        raise DomainError(_("An information request is still open. Wait for the applicant's answer before deciding."))
    if has_assessed(session, case.id, decision_maker.id):
        raise Forbidden(_("You worked on the assessment of this case, so another decision maker must decide it."))


def _tell_people(session: Session, case: Case, decision: Decision, decision_maker: User) -> None:
    label = str(OUTCOME_LABELS[decision.outcome]).lower()
    notify_staff(session, case, [case.case_officer], _(
        "%(name)s decided %(reference)s: %(outcome)s.", name=decision_maker.full_name, reference=case.reference,
        outcome=label), subject=_("Decision on %(reference)s: %(outcome)s", reference=case.reference, outcome=label))
    if decision.outcome == DecisionOutcome.SENT_BACK:
        return  # an internal step: the applicant's status ("being assessed") does not change
    reference = case.reference
    if decision.outcome == DecisionOutcome.ADMITTED:
        message = _("We have decided to admit %(reference)s to the sandbox, with conditions. The decision letter sets "
                    "out the conditions and the limits of the test.", reference=reference)
    elif decision.outcome == DecisionOutcome.WAITLISTED:
        message = _("Your application %(reference)s is eligible, but there is no place in the sandbox yet. We will "
                    "tell you when a place becomes available.", reference=reference)
    else:
        message = _("We have decided not to admit %(reference)s to the sandbox. The decision letter gives the reasons "
                    "and explains how to ask for the decision to be reconsidered.", reference=reference)
    notify_organisation(session, case, message,
                        subject=_("Decision on your application %(reference)s", reference=reference))
