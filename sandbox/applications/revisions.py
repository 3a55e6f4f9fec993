"""What changed between two revisions of an application, field by field, in the words of the form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.applications.models import ApplicationRevision
from sandbox.applications.sections import SECTIONS


@dataclass(frozen=True)
class FieldChange:
    section_title: str
    field_label: str
    before: Any
    after: Any


def revision_changes(older: ApplicationRevision, newer: ApplicationRevision) -> list[FieldChange]:
    changes = []
    for section in SECTIONS:
        before, after = older.answers.get(section.key, {}), newer.answers.get(section.key, {})
        for spec in section.fields:
            if _blank_to_none(before.get(spec.name)) != _blank_to_none(after.get(spec.name)):
                changes.append(FieldChange(section.title, spec.label, before.get(spec.name), after.get(spec.name)))
    return changes


def _blank_to_none(value: Any) -> Any:
    return None if value in ("", []) else value
