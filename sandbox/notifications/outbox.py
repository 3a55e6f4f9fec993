"""Telling people about a case: an in-app notification and an e-mail, both written in the caller's transaction.

The e-mail goes into the outbox; delivery happens after the transaction commits (see delivery.py), so a
rolled-back action never sends mail and a committed one never loses it.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.accounts.models import User
from sandbox.applications.models import Notification
from sandbox.cases.models import Case
from sandbox.notifications.models import OutboxEmail


def notify_organisation(session: Session, case: Case, message: str, *, subject: str) -> None:
    """Tell the applicant organisation's people: one in-app message for the organisation, one e-mail each."""
    session.add(Notification(organisation_id=case.organisation_id, case_id=case.id, message=message))
    people = session.scalars(select(User).where(User.organisation_id == case.organisation_id,
                                                User.is_active.is_(True)).order_by(User.id))
    for person in people:
        _queue_email(session, case, person, subject, message)
    session.flush()


def notify_staff(session: Session, case: Case, recipients: Iterable[User | None], message: str, *,
                 subject: str) -> None:
    """Tell named members of staff (each once; absent or inactive ones are skipped)."""
    seen: set[int] = set()
    for person in recipients:
        if person is None or not person.is_active or person.id in seen:
            continue
        seen.add(person.id)
        session.add(Notification(user_id=person.id, case_id=case.id, message=message))
        _queue_email(session, case, person, subject, message)
    session.flush()


DEFAULT_REGULATOR_NAME = "Sandbox Regulatory Authority"


def _queue_email(session: Session, case: Case, person: User, subject: str, message: str) -> None:
    session.add(OutboxEmail(case_id=case.id, recipient_id=person.id, to_address=person.email,
                            subject=subject[:200], body=_email_body(case, person, message)))


def _email_body(case: Case, person: User, message: str) -> str:
    # Plain text without links: nothing to phish with, and no need to know the service's public address here.
    regulator = current_app.config.get("SANDBOX_REGULATOR_NAME") if has_app_context() else None
    regulator = regulator or DEFAULT_REGULATOR_NAME
    return (f"Dear {person.full_name},\n\n{message}\n\n"
            f"Case reference: {case.reference or '(not yet submitted)'}\n\n"
            f"Sign in to the {regulator} sandbox service to see the details.\n\n"
            f"{regulator}\n"
            "This message was sent automatically. Replies to it are not read.\n")
