"""Supporting documents: uploading, replacing (old versions kept), downloading, and everything that is refused."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.http import parse_options_header

from sandbox.applications import documents, operations
from sandbox.applications.models import Document
from sandbox.applications.sections import SECTIONS
from sandbox.applications.storage import LocalDiskStorage
from sandbox.cases.models import Case
from sandbox.config import load_settings
from sandbox.core.audit import AuditEvent
from sandbox.core.errors import Conflict, DomainError, NotFound
from sandbox.core.permissions import Role
from sandbox.extensions import db
from tests.applications.test_portal import fill_everything, start, submit
from tests.conftest import CSRF_PATTERN, csrf_token_from
from tests.factories import make_user, sign_in

PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
       b"trailer\n<< /Root 1 0 R >>\n%%EOF\n")
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n"


@pytest.fixture(autouse=True)
def storage_root(app: Flask, tmp_path: Path) -> Iterator[Path]:
    """Each test keeps its files in a folder of its own (the app is shared by the whole run)."""
    before = app.config["SANDBOX_STORAGE_PATH"]
    root = tmp_path / "documents"
    app.config["SANDBOX_STORAGE_PATH"] = str(root)
    yield root
    app.config["SANDBOX_STORAGE_PATH"] = before


def stored_files(root: Path) -> list[Path]:
    """Every file under the storage root, the temporary upload folder included."""
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def documents_page(case_id: int) -> str:
    return f"/applications/{case_id}/documents"


def upload(client: FlaskClient, case_id: int, content: bytes, filename: str, *, section: str = "",
           replaces: int | None = None, token: str | None = None):
    data: dict[str, object] = {
        "csrf_token": token or csrf_token_from(client, documents_page(case_id)),
        "file": (io.BytesIO(content), filename),
        "section": section,
    }
    if replaces is not None:
        data["replaces"] = str(replaces)
    return client.post(documents_page(case_id), data=data, content_type="multipart/form-data")


def download(client: FlaskClient, case_id: int, document_id: int):
    response = client.get(f"{documents_page(case_id)}/{document_id}")
    body = response.get_data()
    response.close()
    return response, body


def all_documents() -> list[Document]:
    return list(db.session.scalars(select(Document).order_by(Document.id)))


def upload_events() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("document.%"))
                                   .order_by(AuditEvent.seq)))


def test_uploaded_pdf_is_listed_and_downloads_byte_for_byte(client: FlaskClient, applicant, storage_root: Path):
    sign_in(client, applicant)
    case_id = start(client)
    section = SECTIONS[2]
    response = upload(client, case_id, PDF, "Model card.pdf", section=section.key)
    assert response.status_code == 303
    assert response.headers["Location"] == documents_page(case_id)

    document = db.session.scalars(select(Document)).one()
    digest = hashlib.sha256(PDF).hexdigest()
    assert (document.case_id, document.section_key, document.display_name) == (case_id, section.key, "Model card.pdf")
    assert (document.sha256, document.size, document.kind) == (digest, len(PDF), "pdf")
    assert document.media_type == "application/pdf" and document.is_current and document.replaces_id is None
    assert document.uploaded_by_id == applicant.id
    assert stored_files(storage_root) == [LocalDiskStorage(storage_root).path_for(document.storage_key)]

    page = client.get(documents_page(case_id)).get_data(as_text=True)
    assert "“Model card.pdf” has been uploaded." in page
    assert "Model card.pdf" in page and section.title in page and applicant.full_name in page
    assert digest[:12] in page and digest in page  # shortened, and in full inside the details
    assert f'href="{documents_page(case_id)}/{document.id}"' in page

    response, body = download(client, case_id, document.id)
    assert response.status_code == 200 and body == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition, options = parse_options_header(response.headers["Content-Disposition"])
    assert disposition == "attachment" and options["filename"] == "Model card.pdf"
    assert response.headers["Cache-Control"] == "no-store"


def test_each_upload_records_one_audit_event(client: FlaskClient, applicant):
    sign_in(client, applicant)
    case_id = start(client)
    assert upload(client, case_id, PDF, "a.pdf").status_code == 303
    assert upload(client, case_id, b"name,score\nx,1\n", "scores.csv").status_code == 303
    assert upload(client, case_id, HTML, "fake.pdf").status_code == 422  # refused: nothing to audit
    events = upload_events()
    first, second = all_documents()
    assert [(e.action, e.object_id, e.case_id, e.actor_id) for e in events] == [
        ("document.uploaded", str(first.id), case_id, applicant.id),
        ("document.uploaded", str(second.id), case_id, applicant.id)]
    assert events[0].details["sha256"] == hashlib.sha256(PDF).hexdigest() and events[0].details["section"] is None
    assert events[1].details["kind"] == "csv"


def test_request_over_the_size_limit_gets_413_and_stores_nothing(app: Flask, client: FlaskClient, applicant,
                                                                 storage_root: Path):
    sign_in(client, applicant)
    case_id = start(client)
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post(documents_page(case_id), data=b"x" * (limit + 1),
                           content_type="multipart/form-data; boundary=xyz")
    assert response.status_code == 413
    assert "Files can be up to 25 MB" in response.get_data(as_text=True)
    assert all_documents() == [] and stored_files(storage_root) == []


def test_file_over_the_file_limit_within_the_request_limit_gets_413_and_stores_nothing(
        app: Flask, client: FlaskClient, applicant, storage_root: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(app.config, "SANDBOX_MAX_UPLOAD_MB", 1)  # the request limit stays at 25MB
    sign_in(client, applicant)
    case_id = start(client)
    response = upload(client, case_id, PDF + b"0" * (1024 * 1024), "big.pdf")
    response.request.environ["wsgi.input"].close()  # the test client spooled this large body to a temporary file
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "There is a problem" in body and "The selected file must be smaller than 1MB" in body
    assert 'href="#file"' in body
    assert all_documents() == [] and upload_events() == [] and stored_files(storage_root) == []


def test_upload_document_over_max_bytes_raises_413_domain_error(applicant, firm, storage_root: Path):
    case = operations.start_application(db.session, firm, applicant)
    with pytest.raises(documents.DocumentTooLarge) as refused:
        documents.upload_document(db.session, LocalDiskStorage(storage_root), case, applicant,
                                  io.BytesIO(PDF + b"0" * 2048), "big.pdf", None, max_bytes=2048)
    assert refused.value.status_code == 413 and refused.value.message == "The selected file must be smaller than 2KB"
    assert all_documents() == [] and stored_files(storage_root) == []


def test_pdf_that_is_really_html_is_refused_and_nothing_is_kept(client: FlaskClient, applicant, storage_root: Path):
    sign_in(client, applicant)
    case_id = start(client)
    response = upload(client, case_id, HTML, "report.pdf")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "The selected file is not really a PDF: its contents do not match its .pdf name" in body
    assert "alert(document.cookie)" not in body
    assert all_documents() == [] and upload_events() == []
    assert stored_files(storage_root) == []  # the saved bytes were discarded, temporary file included


@pytest.mark.parametrize(("content", "filename", "message"), [
    (PDF, "setup.exe", "The selected file must be a PDF, Word (DOCX), Excel (XLSX), PNG, JPEG, CSV or plain text"),
    (b"", "empty.pdf", "The selected file is empty"),
])
def test_wrong_type_or_empty_file_is_refused(client: FlaskClient, applicant, storage_root: Path, content: bytes,
                                             filename: str, message: str):
    sign_in(client, applicant)
    case_id = start(client)
    response = upload(client, case_id, content, filename)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert all_documents() == [] and stored_files(storage_root) == []


def test_no_file_selected_is_refused(client: FlaskClient, applicant):
    sign_in(client, applicant)
    case_id = start(client)
    response = upload(client, case_id, b"", "")
    assert response.status_code == 422 and "Select a file" in response.get_data(as_text=True)
    assert all_documents() == []


def test_unknown_section_is_refused(client: FlaskClient, applicant, storage_root: Path):
    sign_in(client, applicant)
    case_id = start(client)
    response = upload(client, case_id, PDF, "a.pdf", section="no-such-section")
    assert response.status_code == 422
    assert "Select which part of the application the document supports" in response.get_data(as_text=True)
    assert all_documents() == [] and stored_files(storage_root) == []


def test_upload_without_csrf_token_is_refused(client: FlaskClient, applicant):
    sign_in(client, applicant)
    case_id = start(client)
    response = client.post(documents_page(case_id), data={"file": (io.BytesIO(PDF), "a.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "security token" in response.get_data(as_text=True)
    assert all_documents() == []


@pytest.mark.parametrize(("filename", "shown"), [
    ("../../../etc/pass\x00wd\x1b[31m\t 2026.pdf", "passwd[31m 2026.pdf"),
    ("C:/Users/me/../..pdf", "document.pdf"),  # (the test client would unescape backslashes)
    ("rapport d\u2019évaluation \u202egpj.pdf", "rapport d\u2019évaluation gpj.pdf"),
])
def test_unsafe_filename_is_stored_under_a_random_key_and_shown_cleaned(client: FlaskClient, applicant,
                                                                        storage_root: Path, tmp_path: Path,
                                                                        filename: str, shown: str):
    sign_in(client, applicant)
    case_id = start(client)
    assert upload(client, case_id, PDF, filename).status_code == 303
    document = db.session.scalars(select(Document)).one()
    assert document.display_name == shown
    assert re.fullmatch(r"[0-9a-f]{40}", document.storage_key)
    assert stored_files(storage_root) == [LocalDiskStorage(storage_root).path_for(document.storage_key)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents"]  # nothing written beside the root
    response, body = download(client, case_id, document.id)
    assert body == PDF
    header = response.headers["Content-Disposition"]
    assert "\x00" not in header and "\x1b" not in header and "/" not in header.split("''")[0]
    disposition, options = parse_options_header(header)
    assert disposition == "attachment"
    assert options["filename"] == shown  # Werkzeug decodes filename* (RFC 5987) when the name is not ASCII


def test_replacing_keeps_the_old_version_downloadable(client: FlaskClient, applicant, storage_root: Path):
    sign_in(client, applicant)
    case_id = start(client)
    section = SECTIONS[4]
    assert upload(client, case_id, PDF, "policy.pdf", section=section.key).status_code == 303
    old = db.session.scalars(select(Document)).one()
    new_content = PDF.replace(b"1.4", b"1.7")
    # The replacement keeps the section of the document it replaces, whatever the form says.
    response = upload(client, case_id, new_content, "policy v2.pdf", replaces=old.id, section="")
    assert response.status_code == 303

    first, second = all_documents()
    assert first.id == old.id and first.is_current is False
    assert second.is_current is True and second.replaces_id == old.id and second.section_key == section.key
    assert second.sha256 == hashlib.sha256(new_content).hexdigest()
    assert len(stored_files(storage_root)) == 2
    assert download(client, case_id, first.id)[1] == PDF
    assert download(client, case_id, second.id)[1] == new_content
    page = client.get(documents_page(case_id)).get_data(as_text=True)
    assert "Earlier versions" in page and "“policy v2.pdf” has been uploaded as the new version" in page
    assert page.index("policy v2.pdf") < page.index("Earlier versions") < page.rindex("policy.pdf")
    assert [e.action for e in upload_events()] == ["document.uploaded", "document.replaced"]
    assert upload_events()[1].details["replaces"] == old.id

    # The old version cannot be replaced again: that would fork the history.
    stale = upload(client, case_id, PDF, "policy v3.pdf", replaces=old.id)
    assert stale.status_code == 409 and "has already been replaced" in stale.get_data(as_text=True)
    assert len(all_documents()) == 2 and len(stored_files(storage_root)) == 2


def test_replacement_that_is_refused_leaves_the_current_version_alone(client: FlaskClient, applicant):
    sign_in(client, applicant)
    case_id = start(client)
    assert upload(client, case_id, PDF, "policy.pdf").status_code == 303
    old = db.session.scalars(select(Document)).one()
    response = upload(client, case_id, HTML, "policy.pdf", replaces=old.id)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert f'href="#replace-{old.id}"' in body and f'id="replace-{old.id}-error"' in body
    db.session.refresh(old)
    assert old.is_current is True and len(all_documents()) == 1


def test_other_organisation_gets_404_on_list_upload_and_download(app: Flask, client: FlaskClient, applicant,
                                                                 storage_root: Path):
    sign_in(client, applicant)
    case_id = start(client)
    assert upload(client, case_id, PDF, "secret.pdf").status_code == 303
    document = db.session.scalars(select(Document)).one()

    outsider = app.test_client()
    sign_in(outsider, make_user(Role.APPLICANT))
    their_case = start(outsider)
    token = csrf_token_from(outsider, documents_page(their_case))
    assert outsider.get(documents_page(case_id)).status_code == 404
    assert upload(outsider, case_id, PDF, "planted.pdf", token=token).status_code == 404
    assert download(outsider, case_id, document.id)[0].status_code == 404
    # Their own case's URLs with our document's id: still not found.
    assert download(outsider, their_case, document.id)[0].status_code == 404
    assert upload(outsider, their_case, PDF, "x.pdf", replaces=document.id, token=token).status_code == 404
    assert all_documents() == [document] and len(stored_files(storage_root)) == 1
    assert "secret.pdf" not in outsider.get(documents_page(their_case)).get_data(as_text=True)


def test_document_of_another_case_of_the_same_organisation_is_not_found(client: FlaskClient, applicant):
    sign_in(client, applicant)
    first, second = start(client), start(client)
    assert upload(client, first, PDF, "a.pdf").status_code == 303
    document = db.session.scalars(select(Document)).one()
    assert download(client, second, document.id)[0].status_code == 404
    assert download(client, first, document.id + 1000)[0].status_code == 404
    with pytest.raises(NotFound):
        documents.document_for(db.session, db.session.get(Case, second), document.id)


def test_staff_cannot_use_the_applicant_documents_pages(client: FlaskClient, applicant, firm):
    case = operations.start_application(db.session, firm, applicant)
    sign_in(client, make_user(Role.CASE_OFFICER))
    assert client.get(documents_page(case.id)).status_code == 403


def test_upload_after_submission_is_refused_but_documents_stay_downloadable(client: FlaskClient, applicant,
                                                                            storage_root: Path):
    sign_in(client, applicant)
    case_id = start(client)
    assert upload(client, case_id, PDF, "evidence.pdf").status_code == 303
    fill_everything(client, case_id)
    assert submit(client, case_id).status_code == 303
    document = db.session.scalars(select(Document)).one()

    page = client.get(documents_page(case_id))
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "evidence.pdf" in body
    assert "You cannot add or replace documents" in body and 'enctype="multipart/form-data"' not in body
    token = CSRF_PATTERN.search(client.get("/applications/").get_data(as_text=True)).group(1)
    refused = upload(client, case_id, PDF, "late.pdf", token=token)
    assert refused.status_code == 409
    assert "Documents can only be added while the application is a draft" in refused.get_data(as_text=True)
    replaced = upload(client, case_id, PDF, "late.pdf", replaces=document.id, token=token)
    assert replaced.status_code == 409
    assert all_documents() == [document] and len(stored_files(storage_root)) == 1
    assert download(client, case_id, document.id)[1] == PDF


@pytest.mark.parametrize(("state", "allowed"), [("draft", True), ("information_requested", True),
                                                ("submitted", False), ("assessment", False)])
def test_upload_document_allowed_only_while_drafting_or_answering_a_request(applicant, firm, storage_root: Path,
                                                                            state: str, allowed: bool):
    case = operations.start_application(db.session, firm, applicant)
    case.state = state
    storage = LocalDiskStorage(storage_root)
    if allowed:
        document = documents.upload_document(db.session, storage, case, applicant, io.BytesIO(PDF), "a.pdf", None,
                                              max_bytes=1024 * 1024)
        assert document.id is not None and storage.exists(document.storage_key)
    else:
        with pytest.raises(Conflict):
            documents.upload_document(db.session, storage, case, applicant, io.BytesIO(PDF), "a.pdf", None,
                                      max_bytes=1024 * 1024)
        assert stored_files(storage_root) == []


def test_upload_document_refuses_a_document_of_another_case_as_replaces(applicant, firm, storage_root: Path):
    storage = LocalDiskStorage(storage_root)
    first = operations.start_application(db.session, firm, applicant)
    second = operations.start_application(db.session, firm, applicant)
    theirs = documents.upload_document(db.session, storage, first, applicant, io.BytesIO(PDF), "a.pdf", None,
                                       max_bytes=1024 * 1024)
    with pytest.raises(NotFound):
        documents.upload_document(db.session, storage, second, applicant, io.BytesIO(PDF), "b.pdf", None,
                                  max_bytes=1024 * 1024, replaces=theirs)
    with pytest.raises(DomainError) as unknown:
        documents.upload_document(db.session, storage, second, applicant, io.BytesIO(PDF), "b.pdf", "nope",
                                  max_bytes=1024 * 1024)
    assert unknown.value.field == "section"
    assert db.session.scalar(select(func.count()).select_from(Document)) == 1 and len(stored_files(storage_root)) == 1


def test_documents_for_lists_current_versions_first_in_section_order(applicant, firm, storage_root: Path):
    storage = LocalDiskStorage(storage_root)
    case = operations.start_application(db.session, firm, applicant)

    def add(name: str, section: str | None, replaces: Document | None = None) -> Document:
        return documents.upload_document(db.session, storage, case, applicant, io.BytesIO(PDF), name, section,
                                         max_bytes=1024 * 1024, replaces=replaces)

    late_section = add("late.pdf", SECTIONS[8].key)
    early_section = add("early.pdf", SECTIONS[1].key)
    whole = add("whole.pdf", None)
    whole_v2 = add("whole v2.pdf", None, replaces=whole)
    whole_v3 = add("whole v3.pdf", None, replaces=whole_v2)
    listed = documents.documents_for(db.session, case)
    assert [d.display_name for d in listed] == ["whole v3.pdf", "early.pdf", "late.pdf", "whole v2.pdf",
                                                "whole.pdf"]
    assert documents.earlier_versions(listed) == {whole_v3.id: [whole_v2, whole], early_section.id: [],
                                                  late_section.id: []}


def test_storage_path_setting_defaults_to_the_instance_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SANDBOX_STORAGE_PATH", raising=False)
    settings = load_settings(str(tmp_path), {"SECRET_KEY": "x"})
    assert settings.flask_config()["SANDBOX_STORAGE_PATH"] == str(tmp_path / "documents")
    assert not (tmp_path / "documents").exists()  # made on first upload, not at start-up
    elsewhere = load_settings(str(tmp_path), {"SECRET_KEY": "x", "SANDBOX_STORAGE_PATH": "/srv/documents"})
    assert elsewhere.flask_config()["SANDBOX_STORAGE_PATH"] == "/srv/documents"


def test_task_list_links_to_the_documents_page(client: FlaskClient, applicant):
    sign_in(client, applicant)
    case_id = start(client)
    page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    assert f'href="{documents_page(case_id)}"' in page
    listing = client.get(documents_page(case_id)).get_data(as_text=True)
    assert "No documents have been uploaded yet." in listing
    assert 'enctype="multipart/form-data"' in listing and 'name="csrf_token"' in listing
    assert all(spec.title in listing for spec in SECTIONS) and "Whole application" in listing
