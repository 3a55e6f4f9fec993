"""Evidence files attached to an application: uploading, replacing (old versions are kept) and finding them.

The functions here flush and audit; the caller commits. Bytes go to a `DocumentStorage` (see storage.py) under a
random key, and only files whose contents match their name are kept (see filetypes.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from flask import Flask
from flask_babel import get_translations
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sandbox.accounts.models import User
from sandbox.applications.filetypes import UnsupportedFile, detect_file_type, safe_display_name
from sandbox.applications.models import Document
from sandbox.applications.sections import SECTION_BY_KEY, SECTIONS
from sandbox.applications.storage import FileTooLarge, LocalDiskStorage, describe_size
from sandbox.cases.models import Case
from sandbox.core.audit import record_event
from sandbox.core.errors import Conflict, DomainError, NotFound

# While the organisation is writing, and while it answers a request for information. Never after that.
UPLOAD_STATES = frozenset({"draft", "information_requested"})

_SECTION_ORDER = {section.key: position for position, section in enumerate(SECTIONS, start=1)}


class DocumentTooLarge(DomainError):
    """The file is bigger than the limit; nothing was kept."""

    status_code = 413

    def __init__(self, limit: int) -> None:
        super().__init__(_("The selected file must be smaller than %(size)s", size=describe_size(limit)), field="file")
        self.limit = limit


class DocumentRefused(DomainError):
    """The file's name or contents are not an accepted type (`reason` as in UnsupportedFile); nothing was kept."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message, field="file")
        self.reason = reason


def storage_for(app: Flask) -> LocalDiskStorage:
    """The storage for uploaded files, under app.config["SANDBOX_STORAGE_PATH"] (made on first use)."""
    return LocalDiskStorage(Path(app.config["SANDBOX_STORAGE_PATH"]))


def max_upload_bytes(app: Flask) -> int:
    """The largest file kept: the same as the largest request accepted (SANDBOX_MAX_UPLOAD_MB)."""
    return int(app.config["SANDBOX_MAX_UPLOAD_MB"]) * 1024 * 1024


def can_upload(case: Case) -> bool:
    return case.state in UPLOAD_STATES


def require_uploads_open(case: Case) -> None:
    """Conflict (409) unless documents may be added to the case now."""
    if not can_upload(case):
        raise Conflict(_("Documents can only be added while the application is a draft or while you are "
                         "answering a request for more information."))


def upload_document(session: Session, storage: LocalDiskStorage, case: Case, actor: User, stream: BinaryIO,
                    filename: str, section_key: str | None, max_bytes: int,
                    replaces: Document | None = None) -> Document:
    """Keep an uploaded file as a document of `case` (or as a new version of `replaces`) and audit it.

    Refused files (too large, wrong type, contents that do not match the name) leave nothing in storage.
    """
    require_uploads_open(case)
    if section_key is not None and section_key not in SECTION_BY_KEY:
        raise DomainError(_("Select which part of the application the document supports"), field="section")
    if replaces is not None:
        if replaces.case_id != case.id:
            raise NotFound(_("Page not found"))
        if not replaces.is_current:
            raise Conflict(_("“%(name)s” has already been replaced by a newer version. Reload the page to see it.",
                             name=replaces.display_name))
    try:
        blob = storage.save(stream, max_bytes)
    except FileTooLarge as too_large:
        raise DocumentTooLarge(too_large.limit) from None
    try:
        try:
            file_type = detect_file_type(storage.path_for(blob.key), filename)
        except UnsupportedFile as unsupported:
            # filetypes.py builds its English messages at run time; a catalogue that has one translates it.
            raise DocumentRefused(get_translations().gettext(unsupported.message), unsupported.reason) from None
        document = Document(case_id=case.id, section_key=section_key, storage_key=blob.key, sha256=blob.sha256,
                            size=blob.size, kind=file_type.kind, media_type=file_type.media_type,
                            display_name=safe_display_name(filename), uploaded_by_id=actor.id, is_current=True,
                            replaces_id=replaces.id if replaces is not None else None)
        if replaces is not None:
            # Only the first of two people replacing the same version at once wins; the other is told.
            retired = session.execute(
                update(Document).where(Document.id == replaces.id, Document.is_current.is_(True))
                .values(is_current=False).execution_options(synchronize_session="evaluate"))
            if retired.rowcount != 1:
                raise Conflict(_("Someone else replaced “%(name)s” while you were uploading. Reload the page "
                                 "to see their version.", name=replaces.display_name))
        session.add(document)
        session.flush()
        record_event(session, actor_id=actor.id, action="document.replaced" if replaces else "document.uploaded",
                     object_type="document", object_id=document.id, case_id=case.id,
                     details={"display_name": document.display_name, "section": section_key, "kind": file_type.kind,
                              "size": blob.size, "sha256": blob.sha256, "replaces": document.replaces_id})
    except BaseException:
        storage.discard(blob.key)  # not attached to any document that could be committed
        raise
    return document


def documents_for(session: Session, case: Case) -> list[Document]:
    """Every version of every document of the case: current ones first, each group in the order of the
    application's sections (the whole application first), newest first within a section."""
    documents = session.scalars(select(Document).where(Document.case_id == case.id)).all()
    return sorted(documents, key=lambda d: (not d.is_current, _SECTION_ORDER.get(d.section_key or "", 0),
                                            -d.id))


def document_for(session: Session, case: Case, document_id: int) -> Document:
    """The case's document with this id; NotFound for an unknown id or a document of another case."""
    document = session.get(Document, document_id)
    if document is None or document.case_id != case.id:
        raise NotFound(_("Page not found"))
    return document


def earlier_versions(documents: list[Document]) -> dict[int, list[Document]]:
    """{current document id: the versions it replaced, newest first}, from the documents of one case."""
    by_id = {document.id: document for document in documents}
    history: dict[int, list[Document]] = {}
    for document in documents:
        if not document.is_current:
            continue
        chain, seen = [], {document.id}
        older = by_id.get(document.replaces_id) if document.replaces_id else None
        while older is not None and older.id not in seen:
            chain.append(older)
            seen.add(older.id)
            older = by_id.get(older.replaces_id) if older.replaces_id else None
        history[document.id] = chain
    return history


def uploader_names(session: Session, documents: list[Document]) -> dict[int, str]:
    """{user id: full name} for the people who uploaded these documents."""
    ids = {document.uploaded_by_id for document in documents}
    if not ids:
        return {}
    return {user_id: name for user_id, name in session.execute(select(User.id, User.full_name).where(User.id.in_(ids)))}
