"""A case's checklist: copied in at submission, self-assessed by the applicant, rated by the officer.

Flushes, never commits. Every change writes one audit event. The case's queue counters (checklist_total,
checklist_outstanding) are recounted by one UPDATE after each change, so they stay true when two people rate
different items at once, and without moving the case's version (a rating makes no other open form stale).
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from sandbox.accounts.models import User
from sandbox.applications.models import Document
from sandbox.cases.models import Case
from sandbox.checklists.case_checklist import case_items, checklist_of, recount
from sandbox.checklists.models import ITEM_FIELD_NAMES, CaseItem, ChecklistTemplate, EvidenceLink, Rating, RatingEntry
from sandbox.core.audit import record_event
from sandbox.core.db import utcnow
from sandbox.core.errors import Conflict, DomainError, Forbidden
from sandbox.reviews.assessment import is_declared_assignee
from sandbox.reviews.information_requests import send_information_request
from sandbox.reviews.schemas_case import InvalidInput
from sandbox.workflow.rules import CHECKLIST_RATED_EVENT as RATED_EVENT

RATING_STATES = frozenset({"triage", "assessment", "information_requested"})
STATEMENT_STATES = frozenset({"submitted", "triage", "information_requested", "assessment"})
MAX_NOTE_LENGTH = 5000
MAX_STATEMENT_LENGTH = 10_000
MAX_EVIDENCE_LINKS = 20


def stale_item_message() -> str:
    return _("Someone changed this checklist item since you opened it. Reload the page to see the latest, then "
             "try again.")


def rate_item(session: Session, case: Case, item: CaseItem, officer: User, rating: str, note: str, *,
              expected_version: int) -> RatingEntry:
    """The officer's rating; a note is required for anything but met. The previous ratings stay in the history."""
    _check_may_rate(session, case, officer)
    note = (note or "").strip()
    problems = {}
    if rating not in {value.value for value in Rating}:
        problems["rating"] = _("Choose met, partly met, not met or not applicable")
    elif rating != Rating.MET.value and not note:
        problems["note"] = _("Explain why the item is not fully met (or why it does not apply)")
    if len(note) > MAX_NOTE_LENGTH:
        problems["note"] = _("Keep the note to %(count)d characters or fewer", count=MAX_NOTE_LENGTH)
    if problems:
        raise InvalidInput(problems)
    _check_fresh(item, expected_version)
    previous = item.rating
    item.rating, item.rating_note, item.rated_by_id, item.rated_at = rating, note or None, officer.id, utcnow()
    entry = RatingEntry(item_id=item.id, rating=rating, note=note or None, rated_by_id=officer.id)
    session.add(entry)
    _flush_item(session)
    recount(session, case)
    record_event(session, actor_id=officer.id, action=RATED_EVENT, object_type="checklist_item", object_id=item.id,
                 case_id=case.id, details={"code": item.code, "rating": rating, "previous_rating": previous})
    return entry


def save_statement(session: Session, case: Case, item: CaseItem, applicant: User, statement: str,
                   document_ids: list[int], *, expected_version: int) -> None:
    """The applicant's self-assessment of an item: a statement and links to the case's own documents."""
    if case.state not in STATEMENT_STATES:
        raise DomainError(_("The checklist can no longer be changed: the assessment of this application is over."))
    statement = (statement or "").strip()
    if len(statement) > MAX_STATEMENT_LENGTH:
        raise InvalidInput({"statement": _("Keep the statement to %(count)d characters or fewer",
                                           count=MAX_STATEMENT_LENGTH)})
    wanted = set(document_ids)
    if len(wanted) > MAX_EVIDENCE_LINKS:
        raise DomainError(_("Link at most %(count)d documents to one item.", count=MAX_EVIDENCE_LINKS))
    own = set(session.scalars(select(Document.id).where(Document.case_id == case.id, Document.id.in_(wanted))))
    if own != wanted:
        raise DomainError(_("Choose documents uploaded to this application."))
    _check_fresh(item, expected_version)
    item.statement = statement or None
    item.statement_by_id, item.statement_at = applicant.id, utcnow()
    current = {link.document_id for link in item.evidence_links}
    item.evidence_links = [link for link in item.evidence_links if link.document_id in wanted] + [
        EvidenceLink(document_id=document_id) for document_id in sorted(wanted - current)]
    _flush_item(session)
    record_event(session, actor_id=applicant.id, action="checklist.statement_saved", object_type="checklist_item",
                 object_id=item.id, case_id=case.id,
                 details={"code": item.code, "documents": sorted(wanted), "has_statement": bool(statement)})


def ask_about_item(session: Session, case: Case, item: CaseItem, officer: User, question: str, due_on: date, *,
                   expected_version: int) -> None:
    """An information request straight from an item: its one question is linked to the item."""
    _check_may_rate(session, case, officer)
    request = send_information_request(session, case, officer, [question], due_on, expected_version=expected_version)
    session.flush()
    request.questions[0].checklist_item_id = item.id
    record_event(session, actor_id=officer.id, action="checklist.information_requested",
                 object_type="checklist_item", object_id=item.id, case_id=case.id,
                 details={"code": item.code, "request_id": request.id})


def move_case_to_template(session: Session, case: Case, template: ChecklistTemplate, admin: User) -> dict[str, int]:
    """An administrator's deliberate move of a running case to another published version. Items with the same
    code keep their statement, evidence and ratings (their wording follows the new version); new items start
    unrated; items the new version no longer has are retired, not deleted (their history stays)."""
    if not template.is_published:
        raise DomainError(_("Only a published version can be given to a case."))
    checklist = checklist_of(session, case.id)
    if checklist is None:
        raise DomainError(_("This case has no checklist."))
    if checklist.template_id == template.id:
        raise Conflict(_("The case already uses this version."))
    mine = {item.code: item for item in case_items(session, case.id, include_retired=True)}
    counts = {"kept": 0, "added": 0, "retired": 0}
    for source in template.items:
        values = {name: getattr(source, name) for name in ITEM_FIELD_NAMES}
        if source.code in mine:
            item = mine.pop(source.code)
            for name, value in values.items():
                setattr(item, name, value)
            item.template_item_id, item.retired_at = source.id, None
            counts["kept"] += 1
        else:
            session.add(CaseItem(case_id=case.id, template_item_id=source.id, **values))
            counts["added"] += 1
    for item in mine.values():
        if item.retired_at is None:
            item.retired_at = utcnow()
            counts["retired"] += 1
    previous = checklist.template_id
    checklist.template_id, checklist.copied_at = template.id, utcnow()
    session.flush()
    recount(session, case)
    record_event(session, actor_id=admin.id, action="checklist.template_changed", object_type="case",
                 object_id=case.id, case_id=case.id,
                 details={"from_template_id": previous, "to_template_id": template.id, "version": template.version,
                          **counts})
    return counts


def may_rate(session: Session, case: Case, user: User) -> bool:
    """Rating (and asking from an item) is for the assigned, declared case officer while the case is assessed."""
    return case.case_officer_id == user.id and case.state in RATING_STATES and is_declared_assignee(session, case, user)


def _check_may_rate(session: Session, case: Case, officer: User) -> None:
    if case.case_officer_id != officer.id or not is_declared_assignee(session, case, officer):
        raise Forbidden(_("Only the case officer assigned to this case can rate its checklist."))
    if case.state not in RATING_STATES:
        raise DomainError(_("The checklist is rated during triage and assessment."))


def _check_fresh(item: CaseItem, expected_version: int) -> None:
    if item.version != expected_version:
        raise Conflict(stale_item_message())


def _flush_item(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(stale_item_message()) from None
