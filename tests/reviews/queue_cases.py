"""Sent cases made straight in the database, with exactly the queue columns a test wants."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from sandbox.accounts.models import Organisation, User
from sandbox.cases.models import Case
from sandbox.extensions import db
from sandbox.reviews.search import index_case
from sandbox.workflow.engine import NO_DEADLINE, PAUSED_BASE
from sandbox.workflow.versions import current_version, definition_of

_numbers = itertools.count(1)


def sent_case(organisation: Organisation, *, state: str = "assessment", sector: str = "banking",
              risk_class: str = "high_risk", system_name: str = "Credit scorer", officer: User | None = None,
              decider: User | None = None, submitted_on: date = date(2026, 3, 2), deadline_on: date | None = None,
              paused_days_left: int | None = None, text: str = "", checklist: tuple[int, int] = (0, 0),
              last_activity_at: datetime | None = None) -> Case:
    """A sent case in `state`; a running clock when `deadline_on` is given, paused with `paused_days_left`."""
    version = current_version(db.session)
    number = next(_numbers)
    submitted_at = datetime(submitted_on.year, submitted_on.month, submitted_on.day, 9, tzinfo=UTC)
    if deadline_on is not None:
        clock_state, sort_on = "running", deadline_on
    elif paused_days_left is not None:
        clock_state, sort_on = "paused", PAUSED_BASE + timedelta(days=paused_days_left)
    else:
        clock_state, sort_on = "stopped", NO_DEADLINE
    case = Case(organisation_id=organisation.id, organisation_name=organisation.name, workflow_version=version,
                state=state, reference=f"SBX-2026-{number:04d}", submitted_at=submitted_at,
                clock_started_on=submitted_on, is_open=definition_of(version).is_open(state), system_name=system_name,
                sector=sector, risk_class=risk_class, case_officer_id=officer.id if officer else None,
                decision_maker_id=decider.id if decider else None, clock_state=clock_state, deadline_on=deadline_on,
                days_left_when_paused=paused_days_left, clock_sort_on=sort_on, checklist_total=checklist[1],
                checklist_outstanding=checklist[1] - checklist[0],
                last_activity_at=last_activity_at or submitted_at + timedelta(days=number % 17))
    db.session.add(case)
    db.session.flush()
    index_case(db.session, case, {"ai-system": {"intended_purpose": text}} if text else {})
    return case
