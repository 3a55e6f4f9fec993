"""Cases decided through the domain functions, ready for their letters; the review tests' staff and cases reused.

The checklist the letters' annex and the dossier print comes from `sandbox.checklists.export.checklist_rows`;
here it answers with the rows a test puts in `checklist` (none by default).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

import pytest

from sandbox.cases.models import Case
from sandbox.decisions.letter_operations import draft_decision_letter, issue_letter
from sandbox.decisions.letters import Letter
from sandbox.decisions.models import Decision
from sandbox.decisions.operations import decide
from sandbox.extensions import db
from tests.factories import assign_decider
from tests.reviews import conftest as review_fixtures
from tests.reviews.conftest import Staff, recommend_admission

EXPORT_MODULE = "sandbox.checklists.export"
# The review tests' people and cases, as fixtures here too.
staff = review_fixtures.staff
submitted_case = review_fixtures.submitted_case
case_in_assessment = review_fixtures.case_in_assessment


@pytest.fixture(autouse=True)
def checklist(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    try:
        module = importlib.import_module(EXPORT_MODULE)
    except ModuleNotFoundError:
        module = types.ModuleType(EXPORT_MODULE)
        monkeypatch.setitem(sys.modules, EXPORT_MODULE, module)
    monkeypatch.setattr(module, "checklist_rows", lambda _session, _case_id: list(rows), raising=False)
    return rows


def rate_checklist(case: Case, officer) -> None:
    """The officer rates every item of the case's checklist as met (deciding waits for the mandatory ones)."""
    from sandbox.checklists.case_checklist import case_items
    from sandbox.checklists.operations import rate_item

    for item in case_items(db.session, case.id):
        rate_item(db.session, case, item, officer, "met", "", expected_version=item.version)
    db.session.commit()


@pytest.fixture
def case_pending_decision(staff: Staff, case_in_assessment: Case) -> Case:
    """Checklist rated and admission recommended by `staff.officer`; `staff.decider` assigned and declared."""
    rate_checklist(case_in_assessment, staff.officer)
    recommend_admission(case_in_assessment, staff.officer)
    assign_decider(case_in_assessment, staff.decider, staff.lead)
    return case_in_assessment


def admit(case: Case, decider) -> Decision:
    decision = decide(db.session, case, decider, "admit", "", expected_version=case.version)
    db.session.commit()
    return decision


@pytest.fixture
def admitted_case(staff: Staff, case_pending_decision: Case) -> Case:
    admit(case_pending_decision, staff.decider)
    return case_pending_decision


@pytest.fixture
def draft(staff: Staff, admitted_case: Case) -> Letter:
    """The admission letter of `admitted_case`, drafted by its officer; committed."""
    decision = db.session.query(Decision).filter_by(case_id=admitted_case.id).one()
    letter = draft_decision_letter(db.session, decision, staff.officer)
    db.session.commit()
    return letter


def issue(letter: Letter, decider, **kwargs: Any) -> Letter:
    issue_letter(db.session, letter, decider, expected_version=letter.version, **kwargs)
    db.session.commit()
    return letter


@pytest.fixture
def issued(staff: Staff, draft: Letter) -> Letter:
    return issue(draft, staff.decider)
