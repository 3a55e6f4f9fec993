"""Issuing many letters at once: a decision maker chooses drafts, a job issues each in its own transaction.

`request_batch` flushes like any domain function (the request commits it, then starts the job). `run_batch` is the
job's body and commits after each letter, so one letter that cannot be issued (someone else's case, a render that
fails) leaves the others issued, and the batch page shows each result as it lands. Each letter is issued with an
idempotency key of its own, so a job that runs twice (an RQ retry) takes no second number.
"""

from __future__ import annotations

import logging

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from sandbox.accounts.conflicts import has_conflict
from sandbox.accounts.models import User
from sandbox.core.audit import record_event
from sandbox.core.db import utcnow
from sandbox.core.errors import DomainError, Forbidden, NotFound
from sandbox.decisions.letter_operations import issue_letter, issue_refusal
from sandbox.decisions.letters import Letter, LetterBatch

log = logging.getLogger("sandbox.letters")
MAX_BATCH = 200


def request_batch(session: Session, requester: User, letter_ids: list[int]) -> LetterBatch:
    """Record the choice of drafts for `run_batch` to issue. Letters the requester may not issue are refused now."""
    chosen = list(dict.fromkeys(letter_ids))  # in the order chosen, each once
    if not chosen:
        raise DomainError(_("Select at least one draft letter to issue."))
    if len(chosen) > MAX_BATCH:
        raise DomainError(_("Issue at most %(count)d letters at once.", count=MAX_BATCH))
    found = {letter.id: letter for letter in session.scalars(
        select(Letter).where(Letter.id.in_(chosen)).options(selectinload(Letter.case)))}
    for letter_id in chosen:
        _check_issuable(session, found.get(letter_id), requester)
    batch = LetterBatch(requested_by_id=requester.id, letter_ids=chosen, results={})
    session.add(batch)
    session.flush()
    record_event(session, actor_id=requester.id, action="letter.batch_requested", object_type="letter_batch",
                 object_id=batch.id, details={"letter_ids": chosen})
    return batch


def _check_issuable(session: Session, letter: Letter | None, requester: User) -> None:
    """Only drafts the requester may issue now go into a batch (the job checks each again when it issues it)."""
    if letter is None or has_conflict(session, requester.id, letter.case.organisation_id):
        raise NotFound(_("Page not found"))
    if refusal := issue_refusal(session, letter, requester):
        raise Forbidden(_("%(reference)s: %(refusal)s", reference=letter.case.reference, refusal=refusal))
    if not letter.is_draft:
        raise DomainError(_("Letter %(number)s has already been issued. Reload the register and choose again.",
                            number=letter.number))


def run_batch(session: Session, batch_id: int) -> LetterBatch:
    """Issue each letter of the batch, committing after each one; results land in the batch as they come."""
    batch = session.get_one(LetterBatch, batch_id)
    requester = session.get_one(User, batch.requested_by_id)
    for letter_id in list(batch.letter_ids):
        if str(letter_id) in batch.results:
            continue  # issued (or refused) by an earlier run of this job
        outcome = _issue_one(session, batch, requester, letter_id)
        batch = session.get_one(LetterBatch, batch_id)  # (again, after a rollback)
        batch.results = {**batch.results, str(letter_id): outcome}
        session.commit()  # the letter and its result together
    batch.finished_at = utcnow()
    session.commit()
    return batch


def _issue_one(session: Session, batch: LetterBatch, requester: User, letter_id: int) -> dict[str, str]:
    key = f"batch-{batch.id}-{letter_id}"
    try:
        letter = session.get(Letter, letter_id)
        if letter is None:
            raise DomainError(_("This letter no longer exists (its draft was discarded)."))
        issue_letter(session, letter, requester, expected_version=letter.version, idempotency_key=key)
    except DomainError as error:
        session.rollback()
        return {"error": error.message}
    except Exception:  # a render that failed: this letter is not issued, the next ones still are
        session.rollback()
        log.exception("batch %s: letter %s could not be issued", batch.id, letter_id)
        return {"error": _("The letter could not be produced. Try again, or issue it on its own.")}
    return {"number": letter.number or ""}


def batch_for(session: Session, requester: User, batch_id: int) -> LetterBatch | None:
    """A batch, for the person who asked for it only."""
    batch = session.get(LetterBatch, batch_id)
    return batch if batch is not None and batch.requested_by_id == requester.id else None
