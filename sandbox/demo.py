"""Demo data for a newcomer's first run: a regulator's staff and two applicant firms.

Idempotent: running it again creates only what is missing and changes nothing that exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.accounts import operations
from sandbox.accounts.models import Organisation, OrganisationKind
from sandbox.core.permissions import Role

DEMO_PASSWORD = "sandbox-demo-2026"  # noqa: S105 (published in the README; demo data only)


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    role: Role
    job_title: str


@dataclass(frozen=True)
class DemoOrganisation:
    name: str
    kind: OrganisationKind
    registration_number: str | None
    users: tuple[DemoUser, ...]


DEMO_ORGANISATIONS = (
    DemoOrganisation("Sandbox Regulatory Authority", OrganisationKind.REGULATOR, None, (
        DemoUser("lead@regulator.example", "Lena Ho", Role.LEAD, "Head of Innovation Office"),
        DemoUser("officer1@regulator.example", "Omar Chan", Role.CASE_OFFICER, "Case Officer"),
        DemoUser("officer2@regulator.example", "Olivia Wong", Role.CASE_OFFICER, "Case Officer"),
        DemoUser("decider@regulator.example", "Daniel Lau", Role.DECISION_MAKER, "Director, Sandbox Decisions"),
        DemoUser("admin@regulator.example", "Ada Cheung", Role.ADMIN, "Service Administrator"),
    )),
    DemoOrganisation("Aurora Credit Ltd", OrganisationKind.APPLICANT, "HK-2981734", (
        DemoUser("alice@aurora.example", "Alice Tam", Role.APPLICANT, "Chief Compliance Officer"),
        DemoUser("ben@aurora.example", "Ben Yip", Role.APPLICANT, "Head of Data Science"),
    )),
    DemoOrganisation("Beacon Health AI Ltd", OrganisationKind.APPLICANT, "HK-3310265", (
        DemoUser("carla@beacon.example", "Carla Ng", Role.APPLICANT, "General Counsel"),
        DemoUser("dev@beacon.example", "Dev Patel", Role.APPLICANT, "Chief Technology Officer"),
    )),
)


def seed_demo(session: Session) -> list[str]:
    """Create whatever demo organisations and users are missing; returns what was created."""
    created: list[str] = []
    for spec in DEMO_ORGANISATIONS:
        organisation = session.scalars(select(Organisation).where(Organisation.name == spec.name)).one_or_none()
        if organisation is None:
            organisation = operations.create_organisation(
                session, name=spec.name, kind=spec.kind, registration_number=spec.registration_number)
            created.append(f"organisation {spec.name}")
        for user in spec.users:
            if operations.find_user_by_email(session, user.email) is None:
                operations.create_user(session, organisation=organisation, email=user.email, full_name=user.full_name,
                                       role=user.role, password=DEMO_PASSWORD, job_title=user.job_title)
                created.append(f"user {user.email} ({user.role.value})")
    return created
