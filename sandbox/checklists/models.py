"""Compliance checklists: versioned templates, and each case's own copy with statements, evidence and ratings.

A template version is data: published versions never change (an administrator edits a draft, then publishes
it as the next version). At submission a case gets a copy of every item of the version in force, so later
versions leave running cases alone; an administrator may deliberately move a case to a newer version.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sandbox.core.db import Base, UTCDateTime, enum_check, utcnow


class TemplateStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class EvidenceRequired(enum.StrEnum):
    DOCUMENT = "document"
    NOTE = "note"
    BOTH = "both"


class Rating(enum.StrEnum):
    MET = "met"
    PARTLY_MET = "partly_met"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"


class ChecklistTemplate(Base):
    __tablename__ = "checklist_templates"
    __table_args__ = (
        UniqueConstraint("code", "version"),
        enum_check("status", TemplateStatus, "status_known"),
        CheckConstraint("(status = 'published') = (published_at IS NOT NULL)", name="published_when_dated"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column()
    version_label: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    regimes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # key -> display name
    status: Mapped[str] = mapped_column(String(20), default=TemplateStatus.DRAFT.value)
    source_sha256: Mapped[str | None] = mapped_column(String(64))  # of the file it was loaded from, if any
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    edit_version: Mapped[int] = mapped_column(default=1)  # a draft's optimistic lock

    items: Mapped[list[TemplateItem]] = relationship(
        back_populates="template", order_by="(TemplateItem.section_position, TemplateItem.position)",
        cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": edit_version}  # noqa: RUF012 - SQLAlchemy reads it as a class attribute

    @property
    def is_published(self) -> bool:
        return self.status == TemplateStatus.PUBLISHED.value


class ItemFields:
    """What a template item and a case's copy of it both say."""

    section_code: Mapped[str] = mapped_column(String(60))
    section_title: Mapped[str] = mapped_column(String(200))
    section_position: Mapped[int] = mapped_column()
    position: Mapped[int] = mapped_column()
    code: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(Text)
    process: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    mandatory: Mapped[bool] = mapped_column()
    evidence_required: Mapped[str] = mapped_column(String(20))
    provisions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{regime, citation}]

    def regime_keys(self) -> set[str]:
        return {provision["regime"] for provision in self.provisions}


ITEM_FIELD_NAMES = tuple(ItemFields.__annotations__)  # copied from a template's item to a case's, in this order


class TemplateItem(ItemFields, Base):
    __tablename__ = "checklist_template_items"
    __table_args__ = (
        UniqueConstraint("template_id", "code"),
        enum_check("evidence_required", EvidenceRequired, "evidence_required_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id", ondelete="CASCADE"))

    template: Mapped[ChecklistTemplate] = relationship(back_populates="items")


class CaseChecklist(Base):
    """Which template version a case's checklist was copied from (one per case)."""

    __tablename__ = "case_checklists"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id", ondelete="RESTRICT"))
    copied_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    template: Mapped[ChecklistTemplate] = relationship()


class CaseItem(ItemFields, Base):
    """A case's copy of one item, with the applicant's statement and the officer's current rating."""

    __tablename__ = "case_checklist_items"
    __table_args__ = (
        UniqueConstraint("case_id", "code"),
        Index("ix_case_checklist_items_case_id_section_position_position", "case_id", "section_position",
              "position"),
        enum_check("evidence_required", EvidenceRequired, "evidence_required_known"),
        enum_check("rating", Rating, "rating_known"),
        CheckConstraint("(rating IS NULL) = (rated_at IS NULL) AND (rating IS NULL) = (rated_by_id IS NULL)",
                        name="rating_has_rater"),
        CheckConstraint("rating IS NULL OR rating = 'met' OR rating_note IS NOT NULL", name="note_unless_met"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    template_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("checklist_template_items.id", ondelete="SET NULL"))
    statement: Mapped[str | None] = mapped_column(Text)  # the applicant's self-assessment
    statement_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    statement_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rating: Mapped[str | None] = mapped_column(String(20))
    rating_note: Mapped[str | None] = mapped_column(Text)  # internal: never shown to the applicant
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when an administrator moved the case to a template version without this item; kept for the record.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1)

    evidence_links: Mapped[list[EvidenceLink]] = relationship(cascade="all, delete-orphan",
                                                              order_by="EvidenceLink.document_id")
    ratings: Mapped[list[RatingEntry]] = relationship(order_by="RatingEntry.id", viewonly=True)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it as a class attribute

    @property
    def is_rated(self) -> bool:
        return self.rating is not None


class EvidenceLink(Base):
    """A document of the case that the applicant offers as evidence for an item."""

    __tablename__ = "case_checklist_evidence"

    item_id: Mapped[int] = mapped_column(ForeignKey("case_checklist_items.id", ondelete="CASCADE"),
                                         primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RatingEntry(Base):
    """Every rating ever given to an item: the history behind the current one."""

    __tablename__ = "case_checklist_ratings"
    __table_args__ = (
        enum_check("rating", Rating, "rating_known"),
        Index("ix_case_checklist_ratings_item_id_id", "item_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("case_checklist_items.id", ondelete="CASCADE"))
    rating: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    rated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
