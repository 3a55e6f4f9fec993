"""Sending the outbox: mail backends (console, file, SMTP) and the delivery loop that claims and sends queued e-mail.

Why hand-written: the standard library's `email` and `smtplib` already speak RFC 5322, STARTTLS and SMTP AUTH;
what is left (pick a backend, claim a row, record the outcome) is a few lines no well-kept library does for us
without bringing a framework (Flask-Mail adds nothing over smtplib and no outbox).
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from sandbox.config import DEFAULT_MAIL_FROM, SmtpServer, parse_smtp_url
from sandbox.core.db import utcnow
from sandbox.notifications.models import DeliveryState, OutboxEmail

log = logging.getLogger("sandbox.mail")

MAX_ATTEMPTS = 5
# The wait after the n-th failed attempt (one per gap between attempts), so a mail server that is down for a few
# minutes does not use up every attempt on the next few requests that happen to queue e-mail.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
SMTP_TIMEOUT_SECONDS = 10


class PermanentDeliveryError(Exception):
    """The mail server refused the message for good (a 5xx reply): retrying cannot help."""


class MailBackend(Protocol):
    sender: str

    def send(self, message: EmailMessage) -> None:
        """Hand one message on, or raise; PermanentDeliveryError means do not retry."""


class ConsoleBackend:
    """Development default: the whole message goes to the log (logger `sandbox.mail`, level INFO)."""

    def __init__(self, sender: str = DEFAULT_MAIL_FROM) -> None:
        self.sender = sender

    def send(self, message: EmailMessage) -> None:
        # The decoded body rather than message.as_string(): non-ASCII text would show as quoted-printable.
        log.info("e-mail (console backend, not sent)\nTo: %s\nSubject: %s\n\n%s", message["To"], message["Subject"],
                 message.get_content())


class FileBackend:
    """One RFC 5322 .eml file per e-mail, named after its Message-ID, so a retry overwrites rather than duplicates."""

    def __init__(self, directory: str | Path, sender: str = DEFAULT_MAIL_FROM) -> None:
        self.directory = Path(directory)
        self.sender = sender

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9.-]", "_", str(message["Message-ID"]).strip("<>").split("@")[0]) + ".eml"
        # Written aside and renamed, so whoever watches the folder never reads half a message.
        handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(handle, "wb") as file:
            file.write(message.as_bytes(policy=SMTP_POLICY))
        os.replace(temporary, self.directory / name)


class SmtpBackend:
    """SMTP with TLS: STARTTLS (required, never silently skipped) for smtp://, implicit TLS for smtps://."""

    def __init__(self, server: SmtpServer, sender: str = DEFAULT_MAIL_FROM, *,
                 ssl_context: ssl.SSLContext | None = None, timeout: float = SMTP_TIMEOUT_SECONDS) -> None:
        self.server = server
        self.sender = sender
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.timeout = timeout

    def send(self, message: EmailMessage) -> None:
        try:
            with self._connect() as smtp:
                if self.server.username:
                    smtp.login(self.server.username, self.server.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            if all(code >= 500 for code in codes):
                raise PermanentDeliveryError(f"recipient refused: {error.recipients}") from error
            raise
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            if error.smtp_code >= 500:
                raise PermanentDeliveryError(f"{error.smtp_code} {error.smtp_error!r}") from error
            raise

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        if server.implicit_tls:
            return smtplib.SMTP_SSL(server.host, server.port, timeout=self.timeout, context=self.ssl_context)
        smtp = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
        try:
            smtp.starttls(context=self.ssl_context)  # raises if the server does not offer it: no plain-text fallback
        except BaseException:
            smtp.close()
            raise
        return smtp


def mail_backend_from_config(config: Mapping[str, Any]) -> MailBackend:
    """The backend the settings (SANDBOX_MAIL_BACKEND and friends, see sandbox.config) ask for."""
    sender = str(config.get("SANDBOX_MAIL_FROM") or DEFAULT_MAIL_FROM)
    choice = config.get("SANDBOX_MAIL_BACKEND") or "console"
    if choice == "file":
        return FileBackend(str(config["SANDBOX_MAIL_FILE_PATH"]), sender)
    if choice == "smtp":
        return SmtpBackend(parse_smtp_url(str(config["SANDBOX_SMTP_URL"])), sender)
    return ConsoleBackend(sender)


def build_message(email: OutboxEmail, sender: str) -> EmailMessage:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "sandbox.invalid"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Date"] = format_datetime(email.created_at)
    # The same Message-ID on every attempt lets a receiving server drop the duplicate of a retried e-mail.
    message["Message-ID"] = f"<outbox-{email.id}-{email.created_at:%Y%m%d%H%M%S}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to a robot
    message.set_content(email.body)
    return message


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0  # failed this time, will be tried again later
    failed: int = 0  # gave up: state is now failed

    def summary(self) -> str:
        return f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed"


def deliver_pending(session: Session, backend: MailBackend, *, limit: int = 100,
                    now: datetime | None = None) -> DeliveryReport:
    """Send up to `limit` queued e-mails that are due, oldest first; COMMITS after each one.

    This is a job, not a domain function: call it with a session holding no work of its own (it refuses one that
    does). Each e-mail is one transaction — claim the row, send, record the outcome, commit — because the send
    cannot be rolled back: its record must be durable at once, and a lock must not outlive one send. On PostgreSQL
    the claim is `SELECT … FOR UPDATE SKIP LOCKED`, so concurrent deliverers take different rows; on SQLite the
    transaction's BEGIN IMMEDIATE write lock serialises them (held for one send at most, bounded by the SMTP
    timeout, well under the 30 s busy timeout other writers wait). A crash between send and commit leaves the row
    queued, so that e-mail goes again: at-least-once, softened by a stable Message-ID.
    """
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("deliver_pending commits; call it with a session that has no unsaved work")
    report = DeliveryReport()
    after_id = 0
    for _ in range(limit):
        email = _claim_next(session, after_id, now or utcnow())
        if email is None:
            break
        after_id = email.id
        _send_and_record(email, backend, now or utcnow(), report)
        session.commit()
    session.commit()  # ends the read-only transaction of the last, empty claim
    return report


def _claim_next(session: Session, after_id: int, now: datetime) -> OutboxEmail | None:
    return session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.id > after_id, _is_due(now))
        .order_by(OutboxEmail.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()


def _is_due(now: datetime) -> ColumnElement[bool]:
    waited_long_enough = [and_(OutboxEmail.attempts == attempts, OutboxEmail.last_attempt_at <= now - delay)
                          for attempts, delay in enumerate(RETRY_DELAYS, start=1)]
    return and_(OutboxEmail.state == DeliveryState.QUEUED.value,
                or_(OutboxEmail.attempts == 0, *waited_long_enough))


def _send_and_record(email: OutboxEmail, backend: MailBackend, now: datetime, report: DeliveryReport) -> None:
    email.attempts += 1
    email.last_attempt_at = now
    try:
        backend.send(build_message(email, backend.sender))
    except Exception as error:  # any failure of one e-mail is recorded on it and must not stop the others
        email.last_error = f"{type(error).__name__}: {error}"[:1000]
        gives_up = isinstance(error, PermanentDeliveryError) or email.attempts >= MAX_ATTEMPTS
        if gives_up:
            email.state = DeliveryState.FAILED.value
            report.failed += 1
        else:
            report.retrying += 1
        log.warning("e-mail %s to %s: attempt %d failed%s: %s", email.id, email.to_address, email.attempts,
                    " (giving up)" if gives_up else "", email.last_error)
        return
    email.state, email.sent_at, email.last_error = DeliveryState.SENT.value, now, None
    report.sent += 1
    log.info("e-mail %s sent to %s (attempt %d)", email.id, email.to_address, email.attempts)


def emails_for_case(session: Session, case_id: int) -> list[OutboxEmail]:
    """A case's e-mails, newest first, for the staff case view (templates/review/_emails.html)."""
    return list(session.scalars(select(OutboxEmail).where(OutboxEmail.case_id == case_id)
                                .order_by(OutboxEmail.id.desc())))
