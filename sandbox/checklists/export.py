"""The rated checklist as plain rows: for the CSV download, the case dossier and the letter's annex."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.accounts.models import User
from sandbox.checklists.case_checklist import case_items, checklist_of
from sandbox.checklists.models import CaseItem, Rating

RATING_LABELS = {Rating.MET.value: _l("Met"), Rating.PARTLY_MET.value: _l("Partly met"),
                 Rating.NOT_MET.value: _l("Not met"), Rating.NOT_APPLICABLE.value: _l("Not applicable")}
CSV_COLUMNS = ("section", "code", "title", "provisions", "mandatory", "evidence_required", "rating", "rating_note",
               "rated_by", "rated_at", "applicant_statement", "evidence_documents")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def provisions_text(item: CaseItem, regimes: Mapping[str, str]) -> str:
    """'EU AI Act Art. 9; HKMA … §3': each citation after its regime's short name (the key when unknown)."""
    return "; ".join(f"{regime_name(regimes, p['regime'])} {p['citation']}" for p in item.provisions)


def regime_name(regimes: Mapping[str, str], key: str) -> str:
    """A regime's name without its parenthesis ("EU AI Act"), or its key when the template does not name it."""
    return regimes.get(key, key).split(" (", 1)[0]


def checklist_rows(session: Session, case_id: int) -> list[dict[str, Any]]:
    """Every live item of the case's checklist, in order, as plain values (no ORM object leaves here)."""
    checklist = checklist_of(session, case_id)
    if checklist is None:
        return []
    regimes = checklist.template.regimes
    items = case_items(session, case_id)
    raters = {user.id: user.full_name for user in session.scalars(
        select(User).where(User.id.in_({item.rated_by_id for item in items if item.rated_by_id})))}
    return [{"section_title": item.section_title, "code": item.code, "title": item.title,
             "provisions": provisions_text(item, regimes), "mandatory": item.mandatory,
             "evidence_required": item.evidence_required, "rating": item.rating, "rating_note": item.rating_note,
             "rated_by": raters.get(item.rated_by_id) if item.rated_by_id else None, "rated_at": item.rated_at,
             "applicant_statement": item.statement,
             "evidence_document_ids": [link.document_id for link in item.evidence_links]} for item in items]


def csv_lines(rows: list[dict[str, Any]], document_names: Mapping[int, str]) -> Iterator[str]:
    """The rows as CSV text, header first; cells a spreadsheet would run as a formula are quoted with a '."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: list[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(value) for value in values])
        return buffer.getvalue()

    yield line(list(CSV_COLUMNS))
    for row in rows:
        yield line([row["section_title"], row["code"], row["title"], row["provisions"],
                    "yes" if row["mandatory"] else "no", row["evidence_required"],
                    str(RATING_LABELS[row["rating"]]) if row["rating"] else "", row["rating_note"] or "",
                    row["rated_by"] or "", row["rated_at"].isoformat() if row["rated_at"] else "",
                    row["applicant_statement"] or "",
                    "; ".join(document_names.get(i, str(i)) for i in row["evidence_document_ids"])])


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
