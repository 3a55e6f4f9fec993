"""Issuing at the same moment: letters issued by threads at once never share a number and leave no gap, on SQLite
(write transactions begin IMMEDIATE, so they run one after another) and on PostgreSQL (the year's counter row is
locked FOR UPDATE until the commit)."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import select

from sandbox.decisions.letter_operations import draft_decision_letter, issue_letter
from sandbox.decisions.letters import Letter, LetterCounter
from sandbox.decisions.models import Decision
from sandbox.extensions import db
from sandbox.workflow.engine import perform, regulator_today
from tests.decisions.conftest import admit, rate_checklist
from tests.factories import assign_decider, pick_up
from tests.reviews.conftest import Staff, recommend_admission, submit_application

THREADS = 4


def draft_for_new_case(staff: Staff) -> int:
    """Another application taken to an admission by the same people, its letter drafted; committed."""
    case = submit_application(staff.firm, staff.applicant)
    pick_up(case, staff.officer)
    perform(db.session, case, "start_assessment", staff.officer, expected_version=case.version)
    db.session.commit()
    rate_checklist(case, staff.officer)
    recommend_admission(case, staff.officer)
    assign_decider(case, staff.decider, staff.lead)
    decision = admit(case, staff.decider)
    letter = draft_decision_letter(db.session, db.session.get(Decision, decision.id), staff.officer)
    db.session.commit()
    return letter.id


@pytest.mark.slow
def test_concurrent_issues_never_share_a_number_and_leave_no_gap(app: Flask, staff: Staff):
    letter_ids = [draft_for_new_case(staff) for _ in range(THREADS)]
    decider_id = staff.decider.id
    db.session.commit()  # the test's own session holds nothing while the threads write (SQLite's lock is global)
    start, errors = threading.Barrier(THREADS), []

    def issue(letter_id: int) -> None:
        with app.app_context():
            try:
                letter = db.session.get(Letter, letter_id)
                decider = db.session.get(type(staff.decider), decider_id)
                db.session.commit()  # release (on SQLite) the lock the reads took, so every thread starts level
                start.wait(timeout=30)
                issue_letter(db.session, letter, decider, expected_version=letter.version)
                db.session.commit()
            except Exception as error:  # reported below; a thread's exception would otherwise vanish
                errors.append(error)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue, args=(letter_id,)) for letter_id in letter_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    db.session.expire_all()
    year = regulator_today().year
    sequences = sorted(db.session.scalars(select(Letter.sequence).where(Letter.id.in_(letter_ids))))
    assert sequences == list(range(1, THREADS + 1))
    numbers = set(db.session.scalars(select(Letter.number).where(Letter.id.in_(letter_ids))))
    assert numbers == {f"SBX/L/{year}/{n:06d}" for n in range(1, THREADS + 1)}
    assert db.session.scalar(select(LetterCounter.last_number).where(LetterCounter.year == year)) == THREADS
