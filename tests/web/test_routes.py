"""Every route declares who may use it; requests without a CSRF token are refused."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sandbox.core.permissions import access_rule_of
from sandbox.web.access import PUBLIC_ENDPOINTS
from tests.factories import make_user, sign_in


def test_every_route_declares_an_access_rule(app: Flask):
    missing = [
        rule.rule for rule in app.url_map.iter_rules()
        if rule.endpoint not in PUBLIC_ENDPOINTS and access_rule_of(app.view_functions[rule.endpoint]) is None
    ]
    assert missing == [], f"routes without an access rule: {missing}"


def post_routes(app: Flask) -> list[str]:
    """Every POST URL, with 1 (or "x") standing in for each URL argument."""
    paths = set()
    for rule in app.url_map.iter_rules():
        if "POST" in (rule.methods or set()):
            path = rule.rule
            for argument in rule.arguments:
                path = path.replace(f"<int:{argument}>", "1").replace(f"<{argument}>", "x")
            paths.add(path)
    return sorted(paths)


def test_post_routes_exist(app: Flask):
    routes = post_routes(app)
    assert "/sign-in" in routes and "/applications/1/submit" in routes


def test_every_post_without_csrf_token_is_refused_with_400(app: Flask, client: FlaskClient):
    sign_in(client, make_user())
    for path in post_routes(app):
        response = client.post(path, data={"email": "a@firm.example", "password": "x" * 12})
        assert response.status_code == 400, path
        assert "security token" in response.get_data(as_text=True)


def test_post_without_csrf_token_when_signed_out_changes_nothing(app: Flask, client: FlaskClient):
    # Public forms answer 400; forms behind sign-in send the visitor to sign in (a session that expired
    # mid-form lands here), and back to the form afterwards.
    for path in post_routes(app):
        response = client.post(path, data={"email": "a@firm.example", "password": "x" * 12})
        if path in ("/sign-in", "/verify/"):
            assert response.status_code == 400
        else:
            assert response.status_code == 302, path
            assert response.headers["Location"].startswith("/sign-in?next="), path


def test_signed_in_routes_redirect_anonymous_visitors_to_sign_in(client: FlaskClient):
    response = client.get("/account/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")


@pytest.mark.parametrize("path", ["/", "/sign-in", "/healthz"])
def test_public_routes_answer_anonymous_visitors(client: FlaskClient, path: str):
    assert client.get(path).status_code == 200


def test_navigation_depends_on_signed_in_state(client: FlaskClient):
    assert "Your account" not in client.get("/").get_data(as_text=True)
    sign_in(client, make_user())
    page = client.get("/").get_data(as_text=True)
    assert "Your account" in page and "Sign out" in page
