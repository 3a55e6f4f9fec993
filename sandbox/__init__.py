"""Sandbox: a regulatory sandbox service for AI."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader


@dataclass(frozen=True)
class ResourcePaths:
    templates: Path
    static: Path
    migrations: Path


def resource_paths() -> ResourcePaths:
    """Where templates, static files and migrations are: bundled in a wheel, or at the repository's top."""
    package_dir = Path(__file__).resolve().parent
    bundled = package_dir / "_bundled"
    root = bundled if bundled.is_dir() else package_dir.parent
    return ResourcePaths(templates=root / "templates", static=root / "static", migrations=root / "migrations")


def create_app(config_overrides: dict[str, object] | None = None) -> Flask:
    """Make the app: read settings, wire extensions, blueprints, error handlers and CLI. No database I/O."""
    from sandbox import all_models, cli, extensions, web  # noqa: F401 (all_models registers the schema)
    from sandbox.config import load_settings
    from sandbox.core.db import configure_engine

    paths = resource_paths()
    app = Flask(
        __name__,
        static_folder=str(paths.static),
        template_folder=None,
        instance_path=str((config_overrides or {}).get("SANDBOX_INSTANCE_PATH") or "")
        or os.environ.get("SANDBOX_INSTANCE_PATH") or None,
    )
    app.config.update(load_settings(app.instance_path, config_overrides).flask_config())
    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(str(paths.templates)),
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])

    extensions.db.init_app(app)
    with app.app_context():
        configure_engine(extensions.db.engine)
    extensions.migrate.init_app(app, extensions.db, directory=str(paths.migrations), render_as_batch=True)
    extensions.csrf.init_app(app)
    extensions.babel.init_app(app)
    extensions.limiter.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    return app
