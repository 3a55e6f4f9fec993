"""Checklist templates as data: loaded from a TOML file (checked), published as numbered versions, edited as
drafts by administrators and published again.

A published version never changes. The version in force for a template code is its latest published one;
the bundled default (templates/default.toml beside this module) is published on first use.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from sandbox.accounts.models import User
from sandbox.checklists.models import (
    ITEM_FIELD_NAMES,
    ChecklistTemplate,
    EvidenceRequired,
    TemplateItem,
    TemplateStatus,
)
from sandbox.core.audit import record_event
from sandbox.core.db import utcnow
from sandbox.core.errors import Conflict, DomainError, NotFound

DEFAULT_TEMPLATE = Path(__file__).parent / "templates" / "default.toml"
DEFAULT_CODE = "sandbox-ai-supervised-testing"
TEXT_LIMITS = {"code": 30, "title": 200, "section_code": 60, "section_title": 200}


class TemplateFileError(DomainError):
    """A template file that cannot be published; `problems` lists every one found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_template(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(header, items) of a template file's data, or TemplateFileError listing every problem found."""
    problems: list[str] = []
    regimes = raw.get("regimes")
    if not isinstance(regimes, dict) or not regimes:
        problems.append("[regimes] must name at least one regime")
        regimes = {}
    header = {"code": raw.get("code"), "name": raw.get("name"), "version_label": raw.get("version_label"),
              "description": raw.get("description", ""), "regimes": regimes}
    problems += [f"'{key}' is missing" for key in ("code", "name", "version_label") if not header[key]]
    items: list[dict[str, Any]] = []
    for section_position, section in enumerate(raw.get("sections") or [], start=1):
        for position, item in enumerate(section.get("items") or [], start=1):
            items.append({"section_code": section.get("code"), "section_title": section.get("title"),
                          "section_position": section_position, "position": position, **item})
    if not items:
        problems.append("the template has no items")
    seen: set[str] = set()
    for item in items:
        problems += item_problems(item, regimes)
        if item.get("code") in seen:
            problems.append(f"item code {item.get('code')} is used twice")
        seen.add(item.get("code"))
    if problems:
        raise TemplateFileError(problems)
    return header, [{name: item[name] for name in ITEM_FIELD_NAMES} for item in items]


def item_problems(item: Mapping[str, Any], regimes: Mapping[str, str]) -> list[str]:
    """What is wrong with one item (in words an administrator can act on); empty when it is fine."""
    label = item.get("code") or "an item"
    problems = [f"{label}: '{name}' is missing" for name in ("code", "title", "outcome", "process", "evidence",
                                                            "section_code", "section_title") if not item.get(name)]
    problems += [f"{label}: '{name}' is longer than {limit} characters" for name, limit in TEXT_LIMITS.items()
                 if len(str(item.get(name) or "")) > limit]
    if not isinstance(item.get("mandatory"), bool):
        problems.append(f"{label}: 'mandatory' must be true or false")
    if item.get("evidence_required") not in {kind.value for kind in EvidenceRequired}:
        problems.append(f"{label}: 'evidence_required' must be document, note or both")
    provisions = item.get("provisions")
    if not isinstance(provisions, list) or not provisions:
        problems.append(f"{label}: cite at least one provision")
    else:
        for provision in provisions:
            if not isinstance(provision, dict) or not str(provision.get("citation") or "").strip():
                problems.append(f"{label}: each provision needs a regime and a citation")
            elif provision.get("regime") not in regimes:
                problems.append(f"{label}: unknown regime '{provision.get('regime')}'")
    return problems


def load_template_file(path: Path | str) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    """(header, items, sha256 of the file's data) of a template file."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise TemplateFileError([f"cannot read {Path(path).name}: {error}"]) from error
    header, items = parse_template(raw)
    checksum = hashlib.sha256(json.dumps([header, items], sort_keys=True).encode()).hexdigest()
    return header, items, checksum


def publish_file(session: Session, path: Path | str, actor: User | None = None) -> ChecklistTemplate:
    """Publish a file as the next version of its template, unless the latest version came from the same data."""
    header, items, checksum = load_template_file(path)
    latest = latest_published(session, header["code"])
    if latest is not None and latest.source_sha256 == checksum:
        return latest
    template = ChecklistTemplate(code=header["code"], version=_next_version(session, header["code"]),
                                 version_label=header["version_label"], name=header["name"],
                                 description=header["description"], regimes=header["regimes"],
                                 source_sha256=checksum, created_by_id=actor.id if actor else None,
                                 items=[TemplateItem(**item) for item in items])
    session.add(template)
    return _publish(session, template, actor)


def latest_published(session: Session, code: str = DEFAULT_CODE) -> ChecklistTemplate | None:
    return session.scalars(select(ChecklistTemplate).where(
        ChecklistTemplate.code == code, ChecklistTemplate.status == TemplateStatus.PUBLISHED.value)
        .order_by(ChecklistTemplate.version.desc()).limit(1)).one_or_none()


def template_in_force(session: Session, code: str = DEFAULT_CODE) -> ChecklistTemplate:
    """The version new cases get; the bundled default is published on first use. Any other code exists only once
    a file of it is published, so one with no published version is unknown."""
    template = latest_published(session, code)
    if template is None:
        if code != DEFAULT_CODE:
            raise NotFound(_("There is no checklist with the code %(code)s", code=code))
        template = publish_file(session, DEFAULT_TEMPLATE)
    return template


def start_draft(session: Session, code: str, actor: User) -> ChecklistTemplate:
    """A draft of the next version, copied from the version in force (or the existing draft, if there is one);
    NotFound for an unknown code."""
    existing = session.scalars(select(ChecklistTemplate).where(
        ChecklistTemplate.code == code, ChecklistTemplate.status == TemplateStatus.DRAFT.value)).one_or_none()
    if existing is not None:
        return existing
    base = template_in_force(session, code)
    draft = ChecklistTemplate(code=code, version=_next_version(session, code), version_label=base.version_label,
                              name=base.name, description=base.description, regimes=dict(base.regimes),
                              created_by_id=actor.id,
                              items=[TemplateItem(**{name: getattr(item, name) for name in ITEM_FIELD_NAMES})
                                     for item in base.items])
    session.add(draft)
    session.flush()
    record_event(session, actor_id=actor.id, action="checklist_template.draft_started",
                 object_type="checklist_template", object_id=draft.id,
                 details={"code": code, "version": draft.version, "from_version": base.version})
    return draft


def save_draft_item(session: Session, draft: ChecklistTemplate, values: Mapping[str, Any], actor: User, *,
                    item: TemplateItem | None, expected_version: int) -> TemplateItem:
    """Add (item None) or change one item of a draft; `values` are already checked by the item schema."""
    _check_editable(draft, expected_version)
    problems = item_problems(values, draft.regimes)
    clash = next((other for other in draft.items if other.code == values["code"] and other is not item), None)
    if clash is not None:
        problems.append(_("Another item already has the code %(code)s.", code=values["code"]))
    if problems:
        raise DomainError(" ".join(problems))
    if item is None:
        item = TemplateItem(**values, **_placement(draft, values["section_code"]))
        draft.items.append(item)
    else:
        if item.section_code != values["section_code"]:  # moved: last in its new section
            values = {**values, **_placement(draft, values["section_code"])}
        for name, value in values.items():
            setattr(item, name, value)
    _touch(draft)
    _flush_draft(session)
    record_event(session, actor_id=actor.id, action="checklist_template.item_saved",
                 object_type="checklist_template", object_id=draft.id, details={"code": item.code})
    return item


def remove_draft_item(session: Session, draft: ChecklistTemplate, item: TemplateItem, actor: User, *,
                      expected_version: int) -> None:
    _check_editable(draft, expected_version)
    draft.items.remove(item)
    _touch(draft)
    _flush_draft(session)
    record_event(session, actor_id=actor.id, action="checklist_template.item_removed",
                 object_type="checklist_template", object_id=draft.id, details={"code": item.code})


def publish_draft(session: Session, draft: ChecklistTemplate, actor: User, *, version_label: str,
                  expected_version: int) -> ChecklistTemplate:
    _check_editable(draft, expected_version)
    if not version_label.strip():
        raise DomainError(_("Give the version a label, for example 2027.1."))
    if not draft.items:
        raise DomainError(_("A checklist needs at least one item."))
    draft.version_label = version_label.strip()[:40]
    return _publish(session, draft, actor)


def _publish(session: Session, template: ChecklistTemplate, actor: User | None) -> ChecklistTemplate:
    template.status, template.published_at = TemplateStatus.PUBLISHED.value, utcnow()
    template.published_by_id = actor.id if actor else None
    _flush_draft(session)
    record_event(session, actor_id=actor.id if actor else None, action="checklist_template.published",
                 object_type="checklist_template", object_id=template.id,
                 details={"code": template.code, "version": template.version, "label": template.version_label,
                          "items": len(template.items)})
    return template


def _check_editable(draft: ChecklistTemplate, expected_version: int) -> None:
    if draft.is_published:
        raise Conflict(_("This version is published and can no longer change. Start a new draft."))
    if draft.edit_version != expected_version:
        raise Conflict(_stale_draft_message())


def _stale_draft_message() -> str:
    return _("Someone changed this draft since you opened it. Reload the page and try again.")


def _flush_draft(session: Session) -> None:
    """A change that lost the race to another administrator's (the draft's lock version moved under it)."""
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(_stale_draft_message()) from None


def _touch(draft: ChecklistTemplate) -> None:
    """Changing an item changes the draft: an UPDATE of its row moves its lock version (edit_version), so an
    administrator working from an older page is refused."""
    flag_modified(draft, "regimes")


def _placement(draft: ChecklistTemplate, section_code: str) -> dict[str, int]:
    in_section = [item for item in draft.items if item.section_code == section_code]
    if in_section:
        return {"section_position": in_section[0].section_position,
                "position": max(item.position for item in in_section) + 1}
    return {"section_position": max((item.section_position for item in draft.items), default=0) + 1, "position": 1}


def _next_version(session: Session, code: str) -> int:
    latest = session.scalar(select(ChecklistTemplate.version).where(ChecklistTemplate.code == code)
                            .order_by(ChecklistTemplate.version.desc()).limit(1))
    return (latest or 0) + 1
