"""Shared fixtures: one app and one migrated database per run, every test starting from empty tables.

SQLite by default; PostgreSQL when SANDBOX_TEST_DATABASE_URL is set (that database is wiped).
The rate limiter uses Redis when SANDBOX_TEST_REDIS_URL is set, memory otherwise.
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from sandbox import create_app
from sandbox.config import normalise_database_url
from sandbox.extensions import db, limiter

POSTGRES_URL = os.environ.get("SANDBOX_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("SANDBOX_TEST_REDIS_URL")


def reset_postgres(url: str) -> None:
    engine = create_engine(normalise_database_url(url))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if POSTGRES_URL:
        reset_postgres(POSTGRES_URL)
        return normalise_database_url(POSTGRES_URL)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def app_settings(database_url: str, instance_path: Path, **extra: object) -> dict[str, object]:
    settings: dict[str, object] = {
        "DATABASE_URL": database_url,
        "SANDBOX_ENV": "test",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SANDBOX_INSTANCE_PATH": str(instance_path),
    }
    if REDIS_URL:
        settings["REDIS_URL"] = REDIS_URL
    settings.update(extra)
    return settings


class IsolatedClient(FlaskClient):
    """Each request runs as in production: in its own app context, with its own session and `g`.

    Tests hold an app context for their own database work; Flask would otherwise reuse it for every
    request, sharing the signed-in user and the session's identity map between requests and clients.
    What the test wrote is committed first, and what the request wrote is visible to the test after.
    """

    def open(self, *args: object, **kwargs: object):  # type: ignore[override]
        db.session.commit()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    application = create_app(app_settings(database_url, tmp_path_factory.mktemp("instance")))
    application.test_client_class = IsolatedClient
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


def empty_all_tables() -> None:
    """Back to a freshly migrated database: no rows, and the audit chain at its genesis."""
    tables = [t for t in db.metadata.sorted_tables if t.name != "audit_chain_head"]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        # SQLite applies ON DELETE RESTRICT row by row, so first unhook rows that point at their own table
        # (a replaced document's newer version, say).
        for table in tables:
            for key in table.foreign_keys:
                if key.column.table is table:
                    db.session.execute(table.update().values({key.parent.name: None}))
        for table in reversed(tables):
            db.session.execute(table.delete())
    if db.engine.dialect.name != "postgresql":
        for table in ("case_search", "case_search_open"):  # FTS5 takes no foreign keys (PostgreSQL cascades)
            db.session.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - our own table names
    db.session.execute(text("UPDATE audit_chain_head SET last_seq = 0, last_hash = :genesis"), {"genesis": "0" * 64})
    db.session.commit()


def forget_current_workflow_version() -> None:
    from sandbox.workflow import versions

    versions._current.clear()  # the emptied database publishes its default again, perhaps under another id


@pytest.fixture(autouse=True)
def _isolated(app: Flask) -> Iterator[None]:
    with app.app_context():
        limiter.reset()
        yield
        db.session.rollback()
        empty_all_tables()
        forget_current_workflow_version()
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    match = CSRF_PATTERN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path} (status {page.status_code})"
    return match.group(1)


def post_form(client: FlaskClient, path: str, data: dict[str, str], *, form_page: str | None = None,
              **kwargs: object):
    """POST a form the way a browser does: with the CSRF token from the page that shows it."""
    token = csrf_token_from(client, form_page or path)
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)
