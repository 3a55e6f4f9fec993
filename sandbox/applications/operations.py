"""Writing and submitting an application. Each function flushes and audits; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox.accounts.models import Organisation, User
from sandbox.applications.models import ApplicationDraft, ApplicationRevision, Notification
from sandbox.applications.schemas import draft_schema, is_asked, missing_answers
from sandbox.applications.sections import SECTION_BY_KEY, SECTIONS, SectionSpec
from sandbox.cases.models import Case
from sandbox.checklists.case_checklist import copy_template_to_case
from sandbox.core.audit import record_event
from sandbox.core.db import utcnow
from sandbox.core.errors import Conflict, DomainError
from sandbox.reviews.search import index_case
from sandbox.workflow.engine import earlier_result, open_case, perform

SYSTEM_NAME_FIELD = "system_name"


class SectionInvalid(DomainError):
    """What was typed does not fit the questions (too long, not a date, not one of the choices)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(_("Check the answers marked below."))
        self.errors = errors


class DraftConflict(Conflict):
    """A colleague saved this section after it was opened here. Both versions are kept for the person to merge."""

    def __init__(self, theirs: dict[str, Any], yours: dict[str, Any], their_version: int) -> None:
        super().__init__(_("Someone else in your organisation saved this section after you opened it. "
                           "Nothing has been overwritten: compare the two versions and save again."))
        self.theirs, self.yours, self.their_version = theirs, yours, their_version


@dataclass(frozen=True)
class SectionProgress:
    section: SectionSpec
    status: str  # "not_started" | "in_progress" | "completed"


def start_application(session: Session, organisation: Organisation, actor: User) -> Case:
    case = open_case(session, organisation, actor)
    session.add(ApplicationDraft(case_id=case.id, answers={}, section_versions={}, completed_sections=[],
                                 updated_by_id=actor.id))
    session.flush()
    return case


def draft_of(session: Session, case: Case) -> ApplicationDraft:
    return session.get(ApplicationDraft, case.id)  # type: ignore[return-value]


def save_section(session: Session, case: Case, section_key: str, values: dict[str, Any], actor: User, *,
                 based_on_version: int, mark_complete: bool | None = None) -> ApplicationDraft:
    """Save one section of a draft; refuses bad values (SectionInvalid) and lost updates (DraftConflict)."""
    section = SECTION_BY_KEY[section_key]
    try:
        cleaned = draft_schema(section_key).load(values)
    except ValidationError as error:
        raise SectionInvalid({k: list(v) if isinstance(v, list) else [str(v)]
                              for k, v in error.normalized_messages().items()}) from None
    cleaned = {name: value for name, value in cleaned.items()
               if is_asked(section.fields_by_name[name], cleaned)}
    draft = draft_of(session, case)
    current = draft.section_versions.get(section_key, 0)
    if current != based_on_version:
        raise DraftConflict(theirs=draft.answers.get(section_key, {}), yours=cleaned, their_version=current)
    draft.answers = {**draft.answers, section_key: _jsonable(cleaned)}
    draft.section_versions = {**draft.section_versions, section_key: current + 1}
    completed = [key for key in draft.completed_sections if key != section_key]
    if mark_complete or (mark_complete is None and section_key in draft.completed_sections):
        missing = missing_answers(section, cleaned)
        if missing:
            raise SectionInvalid({spec.name: [_("Answer this question before you mark the section as complete.")]
                                  for spec in missing})
        completed.append(section_key)
    draft.completed_sections = completed
    if SYSTEM_NAME_FIELD in cleaned:
        draft.system_name = cleaned[SYSTEM_NAME_FIELD]
    draft.updated_at, draft.updated_by_id = utcnow(), actor.id
    case.updated_at = utcnow()
    session.flush()
    record_event(session, actor_id=actor.id, action="application.section_saved", object_type="case",
                 object_id=case.id, case_id=case.id,
                 details={"section": section_key, "section_version": current + 1, "complete": section_key in completed})
    return draft


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value.isoformat() if isinstance(value, date) else value for name, value in values.items()}


def progress(draft: ApplicationDraft) -> list[SectionProgress]:
    result = []
    for section in SECTIONS:
        if section.key in draft.completed_sections:
            status = "completed"
        elif any(value not in (None, "", []) for value in draft.answers.get(section.key, {}).values()):
            status = "in_progress"
        else:
            status = "not_started"
        result.append(SectionProgress(section, status))
    return result


def missing_for_submission(draft: ApplicationDraft) -> list[tuple[SectionSpec, list[str]]]:
    gaps = []
    for section in SECTIONS:
        missing = missing_answers(section, draft.answers.get(section.key, {}))
        if missing:
            gaps.append((section, [spec.label for spec in missing]))
    return gaps


def submit_application(session: Session, case: Case, actor: User, declaration: dict[str, Any], *,
                       expected_version: int, idempotency_key: str | None = None) -> ApplicationRevision:
    if idempotency_key and earlier_result(session, case, "submit", actor, idempotency_key) is not None:
        return _revision(session, case, 1)  # a retried submit: already done, do nothing again
    draft = draft_of(session, case)
    gaps = missing_for_submission(draft)
    if gaps:
        raise DomainError(_("Your application is not finished: %(sections)s.",
                            sections=", ".join(section.title for section, _labels in gaps)))
    perform(session, case, "submit", actor, expected_version=expected_version, idempotency_key=idempotency_key)
    copy_for_queue(case, draft)
    revision = ApplicationRevision(case_id=case.id, number=1, answers=draft.answers, declaration=declaration,
                                   reason="submission", created_by_id=actor.id)
    session.add(revision)
    session.add(Notification(organisation_id=case.organisation_id, case_id=case.id, message=_(
        "Application %(reference)s was submitted by %(name)s.", reference=case.reference, name=actor.full_name)))
    index_case(session, case, draft.answers)
    copy_template_to_case(session, case)
    session.flush()
    return revision


def copy_for_queue(case: Case, draft: ApplicationDraft) -> None:
    """The answers the review queue shows, filters and sorts on, copied onto the case."""
    case.system_name = draft.system_name
    case.sector = draft.answers.get("organisation", {}).get("sector")
    case.risk_class = draft.answers.get("ai-system", {}).get("ai_act_risk_class")


def _revision(session: Session, case: Case, number: int) -> ApplicationRevision:
    return session.scalars(select(ApplicationRevision).where(ApplicationRevision.case_id == case.id,
                                                             ApplicationRevision.number == number)).one()


def revision_count(session: Session, case: Case) -> int:
    return session.scalar(select(func.count()).select_from(ApplicationRevision)
                          .where(ApplicationRevision.case_id == case.id)) or 0
