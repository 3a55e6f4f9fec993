"""Supporting documents of an application: the list with every version, uploading, replacing and downloading."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from sandbox.applications import documents
from sandbox.applications.access import case_for_applicant
from sandbox.applications.filetypes import ALLOWED_TYPES
from sandbox.applications.models import Document
from sandbox.applications.sections import SECTION_BY_KEY, SECTIONS
from sandbox.cases.models import Case
from sandbox.core.errors import DomainError, NotFound
from sandbox.core.permissions import Role, roles
from sandbox.extensions import db

bp = Blueprint("documents", __name__, url_prefix="/applications/<int:case_id>/documents")
applicant_only = roles(Role.APPLICANT)


@bp.get("")
@applicant_only
def index(case_id: int) -> ResponseReturnValue:
    case = case_for_applicant(db.session, current_user, case_id)
    return _render_list(case)


@bp.post("")
@applicant_only
def upload(case_id: int) -> ResponseReturnValue:
    case = case_for_applicant(db.session, current_user, case_id)
    replaces = _replaced_document(case)
    target = f"replace-{replaces.id}" if replaces else "file"  # the file input the message belongs beside
    section_key = replaces.section_key if replaces else (request.form.get("section") or None)
    upload = request.files.get("file")
    documents.require_uploads_open(case)
    try:
        if upload is None or not upload.filename:
            raise DomainError(_("Select a file"), field="file")
        document = documents.upload_document(
            db.session, documents.storage_for(current_app), case, current_user, upload.stream, upload.filename,
            section_key, documents.max_upload_bytes(current_app), replaces=replaces)
    except DomainError as error:
        if error.field is None:
            raise
        field = target if error.field == "file" else error.field
        return _render_list(case, errors={field: error.message}, section=None if replaces else section_key,
                            status=error.status_code)
    if replaces:
        flash(_("“%(name)s” has been uploaded as the new version of “%(old)s”. The earlier version is kept.",
                name=document.display_name, old=replaces.display_name), "success")
    else:
        flash(_("“%(name)s” has been uploaded.", name=document.display_name), "success")
    return redirect(url_for("documents.index", case_id=case.id), 303)


@bp.get("/<int:document_id>")
@applicant_only
def download(case_id: int, document_id: int) -> ResponseReturnValue:
    case = case_for_applicant(db.session, current_user, case_id)
    document = documents.document_for(db.session, case, document_id)
    return send_file(documents.storage_for(current_app).open(document.storage_key), mimetype=document.media_type,
                     as_attachment=True, download_name=document.display_name, max_age=0)


def _replaced_document(case: Case) -> Document | None:
    raw = request.form.get("replaces", "")
    if not raw:
        return None
    if not raw.isdigit():
        raise NotFound(_("Page not found"))
    return documents.document_for(db.session, case, int(raw))


def _render_list(case: Case, *, errors: dict[str, str] | None = None, section: str | None = None,
                 status: int = 200) -> tuple[str, int]:
    all_versions = documents.documents_for(db.session, case)
    current = [document for document in all_versions if document.is_current]
    groups: list[tuple[str, list[Document]]] = []
    for document in current:
        title = SECTION_BY_KEY[document.section_key].title if document.section_key else _("Whole application")
        if not groups or groups[-1][0] != title:
            groups.append((title, []))
        groups[-1][1].append(document)
    section_items = [{"value": "", "text": _("Whole application")}] + [
        {"value": spec.key, "text": spec.title} for spec in SECTIONS]
    for item in section_items:
        item["selected"] = item["value"] == (section or "")
    return render_template(
        "portal/documents.html", case=case, groups=groups, history=documents.earlier_versions(all_versions),
        uploaders=documents.uploader_names(db.session, all_versions), can_upload=documents.can_upload(case),
        section_items=section_items, errors=errors or {}, max_mb=current_app.config["SANDBOX_MAX_UPLOAD_MB"],
        file_types=", ".join(file_type.label for file_type in ALLOWED_TYPES.values())), status


@bp.app_template_filter("document_size")
def document_size(size: int) -> str:
    """1.2 MB, 340 KB or 12 bytes."""
    if size >= 1024 * 1024:
        return _("%(number).1f MB", number=size / (1024 * 1024))
    if size >= 1024:
        return _("%(number)d KB", number=round(size / 1024))
    return _("%(number)d bytes", number=size)
