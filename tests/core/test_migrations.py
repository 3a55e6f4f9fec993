from __future__ import annotations

import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import inspect

from sandbox import resource_paths
from sandbox.extensions import db


def ignore_hand_made_tables(name, type_, _parent_names) -> bool:
    # The full-text index differs by database and is made by the migration itself (0005).
    return not (type_ == "table" and name is not None and name.startswith("case_search"))


def test_models_and_migrations_do_not_drift(app: Flask):
    # The session's database was made by `upgrade head` alone (see conftest).
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                              "include_name": ignore_hand_made_tables})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], f"models and migrations differ: {differences}"


def test_upgrade_head_creates_every_table(app: Flask):
    tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in db.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables


def test_migration_history_is_linear_and_numbered(app: Flask):
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    assert len(script.get_heads()) == 1
    revisions = list(script.walk_revisions())
    numbers = sorted(int(r.revision) for r in revisions)
    assert numbers == list(range(1, len(revisions) + 1))
    for path in Path(resource_paths().migrations, "versions").glob("*.py"):
        assert re.fullmatch(r"\d{4}_[a-z0-9_]+\.py", path.name), path.name
