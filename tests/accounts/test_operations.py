from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sandbox.accounts import operations
from sandbox.accounts.models import OrganisationKind, User
from sandbox.core.audit import AuditEvent
from sandbox.core.errors import DomainError
from sandbox.core.permissions import Role
from sandbox.demo import seed_demo
from sandbox.extensions import db
from tests.factories import make_organisation


def test_create_user_staff_role_in_applicant_organisation_is_refused():
    firm = make_organisation(OrganisationKind.APPLICANT)
    with pytest.raises(DomainError, match="Staff roles belong to the regulator"):
        operations.create_user(db.session, organisation=firm, email="x@firm.example", full_name="X",
                               role=Role.CASE_OFFICER, password="long enough password")


def test_create_user_duplicate_email_is_refused_case_insensitively():
    firm = make_organisation()
    operations.create_user(db.session, organisation=firm, email="Same@Firm.example", full_name="A",
                           role=Role.APPLICANT, password="long enough password")
    with pytest.raises(DomainError, match="already exists"):
        operations.create_user(db.session, organisation=firm, email="same@firm.EXAMPLE", full_name="B",
                               role=Role.APPLICANT, password="long enough password")


def test_seed_demo_is_idempotent():
    first = seed_demo(db.session)
    db.session.commit()
    second = seed_demo(db.session)
    people_and_organisations = [line for line in first if not line.startswith("case ")]
    assert len(people_and_organisations) == 12 and second == []
    roles = db.session.scalars(select(User.role)).all()
    assert sorted(set(roles)) == sorted(r.value for r in Role)
    assert roles.count("case_officer") == 2 and roles.count("applicant") == 4
    created = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.in_(
        ("user.created", "organisation.created"))))
    assert created == 12
