"""Evidence uploads are recognised by content and extension together; display names are safe to show."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from sandbox.applications import filetypes
from sandbox.applications.filetypes import (
    ALLOWED_TYPES,
    EMPTY_MESSAGE,
    WRONG_TYPE_MESSAGE,
    FileType,
    UnsupportedFile,
    detect_file_type,
    safe_display_name,
)

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
CSV = "\ufeffname,score\nZoë,3\n".encode()
TXT = "\ufeffThe model was evaluated on 1,000 cases — see annex B.\n".encode()
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
CONTENT_TYPES = b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def write(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "upload.bin"  # the caller's temporary file never carries the uploaded name
    path.write_bytes(content)
    return path


def write_zip(tmp_path: Path, entries: dict[str, bytes]) -> Path:
    path = tmp_path / "upload.bin"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def docx_entries() -> dict[str, bytes]:
    return {"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": b"<Relationships/>", "word/document.xml": b"<w/>"}


def xlsx_entries() -> dict[str, bytes]:
    return {"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": b"<Relationships/>", "xl/workbook.xml": b"<x/>"}


def refusal(path: Path, filename: str) -> UnsupportedFile:
    with pytest.raises(UnsupportedFile) as caught:
        detect_file_type(path, filename)
    return caught.value


# --- the table of types ---


def test_allowed_types_each_kind_has_its_correct_media_type() -> None:
    assert {kind: file_type.media_type for kind, file_type in ALLOWED_TYPES.items()} == {
        "pdf": "application/pdf",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "png": "image/png",
        "jpeg": "image/jpeg",
        "csv": "text/csv",
        "txt": "text/plain",
    }
    assert ALLOWED_TYPES["jpeg"].extensions == (".jpg", ".jpeg")
    assert ALLOWED_TYPES["pdf"].label == "PDF document"


def test_allowed_types_cannot_be_changed() -> None:
    with pytest.raises(TypeError):
        ALLOWED_TYPES["exe"] = ALLOWED_TYPES["pdf"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        ALLOWED_TYPES["pdf"].media_type = "text/html"  # type: ignore[misc]


# --- accepted files ---


@pytest.mark.parametrize(
    ("content", "filename", "kind"),
    [
        (PDF, "report.pdf", "pdf"),
        (PNG, "diagram.png", "png"),
        (JPEG, "photo.jpg", "jpeg"),
        (JPEG, "photo.jpeg", "jpeg"),
        (CSV, "results.csv", "csv"),
        (TXT, "notes.txt", "txt"),
    ],
)
def test_detect_file_type_valid_simple_file_is_accepted(
    tmp_path: Path, content: bytes, filename: str, kind: str
) -> None:
    assert detect_file_type(write(tmp_path, content), filename) is ALLOWED_TYPES[kind]


def test_detect_file_type_valid_docx_is_accepted(tmp_path: Path) -> None:
    assert detect_file_type(write_zip(tmp_path, docx_entries()), "policy.docx").kind == "docx"


def test_detect_file_type_valid_xlsx_is_accepted(tmp_path: Path) -> None:
    assert detect_file_type(write_zip(tmp_path, xlsx_entries()), "metrics.xlsx").kind == "xlsx"


@pytest.mark.parametrize("filename", ["REPORT.PDF", "Report.Pdf", "C:\\Users\\x\\report.PDF"])
def test_detect_file_type_extension_in_any_case_is_accepted(tmp_path: Path, filename: str) -> None:
    assert detect_file_type(write(tmp_path, PDF), filename).kind == "pdf"


def test_detect_file_type_text_without_bom_is_accepted(tmp_path: Path) -> None:
    assert detect_file_type(write(tmp_path, b"a,b\n1,2\n"), "plain.csv").kind == "csv"


def test_detect_file_type_character_split_across_read_chunks_is_accepted(tmp_path: Path) -> None:
    content = b"a" * (filetypes.CHUNK_BYTES - 1) + "é".encode() + b"\n"  # the two bytes of é straddle the chunks
    assert detect_file_type(write(tmp_path, content), "long.txt").kind == "txt"


def test_detect_file_type_script_beyond_the_scanned_start_is_accepted(tmp_path: Path) -> None:
    content = b"x" * filetypes.MARKUP_SCAN_CHARS + b"<script>"
    assert detect_file_type(write(tmp_path, content), "log.txt").kind == "txt"


# --- wrong extension ---


@pytest.mark.parametrize("filename", ["setup.exe", "page.html", "logo.svg", "report", "report.pdf.exe", ""])
def test_detect_file_type_unsupported_extension_is_refused(tmp_path: Path, filename: str) -> None:
    error = refusal(write(tmp_path, PDF), filename)
    assert error.message == WRONG_TYPE_MESSAGE
    assert error.message == (
        "The selected file must be a PDF, Word (DOCX), Excel (XLSX), PNG, JPEG, CSV or plain text file"
    )
    assert error.reason == "extension"
    assert str(error) == error.message


def test_detect_file_type_right_to_left_override_is_judged_by_the_name_shown(tmp_path: Path) -> None:
    # "invoice\u202efdp.exe" is displayed by browsers as "invoiceexe.pdf"; it is really an .exe.
    assert refusal(write(tmp_path, PDF), "invoice\u202efdp.exe").reason == "extension"


# --- empty ---


def test_detect_file_type_empty_file_is_refused(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, b""), "report.pdf")
    assert (error.message, error.reason) == (EMPTY_MESSAGE, "empty")
    assert error.message == "The selected file is empty"


def test_detect_file_type_text_with_only_bom_and_spaces_is_refused_as_empty(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, "\ufeff  \n\t\n".encode()), "notes.txt")
    assert (error.message, error.reason) == (EMPTY_MESSAGE, "empty")


# --- contents that do not match the name ---


def test_detect_file_type_pdf_that_is_really_html_is_refused(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, HTML), "report.pdf")
    assert error.reason == "mismatch"
    assert error.message == "The selected file is not really a PDF: its contents do not match its .pdf name"


def test_detect_file_type_pdf_signature_after_leading_junk_is_refused(tmp_path: Path) -> None:
    assert refusal(write(tmp_path, b"junk" + PDF), "report.pdf").reason == "mismatch"


@pytest.mark.parametrize(
    ("content", "filename", "noun"),
    [
        (JPEG, "diagram.png", "a PNG image"),
        (PNG, "photo.JPG", "a JPEG image"),
        (PDF, "policy.docx", "a Word (DOCX) document"),
    ],
)
def test_detect_file_type_other_type_behind_the_extension_is_refused(
    tmp_path: Path, content: bytes, filename: str, noun: str
) -> None:
    error = refusal(write(tmp_path, content), filename)
    extension = filename[filename.rfind(".") :].lower()
    assert error.message == f"The selected file is not really {noun}: its contents do not match its {extension} name"


@pytest.mark.parametrize(
    "content",
    [
        HTML,
        b"  \n<html><body>hello</body></html>",
        "\ufeff\n <!doctype html>".encode(),
        b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>",
        b"<SVG onload=alert(1)>",
        b"<Script>alert(1)</Script>",
        b"Totally harmless notes\nuntil <sCrIpT src=//evil.example/x.js></script>",
    ],
)
def test_detect_file_type_txt_that_is_really_html_is_refused(tmp_path: Path, content: bytes) -> None:
    error = refusal(write(tmp_path, content), "notes.txt")
    assert error.reason == "markup"
    assert error.message == "The selected file looks like a web page or script, not a plain text file"


def test_detect_file_type_csv_that_is_really_html_is_refused(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, HTML), "results.csv")
    assert error.message == "The selected file looks like a web page or script, not a CSV file"


def test_detect_file_type_txt_that_is_really_a_pdf_is_refused(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, PDF), "notes.txt")
    assert error.message == "The selected file is not really a plain text file: its contents do not match its .txt name"


def test_detect_file_type_csv_with_non_utf8_bytes_is_refused(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, "name,score\nZoë,3\n".encode("latin-1")), "results.csv")
    assert (error.reason, error.message) == ("encoding", "The selected file must be saved as UTF-8 text")


def test_detect_file_type_csv_cut_off_inside_a_character_is_refused(tmp_path: Path) -> None:
    assert refusal(write(tmp_path, "name\nZoë".encode()[:-1]), "results.csv").reason == "encoding"


def test_detect_file_type_csv_in_utf16_is_refused_as_wrong_encoding(tmp_path: Path) -> None:
    assert refusal(write(tmp_path, "name,score\n".encode("utf-16")), "results.csv").reason == "encoding"


def test_detect_file_type_txt_with_nul_byte_is_refused(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, b"hello\x00world\n"), "notes.txt")
    assert error.reason == "binary"
    assert error.message == "The selected file is not really a plain text file: it contains binary data"


# --- Word and Excel files ---


def test_detect_file_type_docx_that_is_a_plain_zip_is_refused(tmp_path: Path) -> None:
    path = write_zip(tmp_path, {"[Content_Types].xml": CONTENT_TYPES, "readme.txt": b"hello"})
    error = refusal(path, "policy.docx")
    assert error.reason == "mismatch"
    assert error.message == (
        "The selected file is not really a Word (DOCX) document: its contents do not match its .docx name"
    )


def test_detect_file_type_docx_without_content_types_is_refused(tmp_path: Path) -> None:
    assert refusal(write_zip(tmp_path, {"word/document.xml": b"<w/>"}), "policy.docx").reason == "mismatch"


def test_detect_file_type_xlsx_that_is_really_a_docx_is_refused(tmp_path: Path) -> None:
    error = refusal(write_zip(tmp_path, docx_entries()), "metrics.xlsx")
    assert error.message == (
        "The selected file is not really an Excel (XLSX) spreadsheet: its contents do not match its .xlsx name"
    )


def test_detect_file_type_docx_with_html_in_front_of_the_zip_is_refused(tmp_path: Path) -> None:
    zipped = write_zip(tmp_path, docx_entries()).read_bytes()
    polyglot = write(tmp_path, HTML + zipped)
    assert zipfile.is_zipfile(polyglot)  # zipfile alone would accept it
    assert refusal(polyglot, "policy.docx").reason == "mismatch"


def test_detect_file_type_truncated_zip_is_refused(tmp_path: Path) -> None:
    zipped = write_zip(tmp_path, docx_entries()).read_bytes()
    assert refusal(write(tmp_path, zipped[:40]), "policy.docx").reason == "mismatch"


def test_detect_file_type_password_protected_docx_is_refused_with_advice(tmp_path: Path) -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    error = refusal(write(tmp_path, ole), "policy.docx")
    assert error.reason == "protected"
    assert error.message == (
        "The selected file is password protected or saved in an old format: "
        "save it as a Word (DOCX) document without a password and try again"
    )


@pytest.mark.parametrize(
    "bad_name", ["../evil", "word/../../evil", "/etc/cron.d/evil", "\\evil", "C:/evil", "a\\..\\b"]
)
def test_detect_file_type_zip_with_unsafe_entry_path_is_refused(tmp_path: Path, bad_name: str) -> None:
    path = write_zip(tmp_path, {**docx_entries(), bad_name: b"x"})
    error = refusal(path, "policy.docx")
    assert (error.reason, error.message) == ("archive", "The selected file contains unsafe file paths")


def test_detect_file_type_zip_with_too_many_entries_is_refused(tmp_path: Path) -> None:
    entries = docx_entries() | {f"word/media/{number}.bin": b"" for number in range(filetypes.MAX_ZIP_ENTRIES)}
    error = refusal(write_zip(tmp_path, entries), "policy.docx")
    assert error.reason == "archive"
    assert error.message == "The selected file contains too many parts to be checked safely"


def test_detect_file_type_zip_with_exactly_the_maximum_entries_is_accepted(tmp_path: Path) -> None:
    entries = docx_entries()
    entries |= {f"word/media/{number}.bin": b"" for number in range(filetypes.MAX_ZIP_ENTRIES - len(entries))}
    assert detect_file_type(write_zip(tmp_path, entries), "policy.docx").kind == "docx"


def test_detect_file_type_zip_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(filetypes, "MAX_ZIP_UNCOMPRESSED_BYTES", 100_000)  # 200 MB of zeros would slow the suite
    path = write_zip(tmp_path, {**docx_entries(), "word/media/bomb.bin": b"\x00" * 100_001})
    assert path.stat().st_size < 2_000
    error = refusal(path, "policy.docx")
    assert (error.reason, error.message) == ("archive", "The selected file is too large when unpacked")


def test_detect_file_type_limits_are_the_documented_ones() -> None:
    assert filetypes.MAX_ZIP_ENTRIES == 2_000
    assert filetypes.MAX_ZIP_UNCOMPRESSED_BYTES == 200 * 1024 * 1024


# --- display names ---


@pytest.mark.parametrize(
    ("filename", "shown"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        ("folder/sub\\mixed/report.pdf", "report.pdf"),
        ("a\x00b\nc.pdf", "ab c.pdf"),  # NUL dropped; a newline or tab becomes one space
        ("a\tb\r\n\r\nc.pdf", "a b c.pdf"),
        ("  lots   of\u00a0 space  .pdf", "lots of space .pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override removed
        ("zero\u200bwidth.pdf", "zerowidth.pdf"),
        (".hidden", "hidden"),
        ("...hidden.txt", "hidden.txt"),
        (". .hidden", "hidden"),
        (".pdf", "document.pdf"),
        ("\x00\x01.PDF", "document.PDF"),
        ("", "document"),
        ("...", "document"),
        ("/", "document"),
        ("dir/\x07\x08", "document"),
        ("Zoe\u0308.pdf", "Zoë.pdf"),  # NFC: e + combining diaeresis becomes one character
    ],
)
def test_safe_display_name_untrusted_name_gives_safe_text(filename: str, shown: str) -> None:
    assert safe_display_name(filename) == shown


def test_safe_display_name_nfc_is_applied() -> None:
    assert safe_display_name("Zoe\u0308.pdf") == "Zo\u00eb.pdf"


def test_safe_display_name_very_long_name_is_trimmed_keeping_extension() -> None:
    shown = safe_display_name("a" * 300 + ".pdf")
    assert shown == "a" * 196 + ".pdf"
    assert len(shown) == 200


def test_safe_display_name_long_name_without_extension_is_trimmed() -> None:
    assert safe_display_name("b" * 300) == "b" * 200


def test_safe_display_name_long_suffix_is_not_kept_as_an_extension() -> None:
    shown = safe_display_name("report." + "x" * 300)
    assert shown == ("report." + "x" * 300)[:200]


def test_safe_display_name_trimming_does_not_leave_space_before_extension() -> None:
    assert safe_display_name("a" * 195 + " " + "b" * 50 + ".pdf") == "a" * 195 + ".pdf"


def test_file_type_is_frozen_dataclass() -> None:
    file_type = FileType("pdf", "PDF document", (".pdf",), "application/pdf")
    assert file_type == ALLOWED_TYPES["pdf"]
    assert hash(file_type) == hash(ALLOWED_TYPES["pdf"])
