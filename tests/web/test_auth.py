from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from sandbox.accounts.models import User
from sandbox.core.audit import AuditEvent
from sandbox.core.permissions import Role
from sandbox.demo import DEMO_ORGANISATIONS, DEMO_PASSWORD, seed_demo
from sandbox.extensions import db
from tests.conftest import post_form
from tests.factories import DEFAULT_PASSWORD, make_user, sign_in


def test_sign_in_each_demo_user_lands_on_their_home_page(app: Flask):
    # Seeded once for all ten users (seeding is most of the time: once per user cost 25 s of the suite).
    seed_demo(db.session)
    db.session.commit()
    for email in [u.email for org in DEMO_ORGANISATIONS for u in org.users]:
        client = app.test_client()
        response = post_form(client, "/sign-in", {"email": email.upper(), "password": DEMO_PASSWORD})
        assert response.status_code == 303, email
        home = client.get(response.headers["Location"]).get_data(as_text=True)
        user = db.session.scalars(select(User).where(User.email == email)).one()
        assert user.full_name in home, email
        assert user.role_enum.label in home, email
        assert ("Regulator workspace" in home) == user.is_staff, email


def test_sign_in_wrong_password_shows_error_and_signs_nobody_in(client: FlaskClient):
    user = make_user()
    db.session.commit()
    response = post_form(client, "/sign-in", {"email": user.email, "password": "wrong password!"})
    assert response.status_code == 401
    assert "The email address or password is not correct" in response.get_data(as_text=True)
    assert client.get("/account/password").status_code == 302


def test_sign_in_unknown_email_gives_the_same_message(client: FlaskClient):
    response = post_form(client, "/sign-in", {"email": "nobody@firm.example", "password": "whatever it is"})
    assert response.status_code == 401
    assert "The email address or password is not correct" in response.get_data(as_text=True)


def test_sign_in_empty_form_rerenders_with_field_errors(client: FlaskClient):
    response = post_form(client, "/sign-in", {"email": "", "password": ""})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Enter your email address" in body and "Enter your password" in body
    assert 'href="#email"' in body  # the error summary links to the field


def test_sign_in_five_wrong_passwords_then_rate_limited_with_clear_message(client: FlaskClient):
    user = make_user()
    db.session.commit()
    for _ in range(5):
        assert post_form(client, "/sign-in", {"email": user.email, "password": "wrong password!"}).status_code == 401
    blocked = post_form(client, "/sign-in", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert blocked.status_code == 429
    assert "too many failed attempts to sign in to this account" in blocked.get_data(as_text=True)


def test_sign_in_successes_do_not_count_towards_the_limit(client: FlaskClient):
    user = make_user()
    for _ in range(6):
        sign_in(client, user)
        post_form(client, "/sign-out", {}, form_page="/")


def test_sign_in_ignores_offsite_next(client: FlaskClient):
    user = make_user()
    db.session.commit()
    token_page = "/sign-in?next=https://evil.example/"
    response = post_form(client, token_page, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.headers["Location"] == "/"


def test_sign_in_follows_local_next(client: FlaskClient):
    user = make_user()
    db.session.commit()
    response = post_form(client, "/sign-in?next=/account/password", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.headers["Location"] == "/account/password"


def test_sign_in_and_out_are_audited(client: FlaskClient):
    user = make_user()
    sign_in(client, user)
    post_form(client, "/sign-out", {}, form_page="/")
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    assert actions == ["user.signed_in", "user.signed_out"]
    assert client.get("/account/password").status_code == 302


def test_change_password_success_rotates_session_token_and_ends_other_sessions(app: Flask, client: FlaskClient):
    user = make_user()
    other_device = app.test_client()
    sign_in(client, user)
    sign_in(other_device, user)
    response = post_form(client, "/account/password", {
        "current_password": DEFAULT_PASSWORD, "new_password": "a much better password", "confirm_password":
        "a much better password"})
    assert response.status_code == 303
    assert client.get("/account/password").status_code == 200  # this session carries on
    assert other_device.get("/account/password").status_code == 302  # the other one is signed out
    post_form(client, "/sign-out", {}, form_page="/")
    sign_in(client, user, password="a much better password")


@pytest.mark.parametrize(("form", "message"), [
    ({"current_password": "not my password", "new_password": "a much better password",
      "confirm_password": "a much better password"}, "Your current password is not correct"),
    ({"current_password": DEFAULT_PASSWORD, "new_password": "short", "confirm_password": "short"},
     "between 12 and 256 characters"),
    ({"current_password": DEFAULT_PASSWORD, "new_password": "a much better password",
      "confirm_password": "a different password"}, "The passwords do not match"),
    ({"current_password": DEFAULT_PASSWORD, "new_password": DEFAULT_PASSWORD, "confirm_password": DEFAULT_PASSWORD},
     "must be different"),
])
def test_change_password_bad_input_rerenders_and_changes_nothing(client: FlaskClient, form: dict, message: str):
    user = make_user()
    sign_in(client, user)
    before = (user.password_hash, user.session_token)
    response = post_form(client, "/account/password", form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.refresh(user)
    assert (user.password_hash, user.session_token) == before
    assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "user.password_changed")).all() == []


def test_deactivated_user_is_signed_out_and_cannot_sign_in(client: FlaskClient):
    user = make_user(role=Role.CASE_OFFICER)
    sign_in(client, user)
    user.is_active = False
    db.session.commit()
    assert client.get("/account/password").status_code == 302
    response = post_form(client, "/sign-in", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 401


def test_session_cookie_is_httponly_and_lax(client: FlaskClient):
    user = make_user()
    response = sign_in(client, user)
    session_cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert len(session_cookies) == 1
    assert "HttpOnly" in session_cookies[0] and "SameSite=Lax" in session_cookies[0]
