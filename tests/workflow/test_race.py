"""The decision maker decides the same case twice at the same moment (two tabs, admit in one and reject in the
other): exactly one decision wins, every time; the other is refused as stale."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import func, select

from sandbox.cases.models import Case
from sandbox.core.audit import AuditEvent
from sandbox.extensions import db
from sandbox.workflow.engine import StaleCase, open_case, perform
from tests.workflow.conftest import Cast
from tests.workflow.test_engine import REASONS, to_decision_pending

TRIALS = 100


def decide(app: Flask, case_id: int, user_id: int, action: str, expected_version: int, barrier: threading.Barrier,
           outcomes: list[str]) -> None:
    from sandbox.accounts.models import User

    with app.app_context():
        barrier.wait()
        try:
            case, actor = db.session.get(Case, case_id), db.session.get(User, user_id)
            perform(db.session, case, action, actor, expected_version=expected_version, payload=REASONS)
            db.session.commit()
            outcomes.append("won")
        except StaleCase:
            db.session.rollback()
            outcomes.append("stale")
        except Exception as error:
            db.session.rollback()
            outcomes.append(f"error: {error!r}")
        finally:
            db.session.remove()


@pytest.mark.slow
def test_two_decisions_at_once_exactly_one_wins_every_time(app: Flask, cast: Cast):
    decider_id = cast.decider.id
    for trial in range(TRIALS):
        case = open_case(db.session, cast.firm, cast.applicant)
        to_decision_pending(case, cast)
        case_id, opened_at = case.id, case.version
        db.session.commit()  # end this thread's transaction: on SQLite it would hold the write lock
        barrier, outcomes = threading.Barrier(2), []
        threads = [
            threading.Thread(target=decide, args=(app, case_id, decider_id, "admit", opened_at, barrier, outcomes)),
            threading.Thread(target=decide, args=(app, case_id, decider_id, "reject", opened_at, barrier,
                                                  outcomes)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(outcomes) == ["stale", "won"], f"trial {trial}: {outcomes}"
        db.session.expire_all()
        decisions = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action.in_(("case.admit", "case.reject"))))
        assert decisions == 1, f"trial {trial}: {decisions} decision events"
        assert db.session.get(Case, case_id).state in ("admitted", "rejected")
        db.session.commit()


