"""A non-editable install (a wheel) must carry the templates, static files and migrations."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_bundles_templates_static_and_migrations_and_app_finds_them(tmp_path: Path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path / "dist"), str(REPO)], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("sandbox-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    for expected in ("sandbox/_bundled/templates/base.html", "sandbox/_bundled/static/css/sandbox.css",
                     "sandbox/_bundled/migrations/env.py", "sandbox/_bundled/migrations/alembic.ini"):
        assert expected in names, expected
    assert any(n.startswith("sandbox/_bundled/migrations/versions/0001_") for n in names)

    probe = (
        "import sandbox, pathlib; p = sandbox.resource_paths(); "
        "assert '_bundled' in str(p.templates), p; "
        "assert (p.templates / 'base.html').is_file() and (p.static / 'css/sandbox.css').is_file(); "
        "app = sandbox.create_app({'SECRET_KEY': 'x', 'DATABASE_URL': 'sqlite://'}); "
        "print(app.jinja_loader.get_source(app.jinja_env, 'base.html')[1])"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "SANDBOX_INSTANCE_PATH": str(tmp_path / "instance")}
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert str(tmp_path / "site") in result.stdout
