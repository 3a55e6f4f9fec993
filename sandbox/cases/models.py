"""The case: one application's journey through the sandbox, from first draft to closure."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sandbox.accounts.models import Organisation, User
from sandbox.core.db import Base, UTCDateTime, utcnow
from sandbox.workflow.models import WorkflowVersion

# The open queue's indexes hold open cases only: a few thousand at most (the team's workload), however many
# closed cases the years add. Queries say `is_open` the same way (sandbox/reviews/queue.py) so both databases
# use them; the migration (0005) makes them after its last rebuild of the table.
OPEN_CASES_ONLY = {"sqlite_where": text("is_open = 1"), "postgresql_where": text("is_open")}


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_organisation_id_updated_at", "organisation_id", "updated_at"),
        # The review queue: one index per sort (keyset pagination reads it in order) and per selective filter
        # in the default (clock) order, so a page costs the same with a thousand cases or a hundred thousand.
        # The open queue (the default view) has its own, smaller set; these serve "all cases" and closed states.
        Index("ix_cases_open_clock_sort_on_id", "clock_sort_on", "id", **OPEN_CASES_ONLY),
        Index("ix_cases_open_reference", "reference", **OPEN_CASES_ONLY),
        Index("ix_cases_open_organisation_name_id", "organisation_name", "id", **OPEN_CASES_ONLY),
        Index("ix_cases_open_system_name_id", "system_name", "id", **OPEN_CASES_ONLY),
        Index("ix_cases_open_state_clock_sort_on_id", "state", "clock_sort_on", "id", **OPEN_CASES_ONLY),
        Index("ix_cases_open_checklist_outstanding_id", "checklist_outstanding", "id", **OPEN_CASES_ONLY),
        Index("ix_cases_open_last_activity_at_id", "last_activity_at", "id", **OPEN_CASES_ONLY),
        Index("ix_cases_open_submitted_at_id", "submitted_at", "id", **OPEN_CASES_ONLY),
        Index("ix_cases_open_sector_clock_sort_on_id", "sector", "clock_sort_on", "id", **OPEN_CASES_ONLY),
        Index("ix_cases_open_risk_class_clock_sort_on_id", "risk_class", "clock_sort_on", "id", **OPEN_CASES_ONLY),
        Index("ix_cases_open_case_officer_id_clock_sort_on_id", "case_officer_id", "clock_sort_on", "id",
              **OPEN_CASES_ONLY),
        Index("ix_cases_open_decision_maker_id_clock_sort_on_id", "decision_maker_id", "clock_sort_on", "id",
              **OPEN_CASES_ONLY),
        Index("ix_cases_clock_sort_on_id", "clock_sort_on", "id"),
        Index("ix_cases_state_clock_sort_on_id", "state", "clock_sort_on", "id"),
        Index("ix_cases_sector_clock_sort_on_id", "sector", "clock_sort_on", "id"),
        Index("ix_cases_risk_class_clock_sort_on_id", "risk_class", "clock_sort_on", "id"),
        Index("ix_cases_case_officer_id_clock_sort_on_id", "case_officer_id", "clock_sort_on", "id"),
        Index("ix_cases_decision_maker_id_clock_sort_on_id", "decision_maker_id", "clock_sort_on", "id"),
        Index("ix_cases_submitted_at_id", "submitted_at", "id"),
        Index("ix_cases_last_activity_at_id", "last_activity_at", "id"),
        Index("ix_cases_organisation_name_id", "organisation_name", "id"),
        Index("ix_cases_system_name_id", "system_name", "id"),
        Index("ix_cases_checklist_outstanding_id", "checklist_outstanding", "id"),
        CheckConstraint("(reference IS NULL) = (submitted_at IS NULL)", name="reference_iff_submitted"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("checklist_outstanding >= 0 AND checklist_outstanding <= checklist_total",
                        name="checklist_counts_consistent"),
        CheckConstraint("clock_state IS NULL OR clock_state IN ('running', 'paused', 'stopped')",
                        name="clock_state_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    workflow_version_id: Mapped[int] = mapped_column(ForeignKey("workflow_versions.id", ondelete="RESTRICT"),
                                                     index=True)
    state: Mapped[str] = mapped_column(String(40))
    # Where a `<previous>` transition returns to (the state before an information request, say).
    return_state: Mapped[str | None] = mapped_column(String(40))
    # Optimistic lock: every write checks and bumps it, so a stale write is refused, never applied.
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    clock_started_on: Mapped[date | None] = mapped_column(Date)
    clock_stopped_on: Mapped[date | None] = mapped_column(Date)

    # Copies kept for the review queue, so a page of it is one indexed query (refreshed by the workflow engine,
    # the assignment and checklist operations; see sandbox/reviews/queue_fields.py).
    is_open: Mapped[bool] = mapped_column(default=False)
    organisation_name: Mapped[str] = mapped_column(String(200), default="")
    system_name: Mapped[str | None] = mapped_column(String(200))
    sector: Mapped[str | None] = mapped_column(String(40))
    risk_class: Mapped[str | None] = mapped_column(String(40))
    case_officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    decision_maker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    clock_state: Mapped[str | None] = mapped_column(String(10))
    deadline_on: Mapped[date | None] = mapped_column(Date)  # the decision deadline while the clock runs
    days_left_when_paused: Mapped[int | None] = mapped_column()
    # One sortable key for "most urgent first": the deadline of a running clock; paused clocks after every
    # running one (in order of the days they had left); then cases whose clock stopped or never started.
    clock_sort_on: Mapped[date] = mapped_column(Date, default=date(9999, 12, 31))
    checklist_total: Mapped[int] = mapped_column(default=0)
    checklist_outstanding: Mapped[int] = mapped_column(default=0)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    workflow_version: Mapped[WorkflowVersion] = relationship()
    pauses: Mapped[list[ClockPause]] = relationship(back_populates="case", order_by="ClockPause.id")
    case_officer: Mapped[User | None] = relationship(foreign_keys=[case_officer_id])
    decision_maker: Mapped[User | None] = relationship(foreign_keys=[decision_maker_id])

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's declarative hook)


class ClockPause(Base):
    """A period in which the statutory clock stood still (an information request was open)."""

    __tablename__ = "clock_pauses"
    __table_args__ = (CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(80))

    case: Mapped[Case] = relationship(back_populates="pauses")


class CaseTransition(Base):
    """One move of a case through its workflow: the history the timeline and four-eyes checks read."""

    __tablename__ = "case_transitions"
    __table_args__ = (Index("ix_case_transitions_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    reasons: Mapped[str | None] = mapped_column(String(10_000))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class IdempotencyKey(Base):
    """A client's key for one action: a retry with the same key returns the first result, doing nothing."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_key", "key", name="user_key_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The acting user's id, or "system" for timers; a string so system retries are covered too.
    user_key: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(100))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    transition_id: Mapped[int] = mapped_column(ForeignKey("case_transitions.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReferenceCounter(Base):
    """The last case reference number issued in a year (SBX-2026-0042): one row per year, locked to issue."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)
