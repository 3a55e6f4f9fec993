"""The letter register: letters drafted from decisions, issued once under a gap-free number, never changed after.

A letter starts as a draft (its data editable, no number). Issuing it gives it the next number of the year's
counter, its rendered PDF bytes and their SHA-256, all in one transaction; from then on it is frozen. A correction
is a new letter that `supersedes` the old one: on issue the old one becomes `superseded`, and both stay.

The PDF bytes live in the row itself (a deferred column, never loaded by the register's lists): the number, the
bytes and their hash are written in the same transaction, so an issued letter can never exist without its file nor
a file without its letter, a backup of the database holds the register whole, and a re-download is byte-for-byte
what was issued. Letters are tens of kilobytes; neither database minds.

Named CHECK constraints forbid the impossible combinations, and migration 0006 adds a trigger on both databases
that refuses any change to an issued letter's content (a row may only move from issued to superseded).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from sandbox.cases.models import Case
from sandbox.core.db import Base, UTCDateTime, enum_check, utcnow
from sandbox.decisions.letter_data import KINDS


class LetterState(enum.StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    SUPERSEDED = "superseded"


NUMBER_PREFIX = "SBX/L"
# The columns an issued letter is made of: the trigger of migration 0006 refuses any change to them once issued.
FROZEN_COLUMNS = ("case_id", "decision_id", "information_request_id", "kind", "edition", "number", "year", "sequence",
                  "data", "content_sha256", "pdf", "pdf_sha256", "pdf_size", "issued_by_id", "issued_at",
                  "drafted_by_id", "drafted_at")


def letter_number(year: int, sequence: int) -> str:
    """SBX/L/2026/000123: the register's number for the `sequence`-th letter issued in `year`."""
    return f"{NUMBER_PREFIX}/{year}/{sequence:06d}"


class Letter(Base):
    __tablename__ = "letters"
    __table_args__ = (
        enum_check("state", LetterState, "state_known"),
        CheckConstraint("kind IN ({})".format(", ".join(f"'{kind}'" for kind in KINDS)), name="kind_known"),
        CheckConstraint(
            "state <> 'draft' OR (number IS NULL AND year IS NULL AND sequence IS NULL AND content_sha256 IS NULL "
            "AND pdf IS NULL AND pdf_sha256 IS NULL AND pdf_size IS NULL AND issued_at IS NULL "
            "AND issued_by_id IS NULL)", name="draft_not_issued"),
        CheckConstraint(
            "state = 'draft' OR (number IS NOT NULL AND year IS NOT NULL AND sequence IS NOT NULL "
            "AND content_sha256 IS NOT NULL AND pdf IS NOT NULL AND pdf_sha256 IS NOT NULL AND pdf_size IS NOT NULL "
            "AND issued_at IS NOT NULL AND issued_by_id IS NOT NULL)", name="issued_complete"),
        CheckConstraint("(state = 'superseded') = (superseded_at IS NOT NULL)", name="superseded_when_replaced"),
        CheckConstraint("sequence IS NULL OR sequence >= 1", name="sequence_positive"),
        CheckConstraint("supersedes_id IS NULL OR supersedes_id <> id", name="not_superseding_itself"),
        CheckConstraint("version >= 1", name="version_positive"),
        UniqueConstraint("year", "sequence", name="year_sequence"),
        Index("ix_letters_case_id_id", "case_id", "id"),
        # The register: newest first, and filtered by state, kind or issue date.
        Index("ix_letters_state_id", "state", "id"),
        Index("ix_letters_kind_id", "kind", "id"),
        Index("ix_letters_issued_at_id", "issued_at", "id"),
        # One letter per decision and per information request in each edition: the original, then its corrections.
        UniqueConstraint("decision_id", "edition", name="decision_edition"),
        UniqueConstraint("information_request_id", "edition", name="information_request_edition"),
        CheckConstraint("edition >= 1", name="edition_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id", ondelete="RESTRICT"))
    information_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("information_requests.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(30))
    # 1 for the original letter, 2 for its first correction, and so on.
    edition: Mapped[int] = mapped_column(default=1)
    state: Mapped[str] = mapped_column(String(12), default=LetterState.DRAFT.value)
    number: Mapped[str | None] = mapped_column(String(30), unique=True)
    year: Mapped[int | None] = mapped_column()
    sequence: Mapped[int | None] = mapped_column()
    # The letter's data as LetterDataSchema dumps it (plain JSON); replaced, never mutated in place.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_sha256: Mapped[str | None] = mapped_column(String(64))  # printed on the letter (its content's hash)
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)  # the issued file's hash
    pdf_size: Mapped[int | None] = mapped_column()
    drafted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    drafted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The key the issuing request carried: a retry with the same key finds the letter issued and does nothing.
    issue_key: Mapped[str | None] = mapped_column(String(100))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id", ondelete="RESTRICT"), unique=True)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Optimistic lock: an edit or issue based on an older version of the draft is refused, never applied.
    version: Mapped[int] = mapped_column(default=1)

    case: Mapped[Case] = relationship()
    supersedes: Mapped[Letter | None] = relationship(remote_side=[id], foreign_keys=[supersedes_id],
                                                     back_populates="superseded_by")
    superseded_by: Mapped[Letter | None] = relationship(foreign_keys=[supersedes_id], back_populates="supersedes",
                                                        uselist=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's declarative hook)

    @property
    def is_draft(self) -> bool:
        return self.state == LetterState.DRAFT

    @property
    def is_current(self) -> bool:
        """Issued and not replaced by a correction."""
        return self.state == LetterState.ISSUED


class LetterCounter(Base):
    """The last letter number issued in a year: one row per year, locked while a letter is issued."""

    __tablename__ = "letter_counters"
    __table_args__ = (CheckConstraint("last_number >= 0", name="last_number_not_negative"),)

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class LetterBatch(Base):
    """Drafts a decision maker chose to issue together: a job issues each in its own transaction, noting results."""

    __tablename__ = "letter_batches"
    __table_args__ = (Index("ix_letter_batches_requested_by_id_id", "requested_by_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    letter_ids: Mapped[list[int]] = mapped_column(JSON)
    # {letter id (as text): {"number": ...} or {"error": ...}}, filled in as the job goes.
    results: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
