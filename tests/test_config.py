from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.config import ConfigError, load_settings, normalise_database_url


def test_load_settings_defaults_to_sqlite_in_instance_and_keeps_generated_secret(tmp_path: Path,
                                                                                  monkeypatch: pytest.MonkeyPatch):
    for name in ("DATABASE_URL", "SECRET_KEY", "SANDBOX_ENV", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    first = load_settings(str(tmp_path))
    second = load_settings(str(tmp_path))
    assert first.database_url == f"sqlite:///{tmp_path / 'sandbox.db'}"
    assert len(first.secret_key) >= 40 and first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert first.flask_config()["RATELIMIT_STORAGE_URI"] == "memory://"
    assert first.flask_config()["SESSION_COOKIE_SECURE"] is False


def test_load_settings_production_requires_secret_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        load_settings(str(tmp_path), {"SANDBOX_ENV": "production"})


def test_load_settings_production_uses_secure_cookies_and_redis(tmp_path: Path):
    settings = load_settings(str(tmp_path), {"SANDBOX_ENV": "production", "SECRET_KEY": "k" * 50,
                                             "REDIS_URL": "redis://127.0.0.1:6379/0"})
    config = settings.flask_config()
    assert config["SESSION_COOKIE_SECURE"] is True and config["REMEMBER_COOKIE_SECURE"] is True
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


@pytest.mark.parametrize(("overrides", "message"), [
    ({"SANDBOX_ENV": "staging"}, "SANDBOX_ENV must be one of"),
    ({"SANDBOX_MAX_UPLOAD_MB": "lots"}, "whole number"),
    ({"SANDBOX_MAX_UPLOAD_MB": "0"}, "greater than zero"),
])
def test_load_settings_bad_values_are_refused_clearly(tmp_path: Path, overrides: dict, message: str):
    with pytest.raises(ConfigError, match=message):
        load_settings(str(tmp_path), {"SECRET_KEY": "x", **overrides})


@pytest.mark.parametrize(("url", "expected"), [
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:///x.db", "sqlite:///x.db"),
])
def test_normalise_database_url_uses_psycopg3(url: str, expected: str):
    assert normalise_database_url(url) == expected
