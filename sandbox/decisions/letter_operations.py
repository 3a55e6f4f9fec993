"""Drafting, editing, issuing and correcting letters. Every function flushes, never commits; each writes one audit
event. The acting user is passed in.

Issuing takes the year's next number, renders the PDF with it and stores the bytes and their hash, all in the
caller's transaction: the counter's row stays locked until the commit (`SELECT ... FOR UPDATE` on PostgreSQL; on
SQLite every write transaction begins IMMEDIATE and so runs alone), so two issues never share a number, and a
render that fails rolls the counter back with everything else, so none is skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from sandbox.accounts.conflicts import has_conflict
from sandbox.accounts.models import User
from sandbox.cases.models import Case
from sandbox.core.audit import record_event
from sandbox.core.counters import take_next_number
from sandbox.core.db import utcnow
from sandbox.core.errors import Conflict, DomainError, Forbidden, NotFound
from sandbox.core.permissions import Role
from sandbox.decisions import letter_content as content
from sandbox.decisions.letter_data import content_sha256
from sandbox.decisions.letters import Letter, LetterCounter, LetterState, letter_number
from sandbox.decisions.models import Decision
from sandbox.decisions.rendering import render_letter
from sandbox.notifications.outbox import notify_organisation
from sandbox.reviews.assessment import is_declared_assignee, may_write
from sandbox.reviews.models import InformationRequest
from sandbox.workflow.engine import regulator_today
from sandbox.workflow.rules import has_assessed

MAX_FREE_TEXT = 10_000


class StaleLetter(Conflict):
    pass


def stale_letter_message() -> str:
    return _("Someone changed this letter since you opened it. Reload the page to see the latest version, then try "
             "again.")


# ---- Who may do what ------------------------------------------------------------------------------------------------

def may_draft(session: Session, case: Case, user: User) -> bool:
    """Decision and information request letters: a team lead, or the case's declared officer or decision maker."""
    return may_write(session, case, user)


def may_draft_supervision(session: Session, case: Case, user: User) -> bool:
    """Suspension, termination and exit letters: a team lead, or the case's declared decision maker."""
    if has_conflict(session, user.id, case.organisation_id):
        return False
    return user.role == Role.LEAD or (user.role == Role.DECISION_MAKER and case.decision_maker_id == user.id
                                      and is_declared_assignee(session, case, user))


def may_edit(session: Session, letter: Letter, user: User) -> bool:
    return letter.is_draft and may_write(session, letter.case, user)


def issue_refusal(session: Session, letter: Letter, user: User) -> str | None:
    """Why `user` may not issue `letter`, or None: only the case's declared decision maker, who did not assess it."""
    case = letter.case
    if user.role != Role.DECISION_MAKER or case.decision_maker_id != user.id:
        return _("Only the decision maker assigned to this case can issue its letters.")
    if not is_declared_assignee(session, case, user):
        return _("Confirm that you have no conflict of interest in this case first.")
    if has_assessed(session, case.id, user.id):
        return _("You worked on the assessment of this case, so another decision maker must issue its letters.")
    return None


# ---- Drafting -------------------------------------------------------------------------------------------------------

def draft_decision_letter(session: Session, decision: Decision, author: User) -> Letter:
    """The letter of a decision (admission, rejection, waitlist). A decision has one; a mistake is corrected."""
    case = session.get_one(Case, decision.case_id)
    if decision.outcome not in content.KIND_OF_OUTCOME:
        raise DomainError(_("This decision does not need a letter."))
    _require(may_draft(session, case, author))
    if session.scalar(select(Letter.id).where(Letter.decision_id == decision.id).limit(1)) is not None:
        raise Conflict(_("This decision already has a letter. To change an issued letter, issue a correction."))
    data = content.decision_letter_data(session, case, decision)
    return _add_draft(session, Letter(case_id=case.id, decision_id=decision.id, kind=data["kind"], data=data,
                                      drafted_by_id=author.id), author)


def draft_information_request_letter(session: Session, request: InformationRequest, author: User) -> Letter:
    case = session.get_one(Case, request.case_id)
    _require(may_draft(session, case, author))
    if session.scalar(select(Letter.id).where(Letter.information_request_id == request.id).limit(1)) is not None:
        raise Conflict(_("This information request already has a letter."))
    data = content.information_request_letter_data(session, case, request)
    return _add_draft(session, Letter(case_id=case.id, information_request_id=request.id, kind=data["kind"],
                                      data=data, drafted_by_id=author.id), author)


def require_supervision_drafting(session: Session, case: Case, author: User, kind: str) -> None:
    """Refuse unless `author` may draft a `kind` letter about `case` now (its form page asks before it shows)."""
    if kind not in content.SUPERVISION_KINDS:
        raise NotFound(_("Page not found"))
    if not may_draft_supervision(session, case, author):
        raise Forbidden(_("Only a team lead, or the decision maker assigned to this case, can draft this letter."))
    if case.state not in content.SUPERVISION_KINDS[kind]:
        raise DomainError(_("A letter of this kind cannot be drafted while the case is “%(state)s”.",
                            state=case.state.replace("_", " ")))


def draft_supervision_letter(session: Session, case: Case, author: User, kind: str,
                             details: Mapping[str, Any]) -> Letter:
    """A suspension, termination or exit letter, from what the lead or decision maker wrote."""
    require_supervision_drafting(session, case, author, kind)
    data = content.supervision_letter_data(session, case, kind, details)
    return _add_draft(session, Letter(case_id=case.id, kind=kind, data=data, drafted_by_id=author.id), author)


def draft_correction(session: Session, letter: Letter, author: User) -> Letter:
    """A new draft that, once issued, supersedes `letter`: the same content to correct, pointing at the old one."""
    _require(may_draft(session, letter.case, author))
    if not letter.is_current:
        raise Conflict(_("Only a current issued letter can be corrected."))
    if letter.superseded_by is not None:
        raise Conflict(_("A correction of this letter has already been drafted (%(state)s).",
                         state=letter.superseded_by.state))
    data = {**letter.data, "number": None, "issued_on": None, "is_draft": True, "verification": None,
            "supersedes": {"number": letter.number, "issued_on": letter.data["issued_on"]}}
    correction = Letter(case_id=letter.case_id, decision_id=letter.decision_id,
                        information_request_id=letter.information_request_id, kind=letter.kind,
                        edition=letter.edition + 1, data=content.validated(data), drafted_by_id=author.id,
                        supersedes_id=letter.id)
    return _add_draft(session, correction, author, action="letter.correction_drafted")


def _add_draft(session: Session, letter: Letter, author: User, action: str = "letter.drafted") -> Letter:
    try:
        with session.begin_nested():  # someone drafting the same letter at the same moment is told, not duplicated
            session.add(letter)
    except IntegrityError:
        raise Conflict(_("This letter was drafted by someone else at the same time. Reload the page.")) from None
    record_event(session, actor_id=author.id, action=action, object_type="letter", object_id=letter.id,
                 case_id=letter.case_id, details={"kind": letter.kind, "decision_id": letter.decision_id,
                                                  "supersedes_id": letter.supersedes_id})
    return letter


# ---- Editing and discarding drafts ----------------------------------------------------------------------------------

def edit_draft(session: Session, letter: Letter, editor: User, free_text: Mapping[str, str], *,
               expected_version: int) -> Letter:
    """Change the free-text parts of a draft (the introduction and remarks); nothing else is editable."""
    _require_draft(letter)
    _require(may_edit(session, letter, editor))
    text = {name: (free_text.get(name) or "").strip() for name in ("introduction", "remarks")}
    if any(len(value) > MAX_FREE_TEXT for value in text.values()):
        raise DomainError(_("Keep each part to %(count)d characters or fewer.", count=MAX_FREE_TEXT))
    if letter.version != expected_version:
        raise StaleLetter(stale_letter_message())
    if text == letter.data.get("free_text"):
        return letter
    letter.data = content.validated({**letter.data, "free_text": text})
    letter.updated_at = utcnow()
    _flush(session)
    record_event(session, actor_id=editor.id, action="letter.edited", object_type="letter", object_id=letter.id,
                 case_id=letter.case_id, details={"free_text": text})
    return letter


def discard_draft(session: Session, letter: Letter, user: User, *, expected_version: int) -> None:
    _require_draft(letter)
    _require(may_edit(session, letter, user))
    if letter.version != expected_version:
        raise StaleLetter(stale_letter_message())
    record_event(session, actor_id=user.id, action="letter.discarded", object_type="letter", object_id=letter.id,
                 case_id=letter.case_id, details={"kind": letter.kind, "data": letter.data})
    session.delete(letter)
    _flush(session)


# ---- Issuing --------------------------------------------------------------------------------------------------------

def issue_letter(session: Session, letter: Letter, issuer: User, *, expected_version: int,
                 idempotency_key: str | None = None, today: date | None = None) -> Letter:
    """Number, render and freeze the letter; a correction's predecessor becomes superseded. The applicant is told."""
    if idempotency_key and letter.issue_key == idempotency_key and letter.issued_by_id == issuer.id:
        return letter  # a retry of an issue that went through: nothing more happens, no number is taken
    refusal = issue_refusal(session, letter, issuer)
    if refusal:
        raise Forbidden(refusal)
    if not letter.is_draft:
        raise Conflict(_("This letter has already been issued as %(number)s. To change it, issue a correction.",
                         number=letter.number))
    if letter.version != expected_version:
        raise StaleLetter(stale_letter_message())
    replaced = letter.supersedes
    if replaced is not None and not replaced.is_current:
        raise Conflict(_("The letter this one corrects has already been superseded."))
    today = today or regulator_today()
    sequence = take_next_number(session, LetterCounter, today.year)
    data = issued_data(letter.data, letter_number(today.year, sequence), today)
    pdf = render_letter(data)
    now = utcnow()
    letter.state, letter.number, letter.year, letter.sequence = LetterState.ISSUED.value, data["number"], today.year, \
        sequence
    letter.data, letter.content_sha256 = data, data["verification"]["content_sha256"]
    letter.pdf, letter.pdf_sha256, letter.pdf_size = pdf, hashlib.sha256(pdf).hexdigest(), len(pdf)
    letter.issued_by_id, letter.issued_at, letter.updated_at, letter.issue_key = issuer.id, now, now, idempotency_key
    if replaced is not None:
        replaced.state, replaced.superseded_at = LetterState.SUPERSEDED.value, now
    _flush(session)
    record_event(session, actor_id=issuer.id, action="letter.issued", object_type="letter", object_id=letter.id,
                 case_id=letter.case_id, details={
                     "number": letter.number, "kind": letter.kind, "content_sha256": letter.content_sha256,
                     "pdf_sha256": letter.pdf_sha256, "supersedes": replaced.number if replaced else None})
    _tell_applicant(session, letter, replaced)
    return letter


def issued_data(draft: Mapping[str, Any], number: str, today: date) -> dict[str, Any]:
    """The draft's data as issued: numbered, dated and carrying its verification line (hash of its content)."""
    data = {**draft, "is_draft": False, "number": number, "issued_on": today.isoformat(), "verification": None}
    data["verification"] = {"number": number, "content_sha256": content_sha256(data),
                            "url": content.verification_url(content.letter_settings(), number)}
    return content.validated(data)


def _tell_applicant(session: Session, letter: Letter, replaced: Letter | None) -> None:
    case, label = letter.case, str(content.KIND_LABELS[letter.kind]).lower()
    if replaced is not None:
        message = _("We have issued letter %(number)s (%(kind)s) about %(reference)s. It corrects and replaces letter "
                    "%(old)s.", number=letter.number, kind=label, reference=case.reference, old=replaced.number)
    else:
        message = _("We have issued letter %(number)s (%(kind)s) about %(reference)s. Sign in to read and download "
                    "it.", number=letter.number, kind=label, reference=case.reference)
    notify_organisation(session, case, message,
                        subject=_("Letter %(number)s about %(reference)s", number=letter.number,
                                  reference=case.reference))


# ---- Helpers --------------------------------------------------------------------------------------------------------

def _require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden(_("You cannot do this on this case. Only a team lead, or the case officer or decision maker "
                          "assigned to it, can."))


def _require_draft(letter: Letter) -> None:
    if not letter.is_draft:
        raise Conflict(_("This letter has been issued as %(number)s and can no longer be changed. To change it, "
                         "issue a correction.", number=letter.number))


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise StaleLetter(stale_letter_message()) from None
