from __future__ import annotations

from dataclasses import dataclass

import pytest

from sandbox.accounts.models import Organisation, OrganisationKind, User
from sandbox.cases.models import Case
from sandbox.core.permissions import Role
from sandbox.extensions import db
from sandbox.workflow.engine import open_case
from tests.factories import make_organisation, make_user


@dataclass
class Cast:
    firm: Organisation
    other_firm: Organisation
    applicant: User
    other_applicant: User
    officer: User
    officer2: User
    decider: User
    decider2: User
    lead: User
    admin: User


@pytest.fixture
def cast() -> Cast:
    regulator = make_organisation(OrganisationKind.REGULATOR)
    firm, other_firm = make_organisation(), make_organisation()
    return Cast(
        firm=firm, other_firm=other_firm,
        applicant=make_user(Role.APPLICANT, firm), other_applicant=make_user(Role.APPLICANT, other_firm),
        officer=make_user(Role.CASE_OFFICER, regulator), officer2=make_user(Role.CASE_OFFICER, regulator),
        decider=make_user(Role.DECISION_MAKER, regulator), decider2=make_user(Role.DECISION_MAKER, regulator),
        lead=make_user(Role.LEAD, regulator), admin=make_user(Role.ADMIN, regulator),
    )


@pytest.fixture
def draft(cast: Cast) -> Case:
    case = open_case(db.session, cast.firm, cast.applicant)
    db.session.commit()
    return case
