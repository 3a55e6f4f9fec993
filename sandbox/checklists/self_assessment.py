"""The applicant's side of a case's checklist, as plain data: each item's guidance and the organisation's own
statement and evidence, never the regulator's ratings or notes (see ApplicantItemSchema).
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.cases.models import Case
from sandbox.checklists.case_checklist import case_items, checklist_of
from sandbox.checklists.models import CaseItem
from sandbox.checklists.operations import STATEMENT_STATES
from sandbox.checklists.schemas import ApplicantItemSchema
from sandbox.reviews.models import InformationQuestion, InformationRequest, RequestStatus


class StatementStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    STATEMENT_GIVEN = "statement_given"
    DOCUMENTS_LINKED = "documents_linked"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {StatementStatus.NOT_STARTED: _l("Not started"),
                 StatementStatus.STATEMENT_GIVEN: _l("Statement given"),
                 StatementStatus.DOCUMENTS_LINKED: _l("Documents linked")}


@dataclass(frozen=True)
class SelfAssessment:
    assessed: int
    total: int


@dataclass(frozen=True)
class QuestionAbout:
    """A question the regulator asked about an item, as the applicant sees it."""

    text: str
    answer: str | None
    due_on: date
    is_open: bool


def can_self_assess(case: Case) -> bool:
    return case.state in STATEMENT_STATES


def statement_status(item: Mapping[str, Any]) -> StatementStatus:
    if item["document_ids"]:
        return StatementStatus.DOCUMENTS_LINKED
    return StatementStatus.STATEMENT_GIVEN if item["statement"] else StatementStatus.NOT_STARTED


def applicant_items(items: Iterable[CaseItem]) -> list[dict[str, Any]]:
    """The items as the applicant may see them, each with its statement status."""
    dumped: list[dict[str, Any]] = ApplicantItemSchema(many=True).dump(items)
    return [{**item, "status": statement_status(item)} for item in dumped]


def applicant_checklist(session: Session, case: Case) -> tuple[dict[str, str], list[dict[str, Any]]] | None:
    """(the regimes {key: name}, the live items as plain data), or None when the case has no checklist."""
    checklist = checklist_of(session, case.id)
    if checklist is None:
        return None
    return dict(checklist.template.regimes), applicant_items(case_items(session, case.id))


def progress_of(items: Collection[Mapping[str, Any]]) -> SelfAssessment:
    """How many of these items (as applicant_items gives them) the organisation has started."""
    return SelfAssessment(assessed=sum(item["status"] is not StatementStatus.NOT_STARTED for item in items),
                          total=len(items))


def self_assessment_of(session: Session, case: Case) -> SelfAssessment | None:
    """How many live items the organisation has given a statement or a document for; None without a checklist."""
    if checklist_of(session, case.id) is None:
        return None
    return progress_of(applicant_items(case_items(session, case.id)))


def questions_about(session: Session, item_id: int) -> list[QuestionAbout]:
    rows = session.execute(select(InformationQuestion, InformationRequest)
                           .join(InformationRequest, InformationRequest.id == InformationQuestion.request_id)
                           .where(InformationQuestion.checklist_item_id == item_id)
                           .order_by(InformationQuestion.id)).all()
    return [QuestionAbout(question.text, question.answer, request.due_on,
                          request.status == RequestStatus.OPEN.value) for question, request in rows]


def items_asked_about(session: Session, questions: Iterable[InformationQuestion]) -> dict[int, dict[str, Any]]:
    """{item id: its id, code and title} for the questions asked from a checklist item."""
    ids = {question.checklist_item_id for question in questions if question.checklist_item_id}
    if not ids:
        return {}
    return {item.id: {"id": item.id, "code": item.code, "title": item.title}
            for item in session.scalars(select(CaseItem).where(CaseItem.id.in_(ids)))}
