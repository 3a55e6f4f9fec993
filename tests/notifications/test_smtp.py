"""The SMTP backend against a small fake server on a local socket (aiosmtpd is not a dependency of this project)."""

from __future__ import annotations

import base64
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sandbox.config import SmtpServer
from sandbox.extensions import db
from sandbox.notifications.delivery import SmtpBackend, deliver_pending
from sandbox.notifications.models import DeliveryState, OutboxEmail
from tests.notifications.conftest import make_outbox_email


@dataclass
class FakeSmtpServer:
    """Speaks just enough ESMTP for smtplib: EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""

    tls: ssl.SSLContext
    offer_starttls: bool = True
    implicit_tls: bool = False
    rcpt_reply: bytes = b"250 OK"
    messages: list[bytes] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    used_tls: list[bool] = field(default_factory=list)

    def start(self) -> int:
        self.listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, daemon=True).start()
        return self.listener.getsockname()[1]

    def stop(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            opened = [connection]  # every socket and file this conversation opens, to close them all after
            try:
                self._serve(connection, opened)
            except (OSError, ssl.SSLError):
                pass
            finally:
                for thing in reversed(opened):
                    thing.close()

    def _serve(self, connection: socket.socket, opened: list) -> None:
        if self.implicit_tls:
            connection = self.tls.wrap_socket(connection, server_side=True)
            opened.append(connection)
        is_tls = self.implicit_tls
        reader = connection.makefile("rb")
        opened.append(reader)
        connection.sendall(b"220 fake ESMTP\r\n")
        while line := reader.readline():
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb == b"EHLO":
                offers = [b"250-fake", b"250-AUTH PLAIN", b"250 8BITMIME"]
                if self.offer_starttls and not is_tls:
                    offers.insert(1, b"250-STARTTLS")
                connection.sendall(b"\r\n".join(offers) + b"\r\n")
            elif verb == b"STARTTLS":
                connection.sendall(b"220 go ahead\r\n")
                connection = self.tls.wrap_socket(connection, server_side=True)
                reader, is_tls = connection.makefile("rb"), True
                opened += [connection, reader]
            elif verb == b"AUTH":
                self.logins.append(base64.b64decode(line.split()[2]).decode())
                connection.sendall(b"235 welcome\r\n")
            elif verb == b"RCPT":
                connection.sendall(self.rcpt_reply + b"\r\n")
            elif verb == b"DATA":
                connection.sendall(b"354 go on\r\n")
                data = b"".join(iter(reader.readline, b".\r\n"))
                self.messages.append(data)
                self.used_tls.append(is_tls)
                connection.sendall(b"250 queued\r\n")
            elif verb == b"QUIT":
                connection.sendall(b"221 bye\r\n")
                return
            else:  # MAIL, RSET, NOOP
                connection.sendall(b"250 OK\r\n")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture
def server_and_client_tls(certificate: tuple[Path, Path]) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    cert, key = certificate
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    return server, ssl.create_default_context(cafile=str(cert))


@pytest.fixture
def fake_server(server_and_client_tls) -> Iterator[FakeSmtpServer]:
    server = FakeSmtpServer(tls=server_and_client_tls[0])
    yield server
    server.stop()


def backend_for(server: FakeSmtpServer, port: int, client_tls: ssl.SSLContext) -> SmtpBackend:
    address = SmtpServer(host="127.0.0.1", port=port, implicit_tls=server.implicit_tls, username="mailer",
                         password="s3cret")
    return SmtpBackend(address, "Sandbox <no-reply@sandbox.example>", ssl_context=client_tls, timeout=5)


def test_smtp_backend_starttls_logs_in_and_sends(fake_server: FakeSmtpServer, server_and_client_tls):
    port = fake_server.start()
    queued = make_outbox_email(subject="Your application", body="It has moved on.\n")
    db.session.commit()
    report = deliver_pending(db.session, backend_for(fake_server, port, server_and_client_tls[1]))
    assert report.sent == 1
    assert fake_server.logins == ["\0mailer\0s3cret"] and fake_server.used_tls == [True]
    assert b"Subject: Your application" in fake_server.messages[0]
    assert f"To: {queued.to_address}".encode() in fake_server.messages[0]


def test_smtp_backend_implicit_tls_sends(fake_server: FakeSmtpServer, server_and_client_tls):
    fake_server.implicit_tls = True
    port = fake_server.start()
    make_outbox_email()
    db.session.commit()
    assert deliver_pending(db.session, backend_for(fake_server, port, server_and_client_tls[1])).sent == 1
    assert fake_server.used_tls == [True]


def test_smtp_backend_server_without_starttls_gets_nothing_in_plain_text(fake_server: FakeSmtpServer,
                                                                         server_and_client_tls):
    fake_server.offer_starttls = False
    port = fake_server.start()
    queued = make_outbox_email()
    db.session.commit()
    report = deliver_pending(db.session, backend_for(fake_server, port, server_and_client_tls[1]))
    assert report.retrying == 1 and fake_server.messages == [] and fake_server.logins == []
    db.session.expire_all()
    assert "STARTTLS" in db.session.get_one(OutboxEmail, queued.id).last_error


def test_smtp_backend_recipient_refused_for_good_fails_without_retry(fake_server: FakeSmtpServer,
                                                                     server_and_client_tls):
    fake_server.rcpt_reply = b"550 no such mailbox"
    port = fake_server.start()
    queued = make_outbox_email()
    db.session.commit()
    assert deliver_pending(db.session, backend_for(fake_server, port, server_and_client_tls[1])).failed == 1
    db.session.expire_all()
    refused = db.session.get_one(OutboxEmail, queued.id)
    assert (refused.state, refused.attempts) == (DeliveryState.FAILED.value, 1)
    assert "no such mailbox" in refused.last_error


def test_smtp_backend_temporary_refusal_is_retried_later(fake_server: FakeSmtpServer, server_and_client_tls):
    fake_server.rcpt_reply = b"451 try again later"
    port = fake_server.start()
    make_outbox_email()
    db.session.commit()
    assert deliver_pending(db.session, backend_for(fake_server, port, server_and_client_tls[1])).retrying == 1
