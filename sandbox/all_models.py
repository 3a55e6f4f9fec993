"""Imports every feature's models, so the metadata (and so Alembic and the drift test) sees the whole schema."""

from sandbox.accounts.models import Organisation, User
from sandbox.core.audit import AuditChainHead, AuditEvent

__all__ = ["AuditChainHead", "AuditEvent", "Organisation", "User"]
