"""Staff land on their cases, the declarations waiting for them and their notifications."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from sandbox.accounts.models import OrganisationKind
from sandbox.applications.models import Notification
from sandbox.core.permissions import Role
from sandbox.extensions import db
from sandbox.reviews.assignments import assign
from sandbox.reviews.models import AssignmentRole
from sandbox.workflow.engine import open_case, perform
from tests.conftest import post_form
from tests.factories import make_organisation, make_user, sign_in


def test_staff_home_shows_assignment_notification_and_waiting_declaration(client: FlaskClient):
    regulator = make_organisation(OrganisationKind.REGULATOR)
    firm = make_organisation(name="Aurora Lending Ltd")
    applicant, lead = make_user(Role.APPLICANT, firm), make_user(Role.LEAD, regulator)
    officer = make_user(Role.CASE_OFFICER, regulator)
    case = open_case(db.session, firm, applicant)
    perform(db.session, case, "submit", applicant, expected_version=case.version)
    assign(db.session, case, officer, AssignmentRole.CASE_OFFICER, lead, expected_version=case.version)
    sign_in(client, officer)
    page = client.get("/").get_data(as_text=True)
    assert "1 open case assigned to you" in page
    assert "1 case is waiting for your conflict of interest declaration" in page
    assert f"You have been assigned {case.reference} as case officer" in page and ">New<" in page
    assert post_form(client, "/notifications/read", {}, form_page="/").status_code == 303
    assert db.session.scalars(select(Notification.read_at).where(Notification.user_id == officer.id)).one()
    assert ">New<" not in client.get("/").get_data(as_text=True)


def test_notifications_of_one_member_of_staff_are_not_shown_to_another(client: FlaskClient):
    regulator = make_organisation(OrganisationKind.REGULATOR)
    officer, other = make_user(Role.CASE_OFFICER, regulator), make_user(Role.CASE_OFFICER, regulator)
    db.session.add(Notification(user_id=officer.id, message="Private to the first officer"))
    sign_in(client, other)
    assert "Private to the first officer" not in client.get("/").get_data(as_text=True)
