"""A case's own checklist: its copy of the template at submission, what it holds and how far it is rated.

Kept apart from the operations on items so that submission (applications) can copy a checklist in without
depending on the reviews package.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from sandbox.cases.models import Case
from sandbox.checklists.models import ITEM_FIELD_NAMES, CaseChecklist, CaseItem, ChecklistTemplate
from sandbox.checklists.templates import template_in_force
from sandbox.core.db import utcnow


def copy_template_to_case(session: Session, case: Case, template: ChecklistTemplate | None = None) -> CaseChecklist:
    """At submission: the case gets its own copy of every item of the version in force."""
    template = template or template_in_force(session)
    checklist = CaseChecklist(case_id=case.id, template_id=template.id)
    session.add(checklist)
    session.add_all(CaseItem(case_id=case.id, template_item_id=item.id,
                             **{name: getattr(item, name) for name in ITEM_FIELD_NAMES}) for item in template.items)
    session.flush()
    recount(session, case)
    return checklist


def case_items(session: Session, case_id: int, *, include_retired: bool = False) -> list[CaseItem]:
    query = (select(CaseItem).where(CaseItem.case_id == case_id)
             .options(selectinload(CaseItem.evidence_links))
             .order_by(CaseItem.section_position, CaseItem.position))
    if not include_retired:
        query = query.where(CaseItem.retired_at.is_(None))
    return list(session.scalars(query))


def checklist_of(session: Session, case_id: int) -> CaseChecklist | None:
    return session.get(CaseChecklist, case_id)


def missing_mandatory(session: Session, case_id: int) -> list[CaseItem]:
    """Mandatory items not rated yet: a decision waits for all of them."""
    return list(session.scalars(select(CaseItem).where(
        CaseItem.case_id == case_id, CaseItem.mandatory, CaseItem.rating.is_(None), CaseItem.retired_at.is_(None))
        .order_by(CaseItem.section_position, CaseItem.position)))


@dataclass(frozen=True)
class Progress:
    total: int
    rated: int
    mandatory: int
    mandatory_rated: int

    @property
    def is_complete(self) -> bool:
        return self.mandatory_rated == self.mandatory


def progress_of(items: Iterable[CaseItem]) -> Progress:
    items = list(items)
    mandatory = [item for item in items if item.mandatory]
    return Progress(total=len(items), rated=sum(item.is_rated for item in items), mandatory=len(mandatory),
                    mandatory_rated=sum(item.is_rated for item in mandatory))


def recount(session: Session, case: Case) -> None:
    """The queue's copy of the checklist's progress, counted in the database in one statement."""
    live = select(func.count()).select_from(CaseItem).where(CaseItem.case_id == case.id,
                                                             CaseItem.retired_at.is_(None))
    session.execute(update(Case).where(Case.id == case.id).values(
        checklist_total=live.scalar_subquery(),
        checklist_outstanding=live.where(CaseItem.rating.is_(None)).scalar_subquery(),
        last_activity_at=utcnow()).execution_options(synchronize_session=False))
    session.expire(case, ["checklist_total", "checklist_outstanding", "last_activity_at"])


@dataclass(frozen=True)
class ChecklistSummary:
    """The case's checklist as its pages show it: the live items in order, how far they are rated, and the
    mandatory ones not rated yet."""

    template: ChecklistTemplate
    items: list[CaseItem]
    progress: Progress
    missing: list[CaseItem]


def checklist_summary(session: Session, case_id: int) -> ChecklistSummary | None:
    checklist = checklist_of(session, case_id)
    if checklist is None:
        return None
    items = case_items(session, case_id)
    missing = [item for item in items if item.mandatory and not item.is_rated]
    return ChecklistSummary(template=checklist.template, items=items, progress=progress_of(items), missing=missing)
