from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.config import ConfigError, SmtpServer, load_settings, normalise_database_url, parse_smtp_url


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


def test_load_settings_mail_and_jobs_default_to_console_and_in_process(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch):
    for name in ("SANDBOX_MAIL_BACKEND", "SANDBOX_MAIL_FROM", "SANDBOX_MAIL_FILE_PATH", "SANDBOX_SMTP_URL",
                 "SANDBOX_JOBS", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    config = load_settings(str(tmp_path), {"SECRET_KEY": "x"}).flask_config()
    assert config["SANDBOX_MAIL_BACKEND"] == "console" and config["SANDBOX_JOBS"] == "inprocess"
    assert config["SANDBOX_MAIL_FROM"] == "no-reply@sandbox.invalid"
    assert config["SANDBOX_MAIL_FILE_PATH"] == str(tmp_path / "outbox") and config["SANDBOX_SMTP_URL"] is None


def test_load_settings_smtp_and_rq_are_taken_when_complete(tmp_path: Path):
    config = load_settings(str(tmp_path), {
        "SECRET_KEY": "x", "SANDBOX_MAIL_BACKEND": "smtp", "SANDBOX_SMTP_URL": "smtp://mailer:pw@mail.example:2525",
        "SANDBOX_MAIL_FROM": "Sandbox <sandbox@regulator.example>", "SANDBOX_JOBS": "rq",
        "REDIS_URL": "redis://127.0.0.1:6379/0"}).flask_config()
    assert (config["SANDBOX_MAIL_BACKEND"], config["SANDBOX_JOBS"]) == ("smtp", "rq")
    assert config["SANDBOX_SMTP_URL"] == "smtp://mailer:pw@mail.example:2525"
    assert config["SANDBOX_MAIL_FROM"] == "Sandbox <sandbox@regulator.example>"


@pytest.mark.parametrize(("overrides", "message"), [
    ({"SANDBOX_MAIL_BACKEND": "pigeon"}, "SANDBOX_MAIL_BACKEND must be one of console, file, smtp"),
    ({"SANDBOX_MAIL_BACKEND": "smtp"}, "SANDBOX_SMTP_URL must be set"),
    ({"SANDBOX_MAIL_BACKEND": "smtp", "SANDBOX_SMTP_URL": "http://mail.example"}, "must look like smtp://"),
    ({"SANDBOX_SMTP_URL": "smtp://mail.example:port"}, "port that is not a number"),
    ({"SANDBOX_MAIL_FROM": "nobody"}, "SANDBOX_MAIL_FROM must be an e-mail address"),
    ({"SANDBOX_JOBS": "celery"}, "SANDBOX_JOBS must be one of inprocess, rq"),
    ({"SANDBOX_JOBS": "rq", "REDIS_URL": ""}, "SANDBOX_JOBS=rq needs REDIS_URL"),
])
def test_load_settings_bad_mail_or_jobs_settings_are_refused_clearly(tmp_path: Path, overrides: dict, message: str):
    with pytest.raises(ConfigError, match=message):
        load_settings(str(tmp_path), {"SECRET_KEY": "x", **overrides})


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://mail.example", SmtpServer("mail.example", 587, implicit_tls=False, username=None, password=None)),
    ("smtps://mail.example", SmtpServer("mail.example", 465, implicit_tls=True, username=None, password=None)),
    ("smtp://me%40firm:p%2Fw@mail.example:2525",
     SmtpServer("mail.example", 2525, implicit_tls=False, username="me@firm", password="p/w")),
])
def test_parse_smtp_url_reads_tls_mode_port_and_decoded_credentials(url: str, expected: SmtpServer):
    assert parse_smtp_url(url) == expected
