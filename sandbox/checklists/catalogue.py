"""What the administrators' checklist pages read: every template version with its counts, a version's sections,
and the case an administrator names when moving it to another version; and the grouping by section that the
applicant's pages use too."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import Protocol, TypeVar

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox.accounts.conflicts import has_conflict
from sandbox.accounts.models import User
from sandbox.cases.models import Case
from sandbox.checklists.models import CaseChecklist, ChecklistTemplate, TemplateItem
from sandbox.checklists.templates import DEFAULT_CODE
from sandbox.core.errors import NotFound

UNSENT_STATES = frozenset({"draft", "discarded"})
SECTION_OF = attrgetter("section_code", "section_title")  # a template or case item's (code, title)


class Sectioned(Protocol):
    section_code: str
    section_title: str


T = TypeVar("T")


@dataclass(frozen=True)
class VersionRow:
    template: ChecklistTemplate
    item_count: int
    case_count: int
    published_by: str | None


@dataclass(frozen=True)
class TemplateFamily:
    """One template code: its versions (newest first), the draft being edited if any, and the version in force."""

    code: str
    name: str
    versions: list[VersionRow]

    @property
    def draft(self) -> ChecklistTemplate | None:
        return next((row.template for row in self.versions if not row.template.is_published), None)

    @property
    def in_force(self) -> ChecklistTemplate | None:
        return next((row.template for row in self.versions if row.template.is_published), None)


def template_families(session: Session) -> list[TemplateFamily]:
    """Every template code with its versions; the bundled default is listed even before it is first published."""
    items: dict[int, int] = {template_id: count for template_id, count in session.execute(
        select(TemplateItem.template_id, func.count()).group_by(TemplateItem.template_id))}
    cases: dict[int, int] = {template_id: count for template_id, count in session.execute(
        select(CaseChecklist.template_id, func.count()).group_by(CaseChecklist.template_id))}
    templates = session.scalars(select(ChecklistTemplate).order_by(ChecklistTemplate.code,
                                                                   ChecklistTemplate.version.desc())).all()
    names: dict[int, str] = {user_id: name for user_id, name in session.execute(select(User.id, User.full_name).where(
        User.id.in_({t.published_by_id for t in templates if t.published_by_id})))}
    families: dict[str, list[VersionRow]] = {}
    for template in templates:
        families.setdefault(template.code, []).append(VersionRow(
            template, items.get(template.id, 0), cases.get(template.id, 0), names.get(template.published_by_id or 0)))
    listed = [TemplateFamily(code, rows[0].template.name, rows) for code, rows in families.items()]
    if DEFAULT_CODE not in families:
        listed.insert(0, TemplateFamily(DEFAULT_CODE, DEFAULT_CODE, []))
    return listed


def published_versions(session: Session) -> list[VersionRow]:
    """The versions a case can be moved to, with their counts (so the page does not load each one's items)."""
    return [row for family in template_families(session) for row in family.versions if row.template.is_published]


def sections_of(items: Iterable[Sectioned]) -> dict[str, str]:
    """{section code: title}, in the items' order."""
    sections: dict[str, str] = {}
    for item in items:
        sections.setdefault(item.section_code, item.section_title)
    return sections


def grouped_by_section(items: Iterable[T], section: Callable[[T], tuple[str, str]] = SECTION_OF,
                       ) -> list[tuple[str, str, list[T]]]:
    """[(section code, section title, its items)], in the items' order; `section` reads an item's (code, title)."""
    groups: dict[str, tuple[str, list[T]]] = {}
    for item in items:
        code, title = section(item)
        groups.setdefault(code, (title, []))[1].append(item)
    return [(code, title, members) for code, (title, members) in groups.items()]


def case_for_admin(session: Session, admin: User, reference: str) -> Case:
    """The sent case with this reference; an unknown reference and a case of an organisation the administrator
    declared a conflict with look the same (NotFound), so the form does not reveal the case exists."""
    case = session.scalars(select(Case).where(Case.reference == reference)).one_or_none()
    if case is None or case.state in UNSENT_STATES or has_conflict(session, admin.id, case.organisation_id):
        raise NotFound(_("There is no case with the reference %(reference)s", reference=reference),
                       field="reference")
    return case
