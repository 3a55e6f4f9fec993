"""Information requests: questions the regulator sends, with a due date; the clock stops while one is open."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sandbox.core.db import Base, UTCDateTime, enum_check, utcnow


class RequestStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    LAPSED = "lapsed"


class InformationRequest(Base):
    __tablename__ = "information_requests"
    __table_args__ = (
        enum_check("status", RequestStatus, "status_known"),
        Index("ix_information_requests_case_id_status", "case_id", "status"),
        Index("ix_information_requests_status_due_on", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=RequestStatus.OPEN.value)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # The application revision the answer created (revision 2 after the first answered request, and so on).
    revision_number: Mapped[int | None] = mapped_column()

    questions: Mapped[list[InformationQuestion]] = relationship(back_populates="request",
                                                                order_by="InformationQuestion.position")


class InformationQuestion(Base):
    __tablename__ = "information_questions"
    __table_args__ = (
        UniqueConstraint("request_id", "position", name="request_position"),
        CheckConstraint("position >= 1", name="position_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("information_requests.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(String(4000))
    answer: Mapped[str | None] = mapped_column(String(10_000))

    request: Mapped[InformationRequest] = relationship(back_populates="questions")
