from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from sandbox.accounts.conflicts import declare_conflict
from sandbox.cases.models import Case, CaseTransition
from sandbox.core.audit import AuditEvent, verify_chain
from sandbox.core.errors import NotFound
from sandbox.extensions import db
from sandbox.workflow.definition import DEFAULT_DEFINITION
from sandbox.workflow.engine import GuardFailed, InvalidTransition, StaleCase, case_clock, open_case, perform
from sandbox.workflow.versions import load_file, publish
from tests.factories import assign_decider, pick_up
from tests.workflow.conftest import Cast
from tests.workflow.test_clocks import HK_WORKING

MONDAY = date(2026, 3, 2)
REASONS = {"reasons": "Because the test plan lacks a kill switch."}


def act(case: Case, action: str, actor, today: date = MONDAY, **kwargs) -> CaseTransition:
    transition = perform(db.session, case, action, actor, expected_version=case.version, today=today, **kwargs)
    db.session.commit()
    return transition


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def to_decision_pending(case: Case, cast: Cast) -> None:
    act(case, "submit", cast.applicant)
    pick_up(case, cast.officer)
    act(case, "start_assessment", cast.officer)
    act(case, "recommend", cast.officer, payload=REASONS)
    assign_decider(case, cast.decider, cast.lead)


def test_submit_issues_sequential_references_and_starts_clock(cast: Cast):
    first, second = open_case(db.session, cast.firm, cast.applicant), open_case(db.session, cast.firm, cast.applicant)
    act(first, "submit", cast.applicant)
    act(second, "submit", cast.applicant)
    assert (first.reference, second.reference) == ("SBX-2026-0001", "SBX-2026-0002")
    assert first.state == "submitted" and first.clock_started_on == MONDAY and first.submitted_at is not None


def test_perform_writes_one_audit_event_and_history_row_per_move(draft: Case, cast: Cast):
    before = audit_count()
    act(draft, "submit", cast.applicant)
    assert audit_count() == before + 1
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert (event.action, event.case_id, event.actor_id) == ("case.submit", draft.id, cast.applicant.id)
    assert event.details["from"] == "draft" and event.details["reference"] == draft.reference
    assert verify_chain(db.session).is_intact


def test_perform_other_organisations_applicant_gets_not_found(draft: Case, cast: Cast):
    with pytest.raises(NotFound):
        act(draft, "submit", cast.other_applicant)
    db.session.rollback()
    assert draft.state == "draft"


def test_perform_wrong_role_is_refused_and_changes_nothing(draft: Case, cast: Cast):
    act(draft, "submit", cast.applicant)
    before = audit_count()
    with pytest.raises(InvalidTransition, match="Your role cannot"):
        act(draft, "start_triage", cast.applicant)
    db.session.rollback()
    assert draft.state == "submitted" and audit_count() == before


def test_perform_action_not_available_in_state_is_refused(draft: Case, cast: Cast):
    with pytest.raises(InvalidTransition, match="not possible while the case is “Draft”"):
        act(draft, "admit", cast.decider)


def test_information_request_pauses_clock_and_answer_returns_to_previous_state(draft: Case, cast: Cast):
    act(draft, "submit", cast.applicant)
    pick_up(draft, cast.officer)
    act(draft, "start_assessment", cast.officer)
    act(draft, "request_information", cast.officer, today=date(2026, 3, 5))
    assert draft.state == "information_requested" and draft.return_state == "assessment"
    assert case_clock(draft, today=date(2026, 3, 10)).is_paused
    with pytest.raises(InvalidTransition):
        act(draft, "recommend", cast.officer, payload=REASONS)
    db.session.rollback()
    act(draft, "respond_to_request", cast.applicant, today=date(2026, 3, 15))
    assert draft.state == "assessment" and draft.return_state is None
    assert [(p.started_on, p.ended_on) for p in draft.pauses] == [(date(2026, 3, 5), date(2026, 3, 15))]
    clock = case_clock(draft, today=date(2026, 3, 16))
    unpaused_deadline = HK_WORKING.add(MONDAY, 60)  # the default workflow allows 60 working days
    assert clock.paused_days == 6 and clock.deadline == HK_WORKING.add(unpaused_deadline, 6)


def test_decision_four_eyes_officer_who_assessed_cannot_decide(draft: Case, cast: Cast):
    to_decision_pending(draft, cast)
    cast.officer.role = "decision_maker"  # promoted since: still worked on the assessment of this case
    with pytest.raises(GuardFailed, match="another decision maker must decide"):
        act(draft, "admit", cast.officer)
    db.session.rollback()
    act(draft, "admit", cast.decider)
    assert draft.state == "admitted" and draft.clock_stopped_on == MONDAY


def test_reject_without_reasons_is_refused(draft: Case, cast: Cast):
    to_decision_pending(draft, cast)
    with pytest.raises(GuardFailed, match="Give your reasons"):
        act(draft, "reject", cast.decider, payload={"reasons": "   "})


def test_reconsideration_needs_a_different_decision_maker(draft: Case, cast: Cast):
    to_decision_pending(draft, cast)
    act(draft, "reject", cast.decider, payload=REASONS)
    act(draft, "request_reconsideration", cast.applicant, payload=REASONS)
    with pytest.raises(GuardFailed, match="another decision maker must reconsider"):
        act(draft, "uphold_decision", cast.decider, payload=REASONS)
    db.session.rollback()
    assign_decider(draft, cast.decider2, cast.lead)
    act(draft, "uphold_decision", cast.decider2, payload=REASONS)
    assert draft.state == "rejected"
    with pytest.raises(GuardFailed, match="already been reconsidered"):
        act(draft, "request_reconsideration", cast.applicant, payload=REASONS)


def test_stale_expected_version_is_refused_with_clear_message(draft: Case, cast: Cast):
    opened_at_version = draft.version
    act(draft, "submit", cast.applicant)
    with pytest.raises(StaleCase, match="changed since you opened it"):
        perform(db.session, draft, "withdraw", cast.applicant, expected_version=opened_at_version, payload=REASONS)


def test_retried_action_with_same_idempotency_key_does_nothing_the_second_time(draft: Case, cast: Cast):
    first = act(draft, "submit", cast.applicant, idempotency_key="form-123")
    before = (audit_count(), draft.version)
    again = perform(db.session, draft, "submit", cast.applicant, expected_version=1, idempotency_key="form-123")
    db.session.commit()
    assert again.id == first.id
    assert (audit_count(), draft.version) == before


def test_conflicted_officer_cannot_act_on_the_case(draft: Case, cast: Cast):
    act(draft, "submit", cast.applicant)
    declare_conflict(db.session, cast.officer, cast.firm.id, "My brother is a director.")
    db.session.commit()
    with pytest.raises(NotFound):
        act(draft, "start_triage", cast.officer)


def test_publishing_version_2_leaves_version_1_case_on_version_1(draft: Case, cast: Cast, tmp_path):
    changed = tmp_path / "v2.toml"
    changed.write_text(DEFAULT_DEFINITION.read_text().replace('label = "Triage"', 'label = "Initial checks"'))
    v2 = publish(db.session, load_file(changed))
    db.session.commit()
    newer = open_case(db.session, cast.firm, cast.applicant)
    assert (draft.workflow_version.number, v2.number, newer.workflow_version.number) == (1, 2, 2)
    act(draft, "submit", cast.applicant)
    pick_up(draft, cast.officer)
    assert draft.workflow_version.number == 1
    from sandbox.workflow.versions import definition_of

    assert definition_of(draft.workflow_version).states["triage"].label == "Triage"
    assert definition_of(newer.workflow_version).states["triage"].label == "Initial checks"


def test_publish_same_definition_twice_keeps_one_version(cast: Cast):
    first = publish(db.session, load_file(DEFAULT_DEFINITION))
    assert publish(db.session, load_file(DEFAULT_DEFINITION)).id == first.id


def test_published_version_keeps_the_files_state_order(cast: Cast):
    from sandbox.workflow.versions import current_version, definition_of

    states = list(definition_of(current_version(db.session)).states)
    assert states == list(load_file(DEFAULT_DEFINITION).states)
    assert states[:3] == ["draft", "submitted", "triage"]
