"""The header navigation: what each role sees. Features add their entries here."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for
from flask_babel import lazy_gettext as _l

from sandbox.core.permissions import STAFF_ROLES, Role


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    text: object  # a lazy string, rendered in the request's locale
    roles: frozenset[Role]


ALL_ROLES = frozenset(Role)

NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("home.index", _l("Home"), ALL_ROLES),
    NavItem("portal.dashboard", _l("Your applications"), frozenset({Role.APPLICANT})),
    NavItem("queue.index", _l("Review queue"), frozenset(STAFF_ROLES)),
    NavItem("letters.register", _l("Letters"), frozenset(STAFF_ROLES)),
    NavItem("dashboard.show", _l("Dashboard"), frozenset({Role.LEAD, Role.DECISION_MAKER, Role.ADMIN})),
    NavItem("workflow.show", _l("Workflow"), frozenset(STAFF_ROLES)),
    NavItem("admin.checklists", _l("Checklists"), frozenset({Role.ADMIN})),
    NavItem("auth.change_password", _l("Your account"), ALL_ROLES),
)


def navigation_for(user: object) -> list[dict[str, object]]:
    """Items for the GOV.UK service navigation component; none for a signed-out visitor."""
    if not getattr(user, "is_authenticated", False):
        return []
    role = user.role_enum  # type: ignore[attr-defined]
    return [
        {"href": url_for(item.endpoint), "text": str(item.text), "active": request.endpoint == item.endpoint}
        for item in NAV_ITEMS
        if role in item.roles
    ]
