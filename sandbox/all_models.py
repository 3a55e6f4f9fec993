"""Imports every feature's models, so the metadata (and so Alembic and the drift test) sees the whole schema."""

from sandbox.accounts.conflicts import ConflictDeclaration
from sandbox.accounts.models import Organisation, User
from sandbox.applications.models import ApplicationDraft, ApplicationRevision, Document, Notification
from sandbox.cases.models import Case, CaseTransition, ClockPause, IdempotencyKey, ReferenceCounter
from sandbox.checklists.models import (
    CaseChecklist,
    CaseItem,
    ChecklistTemplate,
    EvidenceLink,
    RatingEntry,
    TemplateItem,
)
from sandbox.core.audit import AuditChainHead, AuditEvent
from sandbox.decisions.letters import Letter, LetterBatch, LetterCounter
from sandbox.decisions.models import Decision
from sandbox.notifications.models import OutboxEmail
from sandbox.reviews.models import (
    CaseAssignment,
    CaseMessage,
    CaseNote,
    EligibilityScore,
    InformationQuestion,
    InformationRequest,
    Recommendation,
    Recusal,
    SavedView,
)
from sandbox.workflow.models import WorkflowVersion

__all__ = [
    "ApplicationDraft",
    "ApplicationRevision",
    "AuditChainHead",
    "AuditEvent",
    "Case",
    "CaseAssignment",
    "CaseChecklist",
    "CaseItem",
    "CaseMessage",
    "CaseNote",
    "CaseTransition",
    "ChecklistTemplate",
    "ClockPause",
    "ConflictDeclaration",
    "Decision",
    "Document",
    "EligibilityScore",
    "EvidenceLink",
    "IdempotencyKey",
    "InformationQuestion",
    "InformationRequest",
    "Letter",
    "LetterBatch",
    "LetterCounter",
    "Notification",
    "Organisation",
    "OutboxEmail",
    "RatingEntry",
    "Recommendation",
    "Recusal",
    "ReferenceCounter",
    "SavedView",
    "TemplateItem",
    "User",
    "WorkflowVersion",
]
