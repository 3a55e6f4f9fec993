"""Settings, read from the environment once when the app is made.

Every variable is documented in README.md ("Configuration"); keep the two in step.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sandbox import resource_paths

ENVIRONMENTS = ("development", "test", "production")
MAIL_BACKENDS = ("console", "file", "smtp")
JOB_RUNNERS = ("inprocess", "rq")
DEFAULT_MAIL_FROM = "no-reply@sandbox.invalid"
DEFAULT_REGULATOR_ADDRESS = "1 Example Square|Example City"
DEFAULT_REGULATOR_LOGO = "img/regulator-logo.svg"
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:5000"
# A path under static/ (letters fetch only their own static files): no URL, no "..", no leading slash.
STATIC_FILE_PATH = re.compile(r"^(?!.*\.\.)[A-Za-z0-9_-][A-Za-z0-9_./-]*\.(svg|png|jpg)$")


class ConfigError(RuntimeError):
    """The environment does not describe a service that can start."""


@dataclass(frozen=True)
class Settings:
    environment: str
    database_url: str
    secret_key: str
    redis_url: str | None
    max_upload_mb: int
    regulator_name: str
    storage_path: str
    mail_backend: str
    mail_from: str
    mail_file_path: str
    smtp_url: str | None
    jobs: str
    regulator_address: tuple[str, ...]
    regulator_logo: str
    regulator_website: str
    signatory_name: str
    signatory_title: str
    public_base_url: str

    def flask_config(self) -> dict[str, object]:
        is_production = self.environment == "production"
        return {
            "SECRET_KEY": self.secret_key,
            "SANDBOX_ENV": self.environment,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options(self.database_url),
            "SQLALCHEMY_TRACK_MODIFICATIONS": False,
            "REDIS_URL": self.redis_url,
            "RATELIMIT_STORAGE_URI": self.redis_url or "memory://",
            "RATELIMIT_HEADERS_ENABLED": True,
            "MAX_CONTENT_LENGTH": self.max_upload_mb * 1024 * 1024,
            "SANDBOX_MAX_UPLOAD_MB": self.max_upload_mb,
            "SANDBOX_STORAGE_PATH": self.storage_path,
            "SANDBOX_REGULATOR_NAME": self.regulator_name,
            "SANDBOX_REGULATOR_ADDRESS": list(self.regulator_address),
            "SANDBOX_REGULATOR_LOGO": self.regulator_logo,
            "SANDBOX_REGULATOR_WEBSITE": self.regulator_website,
            "SANDBOX_SIGNATORY_NAME": self.signatory_name,
            "SANDBOX_SIGNATORY_TITLE": self.signatory_title,
            "SANDBOX_PUBLIC_BASE_URL": self.public_base_url,
            "SANDBOX_MAIL_BACKEND": self.mail_backend,
            "SANDBOX_MAIL_FROM": self.mail_from,
            "SANDBOX_MAIL_FILE_PATH": self.mail_file_path,
            "SANDBOX_SMTP_URL": self.smtp_url,
            "SANDBOX_JOBS": self.jobs,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": is_production,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": is_production,
            "PREFERRED_URL_SCHEME": "https" if is_production else "http",
            "WTF_CSRF_TIME_LIMIT": 8 * 3600,
            "BABEL_DEFAULT_LOCALE": "en_GB",
            "BABEL_DEFAULT_TIMEZONE": "Asia/Hong_Kong",
        }


def normalise_database_url(url: str) -> str:
    """Point plain PostgreSQL URLs at psycopg 3, the driver this project installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(database_url: str) -> dict[str, object]:
    if database_url.startswith("sqlite"):
        # Seconds a connection waits for the write lock before giving up (SQLite's busy timeout).
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 5}


def load_settings(instance_path: str, overrides: dict[str, object] | None = None) -> Settings:
    env = {**os.environ, **{k: str(v) for k, v in (overrides or {}).items()}}
    environment = env.get("SANDBOX_ENV", "development")
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"SANDBOX_ENV must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}.")
    database_url = normalise_database_url(
        env.get("DATABASE_URL") or f"sqlite:///{Path(instance_path, 'sandbox.db')}"
    )
    redis_url = env.get("REDIS_URL") or None
    mail_backend = _choice(env, "SANDBOX_MAIL_BACKEND", MAIL_BACKENDS)
    smtp_url = env.get("SANDBOX_SMTP_URL") or None
    if mail_backend == "smtp" and smtp_url is None:
        raise ConfigError("SANDBOX_SMTP_URL must be set when SANDBOX_MAIL_BACKEND is smtp "
                          "(smtp://user:password@host:587 or smtps://user:password@host:465).")
    if smtp_url is not None:
        parse_smtp_url(smtp_url)  # refuse a malformed URL at start-up, not at the first e-mail
    jobs = _choice(env, "SANDBOX_JOBS", JOB_RUNNERS)
    if jobs == "rq" and redis_url is None:
        raise ConfigError("SANDBOX_JOBS=rq needs REDIS_URL (the Redis the RQ queue lives in).")
    regulator_name = env.get("SANDBOX_REGULATOR_NAME", "Sandbox Regulatory Authority")
    return Settings(
        environment=environment,
        database_url=database_url,
        secret_key=_secret_key(env, environment, instance_path),
        redis_url=redis_url,
        max_upload_mb=_positive_int(env, "SANDBOX_MAX_UPLOAD_MB", 25),
        regulator_name=regulator_name,
        # Uploaded evidence files; created on first use, not here (see sandbox.applications.documents).
        storage_path=env.get("SANDBOX_STORAGE_PATH") or str(Path(instance_path, "documents")),
        mail_backend=mail_backend,
        mail_from=_mail_from(env),
        # The file backend's folder; created on first e-mail, not here.
        mail_file_path=env.get("SANDBOX_MAIL_FILE_PATH") or str(Path(instance_path, "outbox")),
        smtp_url=smtp_url,
        jobs=jobs,
        regulator_address=_address_lines(env),
        regulator_logo=_static_file(env, "SANDBOX_REGULATOR_LOGO", DEFAULT_REGULATOR_LOGO),
        regulator_website=_short_text(env, "SANDBOX_REGULATOR_WEBSITE"),
        signatory_name=env.get("SANDBOX_SIGNATORY_NAME") or "Head of the AI Sandbox",
        signatory_title=env.get("SANDBOX_SIGNATORY_TITLE") or f"For and on behalf of the {regulator_name}",
        public_base_url=_public_base_url(env),
    )


@dataclass(frozen=True)
class SmtpServer:
    """Where the smtp mail backend connects: implicit TLS for smtps://, STARTTLS (required) for smtp://."""

    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpServer:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError("SANDBOX_SMTP_URL must look like smtp://user:password@host:587 (STARTTLS) "
                          "or smtps://user:password@host:465 (TLS).")
    try:
        port = parts.port
    except ValueError:
        raise ConfigError("SANDBOX_SMTP_URL has a port that is not a number.") from None
    implicit_tls = parts.scheme == "smtps"
    return SmtpServer(host=parts.hostname, port=port or (465 if implicit_tls else 587), implicit_tls=implicit_tls,
                      username=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password is not None else None)


def _secret_key(env: dict[str, str], environment: str, instance_path: str) -> str:
    if env.get("SECRET_KEY"):
        return env["SECRET_KEY"]
    if environment == "production":
        raise ConfigError("SECRET_KEY must be set in production (a long random string, kept secret).")
    # The embedded default keeps a generated key beside its database so sessions survive restarts.
    key_file = Path(instance_path, "secret_key")
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _choice(env: dict[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = env.get(name) or choices[0]
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


def _mail_from(env: dict[str, str]) -> str:
    value = env.get("SANDBOX_MAIL_FROM") or DEFAULT_MAIL_FROM
    _name, address = parseaddr(value)
    if "@" not in address:
        raise ConfigError(f"SANDBOX_MAIL_FROM must be an e-mail address (optionally 'Name <address>'), not {value!r}.")
    return value


def _positive_int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from None
    if value <= 0:
        raise ConfigError(f"{name} must be greater than zero.")
    return value


def _address_lines(env: dict[str, str]) -> tuple[str, ...]:
    """The letterhead's address: lines separated by "|" (easy in an environment file) or by newlines."""
    raw = env.get("SANDBOX_REGULATOR_ADDRESS") or DEFAULT_REGULATOR_ADDRESS
    lines = tuple(line.strip() for line in re.split(r"[|\n]", raw) if line.strip())
    if not lines:
        raise ConfigError("SANDBOX_REGULATOR_ADDRESS must have at least one line (separate lines with '|').")
    if len(lines) > 8 or any(len(line) > 120 for line in lines):
        raise ConfigError("SANDBOX_REGULATOR_ADDRESS must fit a letterhead: at most 8 lines of 120 characters.")
    return lines


def _short_text(env: dict[str, str], name: str) -> str:
    """An optional line of the letterhead (empty when unset): one line, short enough to print."""
    value = (env.get(name) or "").strip()
    if len(value) > 120 or "\n" in value:
        raise ConfigError(f"{name} must be one line of at most 120 characters.")
    return value


def _static_file(env: dict[str, str], name: str, default: str) -> str:
    """A file under static/ that letters show; checked now so a typo fails at start-up, not at the first letter."""
    value = env.get(name) or default
    if not STATIC_FILE_PATH.match(value):
        raise ConfigError(f"{name} must be a path under static/ ending in .svg, .png or .jpg, "
                          f"like {default}, not {value!r}.")
    if not (resource_paths().static / value).is_file():
        raise ConfigError(f"{name}: there is no file static/{value}.")
    return value


def _public_base_url(env: dict[str, str]) -> str:
    """Where the public verification page is reached, printed on every letter: so an absolute http(s) URL."""
    value = (env.get("SANDBOX_PUBLIC_BASE_URL") or DEFAULT_PUBLIC_BASE_URL).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError("SANDBOX_PUBLIC_BASE_URL must be the service's public address, like "
                          f"https://sandbox.example.org, not {value!r}.")
    return value
