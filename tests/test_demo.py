"""The demo data: a populated service on first run, nothing new on the next."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from sandbox.accounts.models import Organisation, User
from sandbox.cases.models import Case, CaseTransition
from sandbox.decisions.models import Decision
from sandbox.demo import DEMO_CASES, seed_demo
from sandbox.extensions import db
from sandbox.reviews.models import EligibilityScore, InformationRequest, Recommendation, RequestStatus
from sandbox.reviews.statistics import dashboard_figures
from sandbox.workflow.engine import case_clock, regulator_today

COUNTED = (Organisation, User, Case, CaseTransition, Decision, Recommendation, EligibilityScore, InformationRequest)


def counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


def test_seeding_twice_creates_nothing_the_second_time():
    started = time.perf_counter()
    first = seed_demo(db.session)
    db.session.commit()
    elapsed = time.perf_counter() - started
    before = counts()
    assert seed_demo(db.session) == []
    db.session.commit()
    assert counts() == before
    assert before["Case"] == len(DEMO_CASES) == 12 and before["Organisation"] == 3 and before["User"] == 9
    assert sum(line.startswith("case ") for line in first) == 12
    assert elapsed < 10, f"seeding took {elapsed:.1f} s"


def test_demo_cases_cover_the_lifecycle():
    seed_demo(db.session)
    db.session.commit()
    states = {case.system_name or "draft": case.state for case in db.session.scalars(select(Case))}
    assert {"draft", "submitted", "triage", "information_requested", "assessment", "decision_pending", "admitted",
            "rejected", "waitlisted", "withdrawn"} <= set(states.values())
    pending = db.session.scalars(select(Case).where(Case.state == "decision_pending")).one()
    assert db.session.scalar(select(func.count()).select_from(Recommendation)
                             .where(Recommendation.case_id == pending.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(EligibilityScore)
                             .where(EligibilityScore.case_id == pending.id)) == 5
    request = db.session.scalars(select(InformationRequest)).one()
    assert request.status == RequestStatus.OPEN and request.due_on == regulator_today() + timedelta(days=10)
    assert len(request.questions) == 2
    rejected = db.session.scalars(select(Decision).where(Decision.outcome == "rejected")).one()
    assert rejected.reasons and "vulnerable" in rejected.reasons
    assert {d.outcome for d in db.session.scalars(select(Decision))} == {
        "admitted", "rejected", "rejected_out_of_scope", "waitlisted"}


def test_demo_has_one_overdue_case_and_a_history_for_the_dashboard():
    seed_demo(db.session)
    db.session.commit()
    today = regulator_today()
    overdue = db.session.scalars(select(Case).where(Case.system_name == "TriageMate")).one()
    assert overdue.clock_started_on == today - timedelta(days=122)
    assert case_clock(overdue, today).is_overdue
    figures = dashboard_figures(db.session, today)
    assert figures.overdue_cases == 1 and figures.most_overdue[0].reference == overdue.reference
    assert figures.days_to_decision.decisions == 4
    assert sum(month.submitted for month in figures.months) == 11  # every case but the draft, within 12 months
    admitted = db.session.scalars(select(Decision).where(Decision.outcome == "admitted")).one()
    assert (admitted.decided_at - admitted.submitted_at).days == 70
