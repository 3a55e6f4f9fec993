"""Test data with sensible defaults; override only what a test is about."""

from __future__ import annotations

import itertools
from functools import cache

from flask import Flask
from flask.testing import FlaskClient

from sandbox.accounts.models import Organisation, OrganisationKind, User
from sandbox.accounts.passwords import hash_password
from sandbox.checklists.case_checklist import missing_mandatory
from sandbox.checklists.operations import rate_item
from sandbox.core.permissions import Role
from sandbox.extensions import db

DEFAULT_PASSWORD = "correct horse battery"
_counter = itertools.count(1)


@cache
def default_password_hash() -> str:
    # argon2id is deliberately slow; hash the shared test password once per run.
    return hash_password(DEFAULT_PASSWORD)


def make_organisation(kind: OrganisationKind = OrganisationKind.APPLICANT, **overrides: object) -> Organisation:
    n = next(_counter)
    values: dict[str, object] = {"name": f"Organisation {n}", "kind": kind.value}
    values.update(overrides)
    organisation = Organisation(**values)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def make_user(role: Role = Role.APPLICANT, organisation: Organisation | None = None, **overrides: object) -> User:
    n = next(_counter)
    if organisation is None:
        organisation = make_organisation(OrganisationKind.REGULATOR if role.is_staff else OrganisationKind.APPLICANT)
    values: dict[str, object] = {
        "email": f"user{n}@firm.example",
        "full_name": f"Test User {n}",
        "role": role.value,
        "password_hash": default_password_hash(),
        "organisation": organisation,
    }
    values.update(overrides)
    user = User(**values)
    db.session.add(user)
    db.session.flush()
    return user


def sign_in(client: FlaskClient, user: User, password: str = DEFAULT_PASSWORD):
    from tests.conftest import post_form

    db.session.commit()  # the client's requests run in their own sessions
    response = post_form(client, "/sign-in", {"email": user.email, "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response


def signed_in(app: Flask, user: User, password: str = DEFAULT_PASSWORD) -> FlaskClient:
    """A new client of its own, signed in as `user` (several actors side by side each need one)."""
    client = app.test_client()
    sign_in(client, user, password)
    return client


def pick_up(case, officer) -> None:
    """The officer takes the sent case on (declaring no conflict), which starts triage; committed."""
    from sandbox.reviews.assignments import assign
    from sandbox.reviews.models import AssignmentRole

    assign(db.session, case, officer, AssignmentRole.CASE_OFFICER, officer, expected_version=case.version,
           declares_no_conflict=True)
    db.session.commit()


def assign_decider(case, decider, lead) -> None:
    """A lead makes `decider` the case's decision maker, who then declares no conflict; committed."""
    from sandbox.reviews.assignments import assign, declare_no_conflict
    from sandbox.reviews.models import AssignmentRole

    assign(db.session, case, decider, AssignmentRole.DECISION_MAKER, lead, expected_version=case.version)
    declare_no_conflict(db.session, case, decider)
    db.session.commit()


def rate_mandatory_items(case, officer, rating: str = "met") -> None:
    """The officer rates every mandatory checklist item (a decision waits for them); flushes, the caller commits."""
    for item in missing_mandatory(db.session, case.id):
        rate_item(db.session, case, item, officer, rating, "" if rating == "met" else "Checked.",
                  expected_version=item.version)
