"""The case dossier: the regulator's file of a case as one PDF, from plain data only.

It holds the application as last sent (revision, answers by section), every document with its SHA-256, the
checklist with its ratings, the information requests and their answers, the recommendations and decisions, the
letters issued (with both hashes) and the audit trail. `dossier_data` gathers it; `render_dossier` prints it
with templates/letters/dossier.html through the letters' renderer (same fonts, fetcher and PDF/A-3 output), with
the same data attached as JSON. Generating a dossier is itself recorded in the audit trail.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.accounts.models import User
from sandbox.applications.documents import documents_for
from sandbox.applications.schemas import is_asked
from sandbox.applications.sections import SECTION_BY_KEY, SECTIONS, FieldKind, FieldSpec
from sandbox.cases.models import Case
from sandbox.core.audit import AuditEvent, record_event
from sandbox.core.db import utcnow
from sandbox.decisions.letter_content import (
    CHECKLIST_RATINGS,
    KIND_LABELS,
    checklist_of,
    latest_revision,
    letter_settings,
)
from sandbox.decisions.letters import Letter
from sandbox.decisions.models import Decision
from sandbox.decisions.rendering import DocumentAttachment, long_date, render_document
from sandbox.reviews.models import InformationRequest, Recommendation
from sandbox.reviews.schemas_case import DATE_FIELDS, PARAMETER_FIELDS
from sandbox.workflow.versions import definition_of

TEMPLATE = "dossier.html"
OUTCOMES = {"admit": "Admit with conditions", "reject": "Reject", "waitlist": "Waitlist",
            "admitted": "Admitted with conditions", "rejected": "Rejected", "waitlisted": "Waitlisted",
            "sent_back": "Sent back to assessment", "rejected_out_of_scope": "Rejected as out of scope"}


def render_dossier(session: Session, case: Case, viewer: User) -> bytes:
    """The dossier's PDF; the request that asks for it is audited (who took a copy of the file, when)."""
    data = dossier_data(session, case, viewer)
    record_event(session, actor_id=viewer.id, action="case.dossier_generated", object_type="case",
                 object_id=case.id, case_id=case.id, details={"audit_events": len(data["audit"])})
    attachment = DocumentAttachment(name="dossier.json", description="The data this dossier was rendered from.",
                                    content=json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1).encode(),
                                    relationship="Source")
    return render_document(TEMPLATE, data, title=data["title"], attachments=[attachment])


def dossier_filename(case: Case) -> str:
    return f"dossier-{case.reference}.pdf"


def dossier_data(session: Session, case: Case, viewer: User) -> dict[str, Any]:
    people = _people(session, case)
    return {
        "title": f"Case dossier {case.reference}", "language": "en", "regulator": letter_settings().regulator,
        "generated_at": _when(utcnow()), "generated_by": viewer.full_name,
        "case": _case(case, people), "application": _application(session, case),
        "documents": _documents(session, case, people), "checklist": _checklist(session, case),
        "information_requests": _information_requests(session, case, people),
        "recommendations": [_outcome(r, people.get(r.officer_id), r.created_at) for r in session.scalars(
            select(Recommendation).where(Recommendation.case_id == case.id).order_by(Recommendation.id))],
        "decisions": [_outcome(d, people.get(d.decision_maker_id), d.decided_at) for d in session.scalars(
            select(Decision).where(Decision.case_id == case.id).order_by(Decision.id))],
        "letters": _letters(session, case),
        "audit": _audit(session, case, people),
    }


def _case(case: Case, people: dict[int, str]) -> dict[str, Any]:
    definition = definition_of(case.workflow_version)
    return {"reference": case.reference, "organisation": case.organisation_name, "system_name": case.system_name or "",
            "state": definition.states[case.state].label, "submitted_at": _when(case.submitted_at),
            "workflow": f"{definition.title}, version {case.workflow_version.number}",
            "case_officer": people.get(case.case_officer_id or 0, ""),
            "decision_maker": people.get(case.decision_maker_id or 0, "")}


def _application(session: Session, case: Case) -> dict[str, Any]:
    revision = latest_revision(session, case)
    if revision is None:
        return {"revision": None, "sent_at": None, "sections": []}
    sections = []
    for section in SECTIONS:
        answers = revision.answers.get(section.key, {})
        rows = [{"label": field.label, "value": answer_text(answers.get(field.name), field)}
                for field in section.fields if is_asked(field, answers)]
        sections.append({"title": section.title, "rows": rows})
    return {"revision": revision.number, "sent_at": _when(revision.created_at), "reason": revision.reason,
            "sections": sections}


def answer_text(value: Any, field: FieldSpec) -> str:
    """An answer as people read it: choices by their labels, dates written out, "Not answered" when blank."""
    if value in (None, "", []):
        return "Not answered"
    labels = {choice.value: choice.label for choice in field.choices}
    if field.kind is FieldKind.YES_NO:
        return "Yes" if value == "yes" else "No"
    if field.kind is FieldKind.MULTI:
        return ", ".join(labels.get(item, item) for item in value)
    if field.kind is FieldKind.CHOICE:
        return labels.get(value, value)
    if field.kind is FieldKind.DATE:
        try:
            return long_date(value)
        except ValueError:
            return str(value)
    return str(value)


def _documents(session: Session, case: Case, people: dict[int, str]) -> list[dict[str, Any]]:
    def part(key: str | None) -> str:
        return SECTION_BY_KEY[key].title if key in SECTION_BY_KEY else "Whole application"

    return [{"name": d.display_name, "section": part(d.section_key), "uploaded_at": _when(d.uploaded_at),
             "uploaded_by": people.get(d.uploaded_by_id, ""), "size": d.size, "sha256": d.sha256,
             "is_current": d.is_current} for d in documents_for(session, case)]


def _checklist(session: Session, case: Case) -> list[dict[str, Any]]:
    return [{"section": row["section_title"] or "", "code": row["code"] or "", "title": row["title"],
             "provisions": row["provisions"] or "", "mandatory": bool(row["mandatory"]),
             "rating": CHECKLIST_RATINGS.get(row["rating"] or "", "Not rated"), "note": row["rating_note"] or "",
             "rated_by": row["rated_by"] or "", "rated_at": _when(row["rated_at"]),
             "applicant_statement": row["applicant_statement"] or ""} for row in checklist_of(session, case.id)]


def _information_requests(session: Session, case: Case, people: dict[int, str]) -> list[dict[str, Any]]:
    requests = session.scalars(select(InformationRequest).where(InformationRequest.case_id == case.id)
                               .order_by(InformationRequest.id)).all()
    return [{"sent_at": _when(r.sent_at), "sent_by": people.get(r.sent_by_id, ""), "due_on": r.due_on.isoformat(),
             "status": r.status, "answered_at": _when(r.answered_at), "revision": r.revision_number,
             "questions": [{"text": q.text, "answer": q.answer or ""} for q in r.questions]} for r in requests]


def _outcome(record: Recommendation | Decision, by: str | None, at: datetime) -> dict[str, Any]:
    return {"outcome": OUTCOMES.get(record.outcome, record.outcome), "by": by or "", "at": _when(at),
            "reasons": record.reasons or "", "conditions": list(record.conditions),
            "test_parameters": parameter_rows(record.test_parameters or {})}


# The test parameters of an admission as the decision form names them (reviews/schemas_case.PARAMETER_FIELDS).
PARAMETER_LABELS = {"start_on": "Testing may start on", "end_on": "Testing must end by",
                    "max_customers": "Most customers", "customer_types": "Customers who may take part",
                    "max_exposure": "Exposure limit"}


def parameter_rows(stored: dict[str, Any]) -> list[dict[str, str]]:
    """(label, value) rows of stored test parameters, in the form's order, dates and amounts written out."""
    def shown(name: str, value: Any) -> str:
        if name in DATE_FIELDS:
            return long_date(str(value))
        if name in ("max_customers", "max_exposure") and str(value).isdigit():
            return ("HK$" if name == "max_exposure" else "") + f"{int(value):,}"
        return str(value)
    known = [name for name in PARAMETER_FIELDS if stored.get(name) not in (None, "")]
    unknown = sorted(name for name in stored if name not in PARAMETER_LABELS)
    return [{"label": PARAMETER_LABELS.get(name, name), "value": shown(name, stored[name])} for name in known + unknown]


def _letters(session: Session, case: Case) -> list[dict[str, Any]]:
    issued = session.scalars(select(Letter).where(Letter.case_id == case.id, Letter.state != "draft")
                             .order_by(Letter.issued_at, Letter.id)).all()
    numbers = {letter.id: letter.number for letter in issued}
    return [{"number": letter.number, "kind": str(KIND_LABELS[letter.kind]), "state": letter.state,
             "issued_at": _when(letter.issued_at), "content_sha256": letter.content_sha256,
             "pdf_sha256": letter.pdf_sha256, "supersedes": numbers.get(letter.supersedes_id or 0)}
            for letter in issued]


def _audit(session: Session, case: Case, people: dict[int, str]) -> list[dict[str, Any]]:
    events = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq))
    return [{"seq": e.seq, "at": _when(e.occurred_at), "actor": people.get(e.actor_id or 0, "The service"),
             "action": e.action, "details": json.dumps(e.details, sort_keys=True, ensure_ascii=False),
             "hash": e.hash} for e in events]


def _people(session: Session, case: Case) -> dict[int, str]:
    """Everyone who acted on the case (a few dozen at most), by id, read once."""
    ids = set(session.scalars(select(AuditEvent.actor_id).where(AuditEvent.case_id == case.id).distinct()))
    ids |= {case.case_officer_id, case.decision_maker_id}
    ids.discard(None)
    return {user.id: user.full_name for user in session.scalars(select(User).where(User.id.in_(ids)))}


def _when(moment: datetime | date | None) -> str | None:
    return None if moment is None else moment.isoformat()
