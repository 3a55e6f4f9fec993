"""Conflicts of interest: a regulator user declares the organisations they must not work on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from sandbox.accounts.models import User
from sandbox.core.audit import record_event
from sandbox.core.db import Base, UTCDateTime, utcnow


class ConflictDeclaration(Base):
    __tablename__ = "conflict_declarations"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id", name="user_organisation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(2000))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def has_conflict(session: Session, user_id: int, organisation_id: int) -> bool:
    return session.scalar(select(ConflictDeclaration.id).where(
        ConflictDeclaration.user_id == user_id, ConflictDeclaration.organisation_id == organisation_id)) is not None


def declare_conflict(session: Session, user: User, organisation_id: int, reason: str) -> ConflictDeclaration:
    """Record that `user` must not work on `organisation_id`'s cases; flushes, never commits."""
    declaration = ConflictDeclaration(user_id=user.id, organisation_id=organisation_id, reason=reason.strip())
    session.add(declaration)
    session.flush()
    record_event(session, actor_id=user.id, action="conflict.declared", object_type="organisation",
                 object_id=organisation_id, details={"reason": declaration.reason})
    return declaration
