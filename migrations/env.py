"""Alembic environment: runs against the app's own engine and metadata (through Flask-Migrate)."""

from __future__ import annotations

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
log = logging.getLogger("alembic.env")


def target_metadata():
    return current_app.extensions["migrate"].db.metadata


def next_revision_id() -> str:
    """Revisions are numbered 0001, 0002, … so the files read in order (versions/NNNN_slug.py)."""
    script = context.script
    heads = [rev for rev in script.get_revisions("heads") if rev is not None]
    numbers = [int(rev.revision) for rev in script.walk_revisions() if rev.revision.isdigit()]
    if len(heads) > 1:
        raise RuntimeError("migrations have branched; merge them so the history stays linear")
    return f"{max(numbers, default=0) + 1:04d}"


def process_revision_directives(_context, _revision, directives) -> None:
    script = directives[0]
    if getattr(config.cmd_opts, "autogenerate", False) and script.upgrade_ops.is_empty():
        directives[:] = []
        log.info("no schema changes detected; no migration written")
        return
    script.rev_id = next_revision_id()


def render_item(type_, obj, autogen_context):
    """Write the project's column types as the plain SQLAlchemy types they store, so migrations never
    import application code that may change after the migration was written."""
    from sandbox.core.db import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# Tables the migrations make by hand because they differ by database (the full-text index: an FTS5 virtual
# table and its shadow tables on SQLite, a tsvector table on PostgreSQL); the models do not describe them.
HAND_MADE_TABLES = ("case_search", "case_search_open")


def include_name(name, type_, _parent_names) -> bool:
    return not (type_ == "table" and name is not None and name.startswith(HAND_MADE_TABLES))


def configure_args() -> dict[str, object]:
    args = dict(current_app.extensions["migrate"].configure_args)
    args.setdefault("process_revision_directives", process_revision_directives)
    args["compare_type"] = True
    args["render_item"] = render_item
    args["compare_server_default"] = True
    args["include_name"] = include_name
    return args


def run_migrations_offline() -> None:
    engine = current_app.extensions["migrate"].db.engine
    context.configure(url=engine.url.render_as_string(hide_password=False), target_metadata=target_metadata(),
                      literal_binds=True, **configure_args())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = current_app.extensions["migrate"].db.engine
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata(), **configure_args())
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
