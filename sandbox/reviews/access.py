"""Loading a case for regulator staff: drafts are the firm's own, and a conflicted person cannot see the case."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from sandbox.accounts.conflicts import has_conflict
from sandbox.accounts.models import User
from sandbox.cases.models import Case
from sandbox.core.errors import NotFound

NOT_YET_SENT = frozenset({"draft", "discarded"})


def case_for_staff(session: Session, user: User, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None or case.state in NOT_YET_SENT or has_conflict(session, user.id, case.organisation_id):
        raise NotFound(_("Page not found"))
    return case
