"""The application's content: the working draft, frozen revisions, documents and notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sandbox.cases.models import Case
from sandbox.core.db import Base, UTCDateTime, utcnow


class ApplicationDraft(Base):
    """What the organisation is writing. Editable until submission, and again while answering a request."""

    __tablename__ = "application_drafts"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    # {section key: {field name: value}}; always replaced, never mutated in place, so changes are tracked.
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # {section key: number of saves}: a save names the number it started from, so a colleague's newer save
    # of the same section is detected instead of overwritten. Different sections never conflict.
    section_versions: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    completed_sections: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The AI system's name, copied out of the answers for lists and the queue.
    system_name: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))

    case: Mapped[Case] = relationship()


class ApplicationRevision(Base):
    """An immutable snapshot: revision 1 at submission, another after each answered information request."""

    __tablename__ = "application_revisions"
    __table_args__ = (UniqueConstraint("case_id", "number", name="case_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    declaration: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))


class Document(Base):
    """An uploaded evidence file. Replacing one adds a new version; the old one stays, and stays downloadable."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_case_id_section_key", "case_id", "section_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    section_key: Mapped[str | None] = mapped_column(String(40))  # None: attached to the case as a whole
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(10))
    media_type: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(220))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="RESTRICT"))
    is_current: Mapped[bool] = mapped_column(default=True)


class Notification(Base):
    """An in-app message about a case: to the people of one organisation, or to one member of staff."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_organisation_id_created_at", "organisation_id", "created_at"),
        Index("ix_notifications_user_id_created_at", "user_id", "created_at"),
        CheckConstraint("(organisation_id IS NULL) <> (user_id IS NULL)", name="one_recipient"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
