"""The append-only, hash-chained audit log.

Each event carries the SHA-256 of (previous event's hash + its own canonical JSON), and a one-row
head table holds the newest sequence number and hash. Editing, deleting or re-ordering any event
breaks the chain, and `flask --app sandbox audit verify` names the first event where it breaks.
Writers lock the head row, so concurrent writers append one after another and never fork the chain.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from sandbox.core.db import Base, UTCDateTime, utcnow

GENESIS_HASH = "0" * 64
log = logging.getLogger("sandbox.audit")


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        CheckConstraint("seq > 0", name="seq_positive"),
        Index("ix_audit_events_case_id_seq", "case_id", "seq"),
        Index("ix_audit_events_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    # A case's events stay after a draft case is deleted, so this is deliberately not a foreign key.
    case_id: Mapped[int | None] = mapped_column()
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    def canonical_payload(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "occurred_at": self.occurred_at.isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "case_id": self.case_id,
            "details": self.details,
        }

    def compute_hash(self) -> str:
        return chain_hash(self.prev_hash, self.canonical_payload())


class AuditChainHead(Base):
    __tablename__ = "audit_chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))


def canonical_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(payload)).encode("utf-8")).hexdigest()


def record_event(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: object | None = None,
    case_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain; flushes, never commits (the caller's transaction owns it)."""
    head = session.scalars(select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()).one()
    # Round-trip the details through JSON now, so the hash is computed over exactly what is stored.
    stored_details = json.loads(canonical_json(details or {}))
    event = AuditEvent(
        seq=head.last_seq + 1,
        occurred_at=utcnow(),
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        case_id=case_id,
        details=stored_details,
        prev_hash=head.last_hash,
    )
    event.hash = event.compute_hash()
    head.last_seq, head.last_hash = event.seq, event.hash
    session.add(event)
    session.flush()
    log.info(
        "audit event",
        extra={"audit": {"seq": event.seq, "action": action, "object": f"{object_type}:{event.object_id}",
                         "actor_id": actor_id, "case_id": case_id}},
    )
    return event


@dataclass(frozen=True)
class ChainReport:
    is_intact: bool
    events_checked: int
    head_seq: int
    head_hash: str
    problem: str | None = None


def verify_chain(session: Session, batch_size: int = 1000) -> ChainReport:
    """Walk the whole chain in order; report the first event that does not fit."""
    head = session.scalars(select(AuditChainHead).where(AuditChainHead.id == 1)).one_or_none()
    if head is None:
        return ChainReport(False, 0, 0, "", "The audit chain head row is missing.")
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    for event in _events_in_order(session, batch_size):
        problem = _check_event(event, expected_seq, expected_prev)
        if problem:
            return ChainReport(False, checked, head.last_seq, head.last_hash, problem)
        expected_prev, expected_seq, checked = event.hash, event.seq + 1, checked + 1
    if head.last_seq != expected_seq - 1 or head.last_hash != expected_prev:
        problem = (
            f"The chain ends at event seq {expected_seq - 1}, but the head records seq {head.last_seq}: "
            "events at the end of the log were deleted or the head was altered."
        )
        return ChainReport(False, checked, head.last_seq, head.last_hash, problem)
    return ChainReport(True, checked, head.last_seq, head.last_hash)


def _check_event(event: AuditEvent, expected_seq: int, expected_prev: str) -> str | None:
    name = f"audit event seq {event.seq} (id {event.id})"
    if event.seq != expected_seq:
        return f"Expected seq {expected_seq} but found {name}: events before it were deleted."
    if event.prev_hash != expected_prev:
        return f"{name} does not link to the event before it: an earlier event was altered or removed."
    if event.compute_hash() != event.hash:
        return f"{name} was altered after it was written: its content no longer matches its hash."
    return None


def _events_in_order(session: Session, batch_size: int) -> Iterator[AuditEvent]:
    last_seq = 0
    while True:
        batch = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last_seq).order_by(AuditEvent.seq).limit(batch_size)
        ).all()
        if not batch:
            return
        yield from batch
        last_seq = batch[-1].seq
        for event in batch:  # keep memory flat on a long log
            session.expunge(event)
