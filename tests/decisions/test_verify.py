"""The public verification page: "authentic" for a letter as issued, "superseded" for a replaced one, "unknown" for
a file with one byte changed or a number never issued — and nothing about the case, to anyone, without signing in."""

from __future__ import annotations

import io

from flask.testing import FlaskClient

from sandbox.decisions.letter_operations import draft_correction
from sandbox.decisions.letters import Letter
from sandbox.extensions import db
from sandbox.web import verify
from sandbox.web.verify import PER_MINUTE
from tests.conftest import csrf_token_from
from tests.decisions.conftest import issue
from tests.reviews.conftest import Staff


def upload(client: FlaskClient, content: bytes, name: str = "letter.pdf"):
    token = csrf_token_from(client, "/verify/")
    return client.post("/verify/", data={"csrf_token": token, "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_an_issued_pdf_is_authentic_and_current(client: FlaskClient, issued: Letter):
    response = upload(client, issued.pdf)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Authentic and current" in page and issued.number in page and issued.content_sha256 in page
    assert "Admission with conditions" in page


def test_a_replaced_letter_is_superseded_by_its_correction(client: FlaskClient, staff: Staff, issued: Letter):
    correction = draft_correction(db.session, issued, staff.officer)
    db.session.commit()
    issue(correction, staff.decider)
    page = upload(client, issued.pdf).get_data(as_text=True)
    assert f"Superseded by {correction.number}" in page and "Authentic and current" not in page
    assert "Authentic and current" in upload(client, correction.pdf).get_data(as_text=True)


def test_one_changed_byte_makes_the_file_unknown(client: FlaskClient, issued: Letter):
    tampered = bytearray(issued.pdf)
    middle = len(tampered) // 2
    tampered[middle] = (tampered[middle] + 1) % 256
    page = upload(client, bytes(tampered)).get_data(as_text=True)
    assert "Unknown" in page and "not issue this file, or it has been altered" in page
    assert issued.number not in page


def test_by_number_typed_or_from_the_printed_url(client: FlaskClient, issued: Letter):
    for path in (f"/verify/?number={issued.number}", f"/verify/?number={issued.number.lower()}",
                 "/verify/" + issued.number.replace("/", "-"), issued.data["verification"]["url"].split("5000")[-1]):
        page = client.get(path).get_data(as_text=True)
        assert "Authentic and current" in page and issued.content_sha256 in page, path
    page = client.get("/verify/?number=SBX/L/2026/999999").get_data(as_text=True)
    assert "Unknown" in page and "have not issued a letter with the number" in page


def test_the_page_says_nothing_else_about_the_case(client: FlaskClient, staff: Staff, issued: Letter):
    page = client.get("/verify/" + issued.number.replace("/", "-")).get_data(as_text=True)
    for secret in (issued.case.reference, staff.firm.name, issued.case.system_name, staff.officer.full_name,
                   "Report monthly on complaints", issued.pdf_sha256):
        assert secret not in page, secret


def test_a_draft_cannot_be_verified(client: FlaskClient, draft: Letter):
    from sandbox.decisions.rendering import render_letter

    assert "Unknown" in upload(client, render_letter(draft.data)).get_data(as_text=True)


def test_an_upload_without_a_file_is_refused(client: FlaskClient):
    token = csrf_token_from(client, "/verify/")
    response = client.post("/verify/", data={"csrf_token": token})
    assert response.status_code == 422 and "Select the letter" in response.get_data(as_text=True)


def test_an_upload_over_the_size_limit_is_refused(client: FlaskClient, issued: Letter, monkeypatch):
    monkeypatch.setattr(verify, "MAX_UPLOAD_BYTES", len(issued.pdf) - 1)
    response = upload(client, issued.pdf)
    page = response.get_data(as_text=True)
    assert response.status_code == 413 and "The file must be smaller" in page and "Authentic" not in page


def test_checks_are_rate_limited_per_address(client: FlaskClient):
    answers = [client.get("/verify/?number=SBX/L/2026/000001").status_code for _ in range(PER_MINUTE + 1)]
    assert answers[:PER_MINUTE] == [200] * PER_MINUTE and answers[-1] == 429
