from __future__ import annotations

import email
import logging
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask, render_template
from sqlalchemy import select

from sandbox.extensions import db
from sandbox.notifications.delivery import (
    MAX_ATTEMPTS,
    ConsoleBackend,
    FileBackend,
    PermanentDeliveryError,
    SmtpBackend,
    deliver_pending,
    emails_for_case,
    mail_backend_from_config,
)
from sandbox.notifications.models import DeliveryState, OutboxEmail
from tests.notifications.conftest import TODAY, People, make_case_waiting_for_answer, make_outbox_email

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


class RecordingBackend:
    sender = "Sandbox <no-reply@sandbox.example>"

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.messages.append(message)


class FailingBackend:
    sender = "no-reply@sandbox.example"

    def __init__(self, error: Exception) -> None:
        self.error = error

    def send(self, message: EmailMessage) -> None:
        raise self.error


def reload(outbox_email: OutboxEmail) -> OutboxEmail:
    db.session.expire_all()
    return db.session.get_one(OutboxEmail, outbox_email.id)


def test_deliver_pending_queued_emails_are_sent_oldest_first_and_marked_sent():
    first, second = make_outbox_email(subject="First"), make_outbox_email(subject="Second")
    db.session.commit()
    backend = RecordingBackend()
    report = deliver_pending(db.session, backend, now=NOW)
    assert (report.sent, report.retrying, report.failed) == (2, 0, 0)
    assert [m["Subject"] for m in backend.messages] == ["First", "Second"]
    assert backend.messages[0]["To"] == first.to_address and backend.messages[0]["From"] == backend.sender
    assert backend.messages[0]["Message-ID"].endswith("@sandbox.example>")
    sent = reload(second)
    assert (sent.state, sent.sent_at, sent.attempts) == (DeliveryState.SENT.value, NOW, 1)
    assert deliver_pending(db.session, backend, now=NOW).sent == 0  # nothing is sent twice


def test_deliver_pending_limit_sends_only_that_many():
    for _ in range(3):
        make_outbox_email()
    db.session.commit()
    assert deliver_pending(db.session, RecordingBackend(), limit=2, now=NOW).sent == 2
    assert deliver_pending(db.session, RecordingBackend(), limit=2, now=NOW).sent == 1


def test_deliver_pending_failing_backend_records_error_waits_and_gives_up_after_five_attempts():
    queued = make_outbox_email()
    db.session.commit()
    backend = FailingBackend(ConnectionRefusedError("mail server down"))
    report = deliver_pending(db.session, backend, now=NOW)
    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    failed_once = reload(queued)
    assert (failed_once.state, failed_once.attempts, failed_once.last_attempt_at) == ("queued", 1, NOW)
    assert failed_once.last_error == "ConnectionRefusedError: mail server down"
    assert deliver_pending(db.session, backend, now=NOW + timedelta(seconds=30)).retrying == 0  # still waiting

    moment = NOW
    for _ in range(MAX_ATTEMPTS - 1):
        moment += timedelta(hours=3)
        deliver_pending(db.session, backend, now=moment)
    given_up = reload(queued)
    assert (given_up.state, given_up.attempts) == (DeliveryState.FAILED.value, MAX_ATTEMPTS)
    assert deliver_pending(db.session, backend, now=moment + timedelta(days=1)).failed == 0


def test_deliver_pending_permanent_refusal_fails_at_once():
    queued = make_outbox_email()
    db.session.commit()
    report = deliver_pending(db.session, FailingBackend(PermanentDeliveryError("550 no such user")), now=NOW)
    assert report.failed == 1
    assert (reload(queued).state, reload(queued).attempts) == (DeliveryState.FAILED.value, 1)


def test_deliver_pending_session_with_unsaved_work_is_refused():
    make_outbox_email()
    db.session.add(OutboxEmail(to_address="a@b.example", subject="s", body="b"))
    with pytest.raises(RuntimeError, match="no unsaved work"):
        deliver_pending(db.session, RecordingBackend(), now=NOW)


def test_file_backend_writes_one_parseable_eml_per_email(tmp_path: Path):
    queued = make_outbox_email(subject="Décision prise", body="Votre dossier a été traité.\n")
    db.session.commit()
    backend = FileBackend(tmp_path / "outbox", "Sandbox <no-reply@sandbox.example>")
    deliver_pending(db.session, backend, now=NOW)
    files = list((tmp_path / "outbox").iterdir())
    assert len(files) == 1 and files[0].suffix == ".eml"
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert parsed["To"] == queued.to_address and parsed["Subject"] == "Décision prise"
    assert parsed["Auto-Submitted"] == "auto-generated" and parsed["Date"] is not None
    assert parsed.get_content().splitlines() == ["Votre dossier a été traité."]  # lines end in CRLF, per RFC 5322


def test_console_backend_logs_the_message(caplog: pytest.LogCaptureFixture):
    make_outbox_email(subject="Hello there", body="Body text")
    db.session.commit()
    with caplog.at_level(logging.INFO, logger="sandbox.mail"):
        assert deliver_pending(db.session, ConsoleBackend(), now=NOW).sent == 1
    assert "Hello there" in caplog.text and "Body text" in caplog.text


def test_mail_backend_from_config_follows_the_settings(tmp_path: Path):
    assert isinstance(mail_backend_from_config({"SANDBOX_MAIL_BACKEND": "console"}), ConsoleBackend)
    file_backend = mail_backend_from_config({"SANDBOX_MAIL_BACKEND": "file", "SANDBOX_MAIL_FILE_PATH": str(tmp_path),
                                             "SANDBOX_MAIL_FROM": "x@y.example"})
    assert isinstance(file_backend, FileBackend) and file_backend.sender == "x@y.example"
    smtp = mail_backend_from_config({"SANDBOX_MAIL_BACKEND": "smtp", "SANDBOX_SMTP_URL": "smtps://u:p%40ss@mx:2465"})
    assert isinstance(smtp, SmtpBackend)
    assert (smtp.server.host, smtp.server.port, smtp.server.implicit_tls, smtp.server.password) == (
        "mx", 2465, True, "p@ss")


def test_emails_for_case_newest_first_rendered_for_staff(app: Flask, people: People):
    case, _request = make_case_waiting_for_answer(people, TODAY)
    make_outbox_email(case_id=case.id, subject="Old one", state="sent", sent_at=NOW, attempts=1)
    make_outbox_email(case_id=case.id, subject="Broken one", state="failed", attempts=5, last_error="Refused: no")
    make_outbox_email(subject="Another case's")
    emails = emails_for_case(db.session, case.id)
    assert [e.subject for e in emails] == ["Broken one", "Old one"]
    with app.test_request_context():
        html = render_template("review/_emails.html", emails=emails)
        empty = render_template("review/_emails.html", emails=[])
    assert "govuk-table" in html and "govuk-tag--red" in html and "Refused: no" in html and "5 attempts" in html
    assert "10 March 2026, 09:00" in html
    assert "No e-mails have been sent" in empty


def test_deliver_pending_each_email_claimed_by_one_of_two_concurrent_deliverers(app: Flask):
    """Two deliverers at once (threads with their own sessions): every e-mail goes out exactly once."""
    import threading
    import time

    for _ in range(12):
        make_outbox_email()
    db.session.commit()
    sent_ids: list[str] = []

    class SlowBackend(RecordingBackend):
        def send(self, message: EmailMessage) -> None:
            time.sleep(0.02)  # long enough for the other deliverer to try the same row
            sent_ids.append(message["Message-ID"])

    def deliver() -> None:
        with app.app_context():
            deliver_pending(db.session, SlowBackend(), now=NOW)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(sent_ids) == 12 and len(set(sent_ids)) == 12
    db.session.expire_all()
    assert set(db.session.scalars(select(OutboxEmail.state))) == {DeliveryState.SENT.value}


def test_deliver_pending_row_locked_by_another_deliverer_is_skipped_on_postgresql(app: Flask):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises deliverers with its write lock instead")
    from sqlalchemy.orm import Session

    first, second = make_outbox_email(), make_outbox_email()
    db.session.commit()
    with Session(db.engine) as other:
        other.scalars(select(OutboxEmail).where(OutboxEmail.id == first.id).with_for_update()).one()
        backend = RecordingBackend()
        assert deliver_pending(db.session, backend, now=NOW).sent == 1
        other.rollback()
    assert [m["To"] for m in backend.messages] == [second.to_address]
    assert reload(first).state == DeliveryState.QUEUED.value
