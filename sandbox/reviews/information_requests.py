"""Sending information requests and answering them. Flush, never commit; the workflow writes the audit event."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.accounts.models import User
from sandbox.applications.models import ApplicationRevision
from sandbox.applications.operations import copy_for_queue, draft_of, revision_count
from sandbox.cases.models import Case
from sandbox.core.db import utcnow
from sandbox.core.errors import DomainError
from sandbox.notifications.outbox import notify_organisation, notify_staff
from sandbox.reviews.models import InformationQuestion, InformationRequest, RequestStatus
from sandbox.reviews.search import index_case
from sandbox.workflow.engine import earlier_result, perform, regulator_today

MAX_QUESTIONS = 30
MAX_QUESTION_LENGTH = 4000
MAX_ANSWER_LENGTH = 10_000


def open_request(session: Session, case: Case) -> InformationRequest | None:
    return session.scalars(select(InformationRequest).where(
        InformationRequest.case_id == case.id, InformationRequest.status == RequestStatus.OPEN.value)).one_or_none()


def answered_requests(session: Session, case: Case) -> list[InformationRequest]:
    return list(session.scalars(select(InformationRequest).where(
        InformationRequest.case_id == case.id, InformationRequest.status == RequestStatus.ANSWERED.value)
        .order_by(InformationRequest.id)))


def send_information_request(session: Session, case: Case, officer: User, questions: list[str], due_on: date, *,
                             expected_version: int, idempotency_key: str | None = None) -> InformationRequest:
    if idempotency_key and earlier_result(session, case, "request_information", officer, idempotency_key):
        earlier = session.scalars(select(InformationRequest).where(InformationRequest.case_id == case.id)
                                  .order_by(InformationRequest.id.desc()).limit(1)).one()
        return earlier  # a retried send: the request went the first time, nothing is sent again
    questions = [q.strip() for q in questions if q and q.strip()]
    if not questions:
        raise DomainError(_("Add at least one question."))
    if len(questions) > MAX_QUESTIONS or any(len(q) > MAX_QUESTION_LENGTH for q in questions):
        raise DomainError(_("Send at most %(count)d questions of up to %(length)d characters each.",
                            count=MAX_QUESTIONS, length=MAX_QUESTION_LENGTH))
    if due_on <= regulator_today():
        raise DomainError(_("The due date must be in the future."))
    perform(session, case, "request_information", officer, expected_version=expected_version,
            idempotency_key=idempotency_key)
    request = InformationRequest(case_id=case.id, sent_by_id=officer.id, due_on=due_on,
                                 questions=[InformationQuestion(position=i, text=q)
                                            for i, q in enumerate(questions, start=1)])
    session.add(request)
    notify_organisation(session, case, _(
        "The regulator has asked for more information about %(reference)s. Please answer by %(date)s.",
        reference=case.reference, date=due_on.strftime("%-d %B %Y")),
        subject=_("More information needed for %(reference)s", reference=case.reference))
    return request


def answer_information_request(session: Session, case: Case, applicant: User, answers: dict[int, str], *,
                               expected_version: int, idempotency_key: str | None = None) -> ApplicationRevision:
    """Record the answers, freeze the (possibly amended) application as a new revision, restart the clock."""
    request = open_request(session, case)
    if request is None:
        raise DomainError(_("There is no open request for information on this application."))
    missing = [q.position for q in request.questions if not (answers.get(q.id) or "").strip()]
    if missing:
        raise DomainError(_("Answer every question (question %(numbers)s not answered yet).",
                            numbers=", ".join(map(str, missing))))
    if any(len(answers[q.id]) > MAX_ANSWER_LENGTH for q in request.questions):
        raise DomainError(_("Answers must be %(count)d characters or fewer.", count=MAX_ANSWER_LENGTH))
    perform(session, case, "respond_to_request", applicant, expected_version=expected_version,
            idempotency_key=idempotency_key)
    for question in request.questions:
        question.answer = answers[question.id].strip()
    number = revision_count(session, case) + 1
    draft = draft_of(session, case)
    copy_for_queue(case, draft)
    revision = ApplicationRevision(case_id=case.id, number=number, answers=draft.answers,
                                   declaration={}, reason="response to information request",
                                   created_by_id=applicant.id)
    index_case(session, case, draft.answers)
    session.add(revision)
    request.status, request.answered_at, request.answered_by_id = RequestStatus.ANSWERED.value, utcnow(), applicant.id
    request.revision_number = number
    case.last_activity_at = utcnow()
    notify_staff(session, case, [case.case_officer], _(
        "%(organisation)s answered the request for information about %(reference)s.",
        organisation=case.organisation_name, reference=case.reference),
        subject=_("Answer received for %(reference)s", reference=case.reference))
    return revision
