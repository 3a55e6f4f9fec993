"""The regulator's staff, an applicant firm, and cases at each step of review, put in place through the domain
functions (the same code the pages call), so a test starts where it is about."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from sandbox.accounts.conflicts import declare_conflict
from sandbox.accounts.models import Organisation, OrganisationKind, User
from sandbox.applications import operations
from sandbox.applications.sections import SECTIONS
from sandbox.cases.models import Case
from sandbox.core.permissions import Role
from sandbox.extensions import db
from sandbox.reviews import assessment
from sandbox.workflow.engine import perform, regulator_today
from tests.applications.filling import section_answers
from tests.conftest import csrf_token_from
from tests.factories import assign_decider, make_organisation, make_user, pick_up, rate_mandatory_items


@dataclass
class Staff:
    """Everyone a review needs. `officer2` and `decider2` are the "someone else" of four-eyes and reassignment."""

    regulator: Organisation
    firm: Organisation
    applicant: User
    colleague: User
    officer: User
    officer2: User
    decider: User
    decider2: User
    lead: User
    admin: User


@pytest.fixture
def staff() -> Staff:
    regulator = make_organisation(OrganisationKind.REGULATOR, name="Sandbox Regulatory Authority")
    firm = make_organisation(OrganisationKind.APPLICANT, name="Aurora Credit Ltd")
    return Staff(
        regulator=regulator, firm=firm,
        applicant=make_user(Role.APPLICANT, firm, full_name="Alice Tam"),
        colleague=make_user(Role.APPLICANT, firm, full_name="Ben Yip"),
        officer=make_user(Role.CASE_OFFICER, regulator, full_name="Omar Chan"),
        officer2=make_user(Role.CASE_OFFICER, regulator, full_name="Olivia Wong"),
        decider=make_user(Role.DECISION_MAKER, regulator, full_name="Daniel Lau"),
        decider2=make_user(Role.DECISION_MAKER, regulator, full_name="Dora Ma"),
        lead=make_user(Role.LEAD, regulator, full_name="Lena Ho"),
        admin=make_user(Role.ADMIN, regulator, full_name="Ada Cheung"),
    )


def permission_cast(staff: Staff) -> dict[str, User]:
    """Everyone a permission matrix asks about, by name: the staff, an applicant of another firm, and an officer
    who declared a conflict with the case's firm."""
    other_firm = make_organisation(name="Another Firm Ltd")
    conflicted = make_user(Role.CASE_OFFICER, staff.regulator)
    declare_conflict(db.session, conflicted, staff.firm.id, "Former employer")
    people = {"applicant": staff.applicant, "other_applicant": make_user(Role.APPLICANT, other_firm),
              "officer": staff.officer, "officer2": staff.officer2, "conflicted": conflicted,
              "decider": staff.decider, "decider2": staff.decider2, "lead": staff.lead, "admin": staff.admin}
    return people


def submit_application(organisation: Organisation, applicant: User) -> Case:
    """A complete application, submitted (revision 1, reference issued, clock started); committed."""
    case = operations.start_application(db.session, organisation, applicant)
    for section in SECTIONS:
        operations.save_section(db.session, case, section.key, section_answers(section), applicant,
                                based_on_version=0, mark_complete=True)
    operations.submit_application(db.session, case, applicant, {
        "signatory_name": applicant.full_name, "signatory_role": "Director", "attested": True,
        "signed_by_user_id": applicant.id}, expected_version=case.version)
    db.session.commit()
    return case


def start_assessment(case: Case, officer: User) -> None:
    pick_up(case, officer)
    perform(db.session, case, "start_assessment", officer, expected_version=case.version)
    db.session.commit()


def admission_parameters() -> dict:
    today = regulator_today()
    return {"start_on": today + timedelta(days=30), "end_on": today + timedelta(days=210), "max_customers": 500,
            "customer_types": "Retail customers aged 18 or over", "max_exposure": 2_000_000}


def recommend_admission(case: Case, officer: User) -> None:
    """The officer rates the mandatory checklist items (met) and recommends admission."""
    rate_mandatory_items(case, officer)
    assessment.recommend(db.session, case, officer, "admit", "Meets every criterion.",
                         ["Report monthly on complaints", "Keep a human in the loop for declines"],
                         admission_parameters(), expected_version=case.version)
    db.session.commit()


@pytest.fixture
def submitted_case(staff: Staff) -> Case:
    return submit_application(staff.firm, staff.applicant)


@pytest.fixture
def case_in_assessment(staff: Staff, submitted_case: Case) -> Case:
    """Picked up by `staff.officer` (declared) and moved from triage to assessment."""
    start_assessment(submitted_case, staff.officer)
    return submitted_case


@pytest.fixture
def case_pending_decision(staff: Staff, case_in_assessment: Case) -> Case:
    """Recommended for admission by `staff.officer`; `staff.decider` assigned by the lead and declared."""
    recommend_admission(case_in_assessment, staff.officer)
    assign_decider(case_in_assessment, staff.decider, staff.lead)
    return case_in_assessment


VERSION_PATTERN = re.compile(r'name="version" value="(\d+)"')


def post_case_form(client: FlaskClient, path: str, data: dict, *, form_page: str) -> object:
    """POST as the browser does: the CSRF token and the case version the form page showed, unless given."""
    page = client.get(form_page).get_data(as_text=True)
    match = VERSION_PATTERN.search(page)
    values = {"version": match.group(1) if match else "1", **data,
              "csrf_token": csrf_token_from(client, form_page)}
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    if key and "idempotency_key" not in data:
        values["idempotency_key"] = key.group(1)
    return client.post(path, data=values)
