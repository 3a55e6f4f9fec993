"""Who may use what: the roles, and the access rule every route must declare.

Routes declare their rule with one of the decorators below; the web layer enforces the rules before
any view runs and refuses a route that declares none (deny by default). A test walks the URL map so a
new route without a rule fails the build.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask_babel import lazy_gettext as _l

F = TypeVar("F", bound=Callable[..., object])


class Role(enum.StrEnum):
    APPLICANT = "applicant"
    CASE_OFFICER = "case_officer"
    DECISION_MAKER = "decision_maker"
    LEAD = "lead"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])

    @property
    def is_staff(self) -> bool:
        return self is not Role.APPLICANT


ROLE_LABELS = {
    Role.APPLICANT: _l("Applicant"),
    Role.CASE_OFFICER: _l("Case officer"),
    Role.DECISION_MAKER: _l("Decision maker"),
    Role.LEAD: _l("Team lead"),
    Role.ADMIN: _l("Administrator"),
}

STAFF_ROLES = frozenset(role for role in Role if role.is_staff)


@dataclass(frozen=True)
class AccessRule:
    """Public routes need nothing; others need a signed-in user holding one of `roles`."""

    is_public: bool
    roles: frozenset[Role]

    def allows(self, role: Role | None) -> bool:
        if self.is_public:
            return True
        return role is not None and role in self.roles

    def describe(self) -> str:
        if self.is_public:
            return "public"
        return ", ".join(sorted(role.value for role in self.roles))


ACCESS_ATTRIBUTE = "sandbox_access_rule"


def _declare(rule: AccessRule) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        setattr(view, ACCESS_ATTRIBUTE, rule)
        return view

    return decorate


def public(view: F) -> F:
    """Anyone, signed in or not."""
    return _declare(AccessRule(is_public=True, roles=frozenset()))(view)


def signed_in(view: F) -> F:
    """Any signed-in user, whatever their role."""
    return _declare(AccessRule(is_public=False, roles=frozenset(Role)))(view)


def roles(*allowed: Role) -> Callable[[F], F]:
    """Signed-in users holding one of these roles."""
    if not allowed:
        raise ValueError("roles() needs at least one role; use public or signed_in otherwise")
    return _declare(AccessRule(is_public=False, roles=frozenset(allowed)))


def staff(view: F) -> F:
    """Any signed-in member of the regulator's staff."""
    return _declare(AccessRule(is_public=False, roles=STAFF_ROLES))(view)


def access_rule_of(view: Callable[..., object] | None) -> AccessRule | None:
    return getattr(view, ACCESS_ATTRIBUTE, None)
