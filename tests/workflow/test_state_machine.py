"""Property: random actions by random people never take a case where the definition does not allow,
and every move writes exactly one audit event while every refusal changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from sandbox.accounts.models import User
from sandbox.core.audit import AuditEvent
from sandbox.core.errors import DomainError
from sandbox.extensions import db
from sandbox.reviews.models import CaseAssignment
from sandbox.workflow.definition import SYSTEM_ROLE
from sandbox.workflow.engine import open_case, perform
from sandbox.workflow.versions import current_version, definition_of
from tests.workflow.conftest import Cast

ACTOR_NAMES = ("applicant", "other_applicant", "officer", "officer2", "decider", "decider2", "lead", "admin", "system")


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def last_audit_action() -> str:
    return db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.seq.desc()).limit(1))


# Moves that end a case for good; drawn less often so that runs also reach the far end of the lifecycle.
ENDINGS = frozenset({"discarded", "withdrawn", "lapsed"})
ROLE_OF = {"applicant": "applicant", "other_applicant": "applicant", "officer": "case_officer",
           "officer2": "case_officer", "decider": "decision_maker", "decider2": "decision_maker", "lead": "lead",
           "admin": "admin", "system": SYSTEM_ROLE}


def make_machine(cast: Cast, visited: set[str]):
    definition = definition_of(current_version(db.session))
    db.session.commit()
    actions = sorted({t.action for t in definition.transitions})

    class CaseLifecycle(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.today = date(2026, 1, 5)

        @initialize()
        def open_a_case(self) -> None:
            self.case = open_case(db.session, cast.firm, cast.applicant)
            # The officer and the decision maker are assigned (and declared) from the start, so their moves can
            # succeed; everyone else's officer and decision moves must be refused.
            for user, role in ((cast.officer, "case_officer"), (cast.decider, "decision_maker")):
                db.session.add(CaseAssignment(case_id=self.case.id, user_id=user.id, role=role,
                                              assigned_by_id=cast.lead.id, declared_at=datetime.now(UTC)))
            self.case.case_officer_id, self.case.decision_maker_id = cast.officer.id, cast.decider.id
            db.session.commit()

        @rule(data=st.data(), give_reasons=st.booleans(), days_later=st.integers(min_value=0, max_value=20))
        def attempt(self, data: st.DataObject, give_reasons: bool, days_later: int) -> None:
            # Mostly a plausible move (an action open in this state, by someone of a role it names), so runs
            # get deep into the lifecycle; sometimes anything at all, by anyone, which must be refused cleanly.
            plausible = definition.transitions_from(self.case.state)
            onward = [t for t in plausible if t.target not in ENDINGS]
            choice = data.draw(st.integers(0, 5), label="kind of move")
            if plausible and choice > 0:
                transition = data.draw(st.sampled_from(onward if onward and choice > 1 else plausible),
                                       label="transition")
                action = transition.action
                actor_name = data.draw(st.sampled_from(
                    [name for name in ACTOR_NAMES if ROLE_OF[name] in transition.roles] or ACTOR_NAMES), label="actor")
            else:
                action = data.draw(st.sampled_from(actions), label="action")
                actor_name = data.draw(st.sampled_from(ACTOR_NAMES), label="actor")
            self.attempt_action(action, actor_name, give_reasons, days_later)

        def attempt_action(self, action: str, actor_name: str, give_reasons: bool, days_later: int) -> None:
            self.today += timedelta(days=days_later)
            actor: User | None = None if actor_name == "system" else getattr(cast, actor_name)
            case = self.case
            before = (case.state, case.return_state, case.version, audit_count())
            try:
                perform(db.session, case, action, actor, expected_version=case.version, today=self.today,
                        payload={"reasons": "Reasons given in full."} if give_reasons else {})
                db.session.commit()
            except DomainError:
                db.session.rollback()
                assert (case.state, case.return_state, case.version, audit_count()) == before
                return
            from_state, return_state, version, events = before
            transition = definition.transition_for(from_state, action)
            assert transition is not None, f"{action} happened from {from_state}"
            assert (SYSTEM_ROLE if actor is None else actor.role) in transition.roles
            assert case.state == (return_state if transition.returns_to_previous else transition.target)
            assert case.version == version + 1
            assert audit_count() == events + 1 and last_audit_action() == f"case.{action}"
            visited.add(case.state)

        @invariant()
        def state_is_defined(self) -> None:
            if hasattr(self, "case"):
                assert self.case.state in definition.states

    return CaseLifecycle


def test_random_actions_never_leave_the_definition_and_never_skip_an_audit_event(cast: Cast):
    visited: set[str] = set()
    run_state_machine_as_test(make_machine(cast, visited), settings=settings(
        max_examples=60, stateful_step_count=50, deadline=None, database=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
    # The property is only worth something if the runs went deep: most of the lifecycle was reached.
    for state in ("submitted", "information_requested", "decision_pending", "testing", "closed", "reconsideration"):
        assert state in visited, f"the random runs never reached {state}: {sorted(visited)}"
