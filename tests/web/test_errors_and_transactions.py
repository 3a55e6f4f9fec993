from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Blueprint, Flask, abort
from flask.testing import FlaskClient
from sqlalchemy import select

from sandbox import create_app
from sandbox.accounts.models import Organisation, OrganisationKind
from sandbox.accounts.operations import create_organisation
from sandbox.core.permissions import public
from sandbox.extensions import db
from tests.conftest import IsolatedClient, app_settings


@pytest.fixture(scope="module")
def troubled_app(database_url: str, app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The real app plus routes that write and then fail in the ways a real request can."""
    extra = Blueprint("trouble", __name__)

    @extra.post("/trouble/write-then-crash")
    @public
    def write_then_crash() -> str:
        create_organisation(db.session, name="Half-written Ltd", kind=OrganisationKind.APPLICANT)
        raise RuntimeError("secret internal detail")

    @extra.post("/trouble/write-then-refuse")
    @public
    def write_then_refuse() -> str:
        create_organisation(db.session, name="Refused Ltd", kind=OrganisationKind.APPLICANT)
        abort(409)

    @extra.post("/trouble/write-then-violate")
    @public
    def write_then_violate() -> str:
        create_organisation(db.session, name="First Ltd", kind=OrganisationKind.APPLICANT)
        db.session.add(Organisation(name="Bad Kind Ltd", kind="pirate"))  # breaks a CHECK constraint at commit
        return "ok"

    troubled = create_app(app_settings(database_url, tmp_path_factory.mktemp("troubled")))
    troubled.config["WTF_CSRF_ENABLED"] = False
    troubled.test_client_class = IsolatedClient
    troubled.register_blueprint(extra)
    yield troubled
    with troubled.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("path", ["/trouble/write-then-crash", "/trouble/write-then-refuse",
                                  "/trouble/write-then-violate"])
def test_failed_request_rolls_back_everything_it_wrote(troubled_app: Flask, path: str):
    response = troubled_app.test_client().post(path)
    assert response.status_code in (409, 500)
    assert db.session.scalars(select(Organisation)).all() == []


def test_500_page_shows_no_stack_trace(troubled_app: Flask):
    response = troubled_app.test_client().post("/trouble/write-then-crash")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in body
    assert "Traceback" not in body and "secret internal detail" not in body


def test_unknown_route_gets_a_404_page(client: FlaskClient):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_wrong_method_gets_405(client: FlaskClient):
    assert client.delete("/sign-in").status_code == 405


def test_request_over_size_limit_gets_413_with_message(app: Flask, client: FlaskClient):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/sign-in", data=b"x" * (limit + 1), content_type="application/octet-stream")
    assert response.status_code == 413
    assert "Files can be up to 25 MB" in response.get_data(as_text=True)


def test_healthz_reports_database_status(client: FlaskClient):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok" and response.json["database"] == "ok"


def test_json_callers_get_json_errors(client: FlaskClient):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["error"]["status"] == 404


def test_pages_carry_security_headers(client: FlaskClient):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_templates_and_static_files_are_found(client: FlaskClient):
    for path in ("/static/css/sandbox.css", "/static/js/govuk-frontend.min.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()
    page = client.get("/").get_data(as_text=True)
    assert "Skip to main content" in page and 'href="#main-content"' in page


def test_resource_paths_point_at_top_level_folders():
    from sandbox import resource_paths

    paths = resource_paths()
    assert Path(paths.templates, "base.html").is_file()
    assert Path(paths.migrations, "env.py").is_file()
