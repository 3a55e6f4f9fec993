"""Reading the letter register: the staff register's pages, a case's letters, an applicant's letters, and the public
verification of a letter by its number or by its file.

The register's lists never load PDF bytes (a deferred column); only a download does.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session, joinedload, undefer

from sandbox.accounts.models import User
from sandbox.cases.models import Case
from sandbox.core.errors import NotFound
from sandbox.decisions.letter_content import KIND_LABELS
from sandbox.decisions.letters import Letter, LetterState
from sandbox.reviews.access import case_for_staff
from sandbox.reviews.queue import visible_cases
from sandbox.workflow.engine import regulator_today, start_of_regulator_day

PAGE_SIZE = 50
NUMBER_PATTERN = re.compile(r"SBX[/-]L[/-](\d{4})[/-](\d{1,6})")


@dataclass(frozen=True)
class RegisterQuery:
    """The register's filters, as its URL carries them (see web/letters.py for the parsing)."""

    kind: str | None = None
    state: str | None = None
    year: int | None = None
    reference: str = ""
    issued_from: date | None = None
    issued_to: date | None = None
    after: str | None = None  # keyset: the cursor of the last letter of the page before (see register_cursor)


@dataclass(frozen=True)
class RegisterRow:
    letter: Letter
    reference: str
    organisation_name: str


@dataclass(frozen=True)
class RegisterPage:
    rows: list[RegisterRow]
    next_after: str | None


CURSOR = re.compile(r"(draft|\d{4}-\d{2}-\d{2}T[0-9:.+-]+)~(\d{1,12})")


def load_register(session: Session, query: RegisterQuery, viewer: User) -> RegisterPage:
    """Drafts first (they wait for someone), then issued letters, the most recently issued first."""
    statement = _register_statement(query, viewer.id).order_by(
        Letter.issued_at.desc().nulls_first(), Letter.id.desc()).limit(PAGE_SIZE + 1)
    if query.after:
        statement = statement.where(_after(query.after))
    found = [RegisterRow(letter, reference, name) for letter, reference, name in session.execute(statement)]
    rows = found[:PAGE_SIZE]
    return RegisterPage(rows, register_cursor(rows[-1].letter) if len(found) > PAGE_SIZE else None)


def register_cursor(letter: Letter) -> str:
    return f"{letter.issued_at.isoformat() if letter.issued_at else 'draft'}~{letter.id}"


def _after(cursor: str) -> ColumnElement[bool]:
    match = CURSOR.fullmatch(cursor)
    if match is None:
        raise NotFound(_("Page not found"))
    stamp, letter_id = match.group(1), int(match.group(2))
    if stamp == "draft":
        return or_(and_(Letter.issued_at.is_(None), Letter.id < letter_id), Letter.issued_at.is_not(None))
    try:
        issued_at = datetime.fromisoformat(stamp)
    except ValueError:
        raise NotFound(_("Page not found")) from None
    return and_(Letter.issued_at.is_not(None), or_(Letter.issued_at < issued_at,
                                                   and_(Letter.issued_at == issued_at, Letter.id < letter_id)))


def _register_statement(query: RegisterQuery, viewer_id: int) -> Select[Any]:
    conditions: list[ColumnElement[bool]] = [visible_cases(viewer_id)]
    if query.kind:
        conditions.append(Letter.kind == query.kind)
    if query.state:
        conditions.append(Letter.state == query.state)
    if query.year:
        conditions.append(Letter.year == query.year)
    if query.reference:
        conditions.append(Case.reference == query.reference.strip().upper())
    if query.issued_from:
        conditions.append(Letter.issued_at >= start_of_regulator_day(query.issued_from))
    if query.issued_to:
        conditions.append(Letter.issued_at < start_of_regulator_day(query.issued_to + timedelta(days=1)))
    return (select(Letter, Case.reference, Case.organisation_name).join(Case, Case.id == Letter.case_id)
            .where(*conditions))


def letter_for_staff(session: Session, viewer: User, letter_id: int, *, with_pdf: bool = False) -> Letter:
    """The letter, if the viewer may see its case (a conflicted person may not): otherwise 404."""
    options = [joinedload(Letter.case), *([undefer(Letter.pdf)] if with_pdf else [])]
    letter = session.get(Letter, letter_id, options=options)
    if letter is None:
        raise NotFound(_("Page not found"))
    case_for_staff(session, viewer, letter.case_id)
    return letter


def letters_of_case(session: Session, case: Case) -> list[Letter]:
    """Every letter of the case, drafts too, newest first."""
    return list(session.scalars(select(Letter).where(Letter.case_id == case.id).order_by(Letter.id.desc())))


def issued_letters_of_case(session: Session, case: Case) -> list[Letter]:
    """What the applicant sees: issued letters, superseded ones too (marked so), newest first. Never drafts."""
    return list(session.scalars(select(Letter).where(Letter.case_id == case.id, Letter.state != LetterState.DRAFT)
                                .order_by(Letter.issued_at.desc(), Letter.id.desc())))


def issued_letter_of_case(session: Session, case: Case, letter_id: int) -> Letter:
    letter = session.get(Letter, letter_id, options=[undefer(Letter.pdf)])
    if letter is None or letter.case_id != case.id or letter.is_draft:
        raise NotFound(_("Page not found"))
    return letter


# ---- Public verification ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Verification:
    """What the public page may say about a letter: nothing about the case, only the letter's standing."""

    status: str  # "authentic" (issued and current), "superseded" or "unknown"
    number: str | None = None
    kind_label: str | None = None
    issued_on: date | None = None
    content_sha256: str | None = None
    superseded_by: str | None = None

    @property
    def is_known(self) -> bool:
        return self.status != "unknown"


UNKNOWN = Verification("unknown")


def normalise_number(text: str) -> str | None:
    """SBX/L/2026/000123 from what a person typed or the verification URL carries (dashes, spaces, lower case)."""
    match = NUMBER_PATTERN.fullmatch(re.sub(r"\s+", "", text or "").upper())
    return f"SBX/L/{match.group(1)}/{int(match.group(2)):06d}" if match else None


def verify_number(session: Session, text: str) -> Verification:
    number = normalise_number(text)
    if number is None:
        return UNKNOWN
    return _verification(session, session.scalars(select(Letter).where(Letter.number == number)).one_or_none())


def verify_file(session: Session, pdf: bytes) -> Verification:
    """Byte-for-byte: the file's SHA-256 must be that of a letter as issued. One changed byte makes it unknown."""
    digest = hashlib.sha256(pdf).hexdigest()
    return _verification(session, session.scalars(select(Letter).where(Letter.pdf_sha256 == digest)).one_or_none())


def _verification(session: Session, letter: Letter | None) -> Verification:
    if letter is None or letter.is_draft or letter.issued_at is None:
        return UNKNOWN
    successor = letter.superseded_by
    return Verification(
        status="authentic" if letter.is_current else "superseded", number=letter.number,
        kind_label=str(KIND_LABELS[letter.kind]), issued_on=regulator_today(letter.issued_at),
        content_sha256=letter.content_sha256,
        superseded_by=successor.number if successor is not None and not successor.is_draft else None)
