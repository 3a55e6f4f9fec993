"""Imports every feature's models, so the metadata (and so Alembic and the drift test) sees the whole schema."""

from sandbox.accounts.conflicts import ConflictDeclaration
from sandbox.accounts.models import Organisation, User
from sandbox.applications.models import ApplicationDraft, ApplicationRevision, Document, Notification
from sandbox.cases.models import Case, CaseTransition, ClockPause, IdempotencyKey, ReferenceCounter
from sandbox.core.audit import AuditChainHead, AuditEvent
from sandbox.reviews.models import InformationQuestion, InformationRequest
from sandbox.workflow.models import WorkflowVersion

__all__ = [
    "ApplicationDraft", "ApplicationRevision", "AuditChainHead", "AuditEvent", "Case", "CaseTransition", "ClockPause",
    "ConflictDeclaration", "Document", "IdempotencyKey", "InformationQuestion", "InformationRequest", "Notification",
    "Organisation", "ReferenceCounter", "User", "WorkflowVersion",
]
