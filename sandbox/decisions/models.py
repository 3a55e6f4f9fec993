"""A decision maker's decision on a case: what the letter will say and the register will hold."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.core.db import Base, UTCDateTime, enum_check, utcnow


class DecisionOutcome(enum.StrEnum):
    ADMITTED = "admitted"
    REJECTED = "rejected"
    REJECTED_OUT_OF_SCOPE = "rejected_out_of_scope"
    WAITLISTED = "waitlisted"
    SENT_BACK = "sent_back"


class Decision(Base):
    __tablename__ = "decisions"
    __table_args__ = (
        enum_check("outcome", DecisionOutcome, "outcome_known"),
        Index("ix_decisions_case_id_id", "case_id", "id"),
        Index("ix_decisions_decided_at", "decided_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    decision_maker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    outcome: Mapped[str] = mapped_column(String(30))
    reasons: Mapped[str | None] = mapped_column(String(10_000))
    # The conditions and test parameters the decision imposes (admission), as finally settled by the
    # decision maker from the officer's recommendation.
    conditions: Mapped[list[str]] = mapped_column(JSON, default=list)
    test_parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recommendation_id: Mapped[int | None] = mapped_column(ForeignKey("recommendations.id", ondelete="RESTRICT"))
    transition_id: Mapped[int] = mapped_column(ForeignKey("case_transitions.id", ondelete="RESTRICT"))
    # Days from submission to this decision on the statutory clock's calendar, for the leads' statistics.
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
