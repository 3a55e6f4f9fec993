"""Which evidence files applicants may upload, decided by what the file contains as well as by its name.

`detect_file_type` reads a file the caller has already saved (see `LocalDiskStorage.path_for`) and accepts it only
when its extension and its contents agree. `safe_display_name` turns the name the browser sent into text that is
safe to show people; it is never used as a path.

Messages are plain English for people (GOV.UK wording); `UnsupportedFile.reason` is a stable code for logs and tests.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

CHUNK_BYTES = 64 * 1024
MARKUP_SCAN_CHARS = 64 * 1024  # how much of a text file is searched for "<script"
MAX_ZIP_ENTRIES = 2_000
MAX_ZIP_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_DISPLAY_NAME_CHARS = 200
MAX_EXTENSION_CHARS = 16  # a longer "extension" is treated as part of the name, never kept when trimming


@dataclass(frozen=True)
class FileType:
    kind: str
    label: str
    extensions: tuple[str, ...]  # lower case, with the dot
    media_type: str


ALLOWED_TYPES: Mapping[str, FileType] = MappingProxyType(
    {
        file_type.kind: file_type
        for file_type in (
            FileType("pdf", "PDF document", (".pdf",), "application/pdf"),
            FileType(
                "docx",
                "Word document (DOCX)",
                (".docx",),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
            FileType(
                "xlsx",
                "Excel spreadsheet (XLSX)",
                (".xlsx",),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            FileType("png", "PNG image", (".png",), "image/png"),
            FileType("jpeg", "JPEG image", (".jpg", ".jpeg"), "image/jpeg"),
            FileType("csv", "CSV file", (".csv",), "text/csv"),
            FileType("txt", "Plain text file", (".txt",), "text/plain"),
        )
    }
)

_TYPE_BY_EXTENSION: Mapping[str, FileType] = MappingProxyType(
    {extension: file_type for file_type in ALLOWED_TYPES.values() for extension in file_type.extensions}
)

# How each kind is named inside a sentence ("is not really a PDF").
_IN_A_SENTENCE = {
    "pdf": "a PDF",
    "docx": "a Word (DOCX) document",
    "xlsx": "an Excel (XLSX) spreadsheet",
    "png": "a PNG image",
    "jpeg": "a JPEG image",
    "csv": "a CSV file",
    "txt": "a plain text file",
}

WRONG_TYPE_MESSAGE = "The selected file must be a PDF, Word (DOCX), Excel (XLSX), PNG, JPEG, CSV or plain text file"
EMPTY_MESSAGE = "The selected file is empty"

_PDF_MAGIC = b"%PDF-"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # password-protected Office files and old .doc/.xls
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_OOXML_MARKERS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
_MARKUP_STARTS = ("<!doctype", "<html", "<script", "<?xml", "<svg")
_LEADING_SPACE = re.compile(r"^[\s\ufeff]+")
_PATH_SEPARATORS = re.compile(r"[/\\]")
_DRIVE = re.compile(r"^[A-Za-z]:")


class UnsupportedFile(ValueError):
    """The upload is refused. `message` is for the person; `reason` is one of: extension, empty, mismatch,
    protected, archive, encoding, binary, markup."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


def detect_file_type(path: Path, filename: str) -> FileType:
    """The type of the file saved at `path`, uploaded under the name `filename`.

    The extension (case-insensitive, taken from the name as `safe_display_name` shows it) chooses the expected
    type, and the contents must be of that type; otherwise `UnsupportedFile` says what is wrong.
    """
    extension = _split_extension(safe_display_name(filename))[1].lower()
    file_type = _TYPE_BY_EXTENSION.get(extension)
    if file_type is None:
        raise UnsupportedFile(WRONG_TYPE_MESSAGE, reason="extension")
    size = path.stat().st_size
    if size == 0:
        raise UnsupportedFile(EMPTY_MESSAGE, reason="empty")
    with path.open("rb") as stream:
        head = stream.read(len(_OLE_MAGIC))
    if file_type.kind == "pdf":
        _require(head.startswith(_PDF_MAGIC), file_type, extension)
    elif file_type.kind == "png":
        _require(head.startswith(_PNG_MAGIC), file_type, extension)
    elif file_type.kind == "jpeg":
        _require(head.startswith(_JPEG_MAGIC), file_type, extension)
    elif file_type.kind in _OOXML_MARKERS:
        _check_office(path, head, file_type, extension)
    else:
        _check_text(path, size, file_type, extension)
    return file_type


def safe_display_name(filename: str) -> str:
    """The uploaded file's name as shown to people: last path component only, no control characters or leading
    dots, whitespace collapsed, NFC, at most 200 characters with the extension kept. Never use it as a path."""
    name = _PATH_SEPARATORS.split(filename)[-1]
    # Tabs, newlines and other white space become one space; other control and format characters (NUL,
    # right-to-left overrides, zero-width joiners, unassigned code points) are dropped.
    name = "".join(" " if char.isspace() else char for char in name if not _is_hidden_character(char))
    name = unicodedata.normalize("NFC", " ".join(name.split()))
    stem, extension = _split_extension(name)
    if not stem.strip(". ") and extension.lower() in _TYPE_BY_EXTENSION:
        return "document" + extension  # a name that was only ".pdf"
    name = name.lstrip(". ")
    if not name:
        return "document"
    if len(name) <= MAX_DISPLAY_NAME_CHARS:
        return name
    stem, extension = _split_extension(name)
    return stem[: MAX_DISPLAY_NAME_CHARS - len(extension)].rstrip() + extension


def _is_hidden_character(char: str) -> bool:
    return unicodedata.category(char).startswith("C") and not char.isspace()


def _split_extension(name: str) -> tuple[str, str]:
    """("report", ".pdf") for "report.pdf"; ("name", "") when there is no plausible extension."""
    dot = name.rfind(".")
    extension = name[dot:] if dot >= 0 else ""
    if not 2 <= len(extension) <= MAX_EXTENSION_CHARS or any(char.isspace() for char in extension):
        return name, ""
    return name[:dot], extension


def _require(condition: bool, file_type: FileType, extension: str) -> None:
    if not condition:
        raise _mismatch(file_type, extension)


def _mismatch(file_type: FileType, extension: str) -> UnsupportedFile:
    return UnsupportedFile(
        f"The selected file is not really {_IN_A_SENTENCE[file_type.kind]}: "
        f"its contents do not match its {extension} name",
        reason="mismatch",
    )


def _check_office(path: Path, head: bytes, file_type: FileType, extension: str) -> None:
    if head.startswith(_OLE_MAGIC):
        raise UnsupportedFile(
            f"The selected file is password protected or saved in an old format: save it as "
            f"{_IN_A_SENTENCE[file_type.kind]} without a password and try again",
            reason="protected",
        )
    # The local header must come first: is_zipfile alone accepts anything with a ZIP glued on the end.
    _require(head.startswith(_ZIP_MAGIC) and zipfile.is_zipfile(path), file_type, extension)
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise _mismatch(file_type, extension) from None
    if len(entries) > MAX_ZIP_ENTRIES:
        raise UnsupportedFile("The selected file contains too many parts to be checked safely", reason="archive")
    if sum(entry.file_size for entry in entries) > MAX_ZIP_UNCOMPRESSED_BYTES:
        raise UnsupportedFile("The selected file is too large when unpacked", reason="archive")
    if any(_unsafe_entry_name(entry.filename) for entry in entries):
        raise UnsupportedFile("The selected file contains unsafe file paths", reason="archive")
    names = {entry.filename for entry in entries}
    _require("[Content_Types].xml" in names and _OOXML_MARKERS[file_type.kind] in names, file_type, extension)


def _unsafe_entry_name(name: str) -> bool:
    return name.startswith(("/", "\\")) or bool(_DRIVE.match(name)) or ".." in _PATH_SEPARATORS.split(name)


def _check_text(path: Path, size: int, file_type: FileType, extension: str) -> None:
    """UTF-8 (a BOM is allowed) all the way through, no NUL bytes, not empty, not a web page or script."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    head_parts: list[str] = []
    head_chars = 0
    has_content = False
    remaining = size  # never read past the size the file had when checking began
    with path.open("rb") as stream:
        while remaining > 0 and (chunk := stream.read(min(CHUNK_BYTES, remaining))):
            if remaining == size and chunk.startswith(_UTF16_BOMS):
                raise _not_utf8()
            remaining -= len(chunk)
            if b"\x00" in chunk:
                raise UnsupportedFile(
                    f"The selected file is not really {_IN_A_SENTENCE[file_type.kind]}: it contains binary data",
                    reason="binary",
                )
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError:
                raise _not_utf8() from None
            has_content = has_content or bool(_LEADING_SPACE.sub("", text))
            if head_chars < MARKUP_SCAN_CHARS:
                head_parts.append(text[: MARKUP_SCAN_CHARS - head_chars])
                head_chars += len(head_parts[-1])
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise _not_utf8() from None
    if not has_content:
        raise UnsupportedFile(EMPTY_MESSAGE, reason="empty")
    head = _LEADING_SPACE.sub("", "".join(head_parts)).lower()
    if head.startswith(_MARKUP_STARTS) or "<script" in head:
        raise UnsupportedFile(
            f"The selected file looks like a web page or script, not {_IN_A_SENTENCE[file_type.kind]}",
            reason="markup",
        )
    _require(not head.startswith(("%pdf-", "pk\x03\x04")), file_type, extension)


def _not_utf8() -> UnsupportedFile:
    return UnsupportedFile("The selected file must be saved as UTF-8 text", reason="encoding")
