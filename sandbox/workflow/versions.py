"""Publishing workflow definitions as numbered versions, and reading them back."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.accounts.models import User
from sandbox.core.audit import record_event
from sandbox.workflow.definition import (
    DEFAULT_DEFINITION,
    WorkflowDefinition,
    load_definition_file,
    parse_definition,
)
from sandbox.workflow.models import WorkflowVersion
from sandbox.workflow.rules import EFFECTS, GUARDS


def load_file(path: Path | str) -> WorkflowDefinition:
    """Load and validate a definition file; raises WorkflowDefinitionError listing every problem."""
    return load_definition_file(path, GUARDS, EFFECTS)


def publish(session: Session, definition: WorkflowDefinition, actor: User | None = None) -> WorkflowVersion:
    """Store the definition as the next version of its workflow, unless it is the same as the latest."""
    canonical = json.dumps(definition.raw, sort_keys=True, separators=(",", ":"), default=str)
    checksum = hashlib.sha256(canonical.encode()).hexdigest()
    latest = latest_version(session, definition.name)
    if latest is not None and latest.source_sha256 == checksum:
        return latest
    # Stored in the file's own order (states read top to bottom); the checksum uses the sorted form.
    version = WorkflowVersion(name=definition.name, number=(latest.number + 1) if latest else 1,
                              definition=json.loads(json.dumps(definition.raw, default=str)), source_sha256=checksum,
                              published_by_id=actor.id if actor else None)
    session.add(version)
    session.flush()
    record_event(session, actor_id=actor.id if actor else None, action="workflow.published",
                 object_type="workflow_version", object_id=version.id,
                 details={"name": version.name, "number": version.number, "sha256": checksum})
    return version


def latest_version(session: Session, name: str = "default") -> WorkflowVersion | None:
    return session.scalars(select(WorkflowVersion).where(WorkflowVersion.name == name)
                           .order_by(WorkflowVersion.number.desc()).limit(1)).one_or_none()


def current_version(session: Session, name: str = "default") -> WorkflowVersion:
    """The version new cases start under; the bundled default is published on first use."""
    version = latest_version(session, name)
    if version is None:
        version = publish(session, load_file(DEFAULT_DEFINITION))
    return version


# Published versions never change, so (id, checksum) identifies a parsed definition for the process's life.
_parsed: dict[tuple[int, str], WorkflowDefinition] = {}


def definition_of(version: WorkflowVersion) -> WorkflowDefinition:
    key = (version.id, version.source_sha256)
    if key not in _parsed:
        _parsed[key] = parse_definition(version.definition, GUARDS, EFFECTS)
    return _parsed[key]


def definition_for(session: Session, version_id: int, checksum: str) -> WorkflowDefinition:
    """The parsed definition of a version known by id and checksum, reading the row only on a cache miss."""
    parsed = _parsed.get((version_id, checksum))
    return parsed if parsed is not None else definition_of(session.get_one(WorkflowVersion, version_id))


_current: dict[str, tuple[float, int, str]] = {}
CURRENT_VERSION_MAX_AGE_S = 30.0


def current_definition(session: Session, name: str = "default") -> WorkflowDefinition:
    """The definition new cases start under, for labels on busy pages: the version in force is looked up at
    most every CURRENT_VERSION_MAX_AGE_S seconds per process (publishing is rare; labels may lag that long)."""
    remembered = _current.get(name)
    if remembered is not None and time.monotonic() - remembered[0] < CURRENT_VERSION_MAX_AGE_S:
        parsed = _parsed.get((remembered[1], remembered[2]))
        if parsed is not None:
            return parsed
    version = current_version(session, name)
    _current[name] = (time.monotonic(), version.id, version.source_sha256)
    return definition_of(version)
