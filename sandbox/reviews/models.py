"""Information requests: questions the regulator sends, with a due date; the clock stops while one is open."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
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
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the reminder before the due date

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
    # Asked straight from a checklist item: the applicant sees which one, the officer finds it on the item.
    checklist_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_checklist_items.id", ondelete="SET NULL"), index=True)

    request: Mapped[InformationRequest] = relationship(back_populates="questions")


class AssignmentRole(enum.StrEnum):
    CASE_OFFICER = "case_officer"
    DECISION_MAKER = "decision_maker"


class AssignmentEnd(enum.StrEnum):
    REASSIGNED = "reassigned"
    RECUSED = "recused"


class CaseAssignment(Base):
    """Who works on a case in which capacity; the current one has no end. The case keeps a copy for the queue."""

    __tablename__ = "case_assignments"
    __table_args__ = (
        enum_check("role", AssignmentRole, "role_known"),
        CheckConstraint("end_reason IS NULL OR end_reason IN ('reassigned', 'recused')", name="end_reason_known"),
        CheckConstraint("(ended_at IS NULL) = (end_reason IS NULL)", name="ended_with_reason"),
        Index("ix_case_assignments_case_id_role", "case_id", "role"),
        Index("ix_case_assignments_user_id_ended_at", "user_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    role: Mapped[str] = mapped_column(String(20))
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The assignee's own declaration that they have no conflict of interest in this case; they may not act
    # on the case until they have made it.
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(20))


class Recusal(Base):
    """A record that someone stood aside from a case because of a conflict of interest."""

    __tablename__ = "recusals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    reason: Mapped[str] = mapped_column(String(2000))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CaseNote(Base):
    """An internal note by regulator staff. Never shown to the applicant."""

    __tablename__ = "case_notes"
    __table_args__ = (Index("ix_case_notes_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    body: Mapped[str] = mapped_column(String(10_000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CaseMessage(Base):
    """A message in the thread the applicant and the regulator both see."""

    __tablename__ = "case_messages"
    __table_args__ = (Index("ix_case_messages_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    from_regulator: Mapped[bool] = mapped_column()
    body: Mapped[str] = mapped_column(String(10_000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EligibilityRating(enum.StrEnum):
    MET = "met"
    PARTLY_MET = "partly_met"
    NOT_MET = "not_met"


class EligibilityScore(Base):
    """The officer's view on one eligibility criterion; earlier views stay in the audit trail."""

    __tablename__ = "eligibility_scores"
    __table_args__ = (
        UniqueConstraint("case_id", "criterion", name="case_criterion"),
        enum_check("rating", EligibilityRating, "rating_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    criterion: Mapped[str] = mapped_column(String(40))
    rating: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(4000))
    scored_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RecommendedOutcome(enum.StrEnum):
    ADMIT = "admit"
    REJECT = "reject"
    WAITLIST = "waitlist"


class Recommendation(Base):
    """The case officer's recommendation to the decision maker; a new one after each send-back."""

    __tablename__ = "recommendations"
    __table_args__ = (
        enum_check("outcome", RecommendedOutcome, "outcome_known"),
        Index("ix_recommendations_case_id_id", "case_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    outcome: Mapped[str] = mapped_column(String(20))
    reasons: Mapped[str] = mapped_column(String(10_000))
    conditions: Mapped[list[str]] = mapped_column(JSON, default=list)
    # {"start_on", "end_on", "max_customers", "customer_types", "max_exposure"}: what the test may do.
    test_parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    transition_id: Mapped[int] = mapped_column(ForeignKey("case_transitions.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SavedView(Base):
    """A named queue view (its filters and sort, as the query string) that one user kept."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("user_id", "name", name="user_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
