"""Loading a case for the person asking: another organisation's case does not exist for them."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from sandbox.accounts.models import User
from sandbox.cases.models import Case
from sandbox.core.errors import NotFound

HIDDEN_FROM_APPLICANTS = frozenset({"discarded"})


def case_for_applicant(session: Session, user: User, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None or case.organisation_id != user.organisation_id or case.state in HIDDEN_FROM_APPLICANTS:
        raise NotFound(_("Page not found"))
    return case
