from __future__ import annotations

import pytest

from sandbox.accounts.models import Organisation, OrganisationKind, User
from sandbox.core.permissions import Role
from tests.factories import make_organisation, make_user


@pytest.fixture
def firm() -> Organisation:
    return make_organisation(OrganisationKind.APPLICANT, name="Aurora Credit Ltd")


@pytest.fixture
def applicant(firm: Organisation) -> User:
    return make_user(Role.APPLICANT, firm)
