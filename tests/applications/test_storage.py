"""Uploaded files are kept under random keys with their hash and size, never under the uploaded name."""

from __future__ import annotations

import hashlib
import io
import re
import stat
from pathlib import Path

import pytest

from sandbox.applications.filetypes import UnsupportedFile, detect_file_type
from sandbox.applications.storage import (
    CHUNK_BYTES,
    DEFAULT_MAX_BYTES,
    DocumentStorage,
    FileTooLarge,
    LocalDiskStorage,
    StoredBlob,
)

CONTENT = b"%PDF-1.4\n" + bytes(range(256)) * 1000 + b"\n%%EOF\n"  # several read chunks long


@pytest.fixture
def storage(tmp_path: Path) -> LocalDiskStorage:
    return LocalDiskStorage(tmp_path / "documents")


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def test_local_disk_storage_meets_the_document_storage_protocol(storage: LocalDiskStorage) -> None:
    as_protocol: DocumentStorage = storage
    assert as_protocol is storage
    assert DEFAULT_MAX_BYTES == 25 * 1024 * 1024


def test_local_disk_storage_missing_root_is_created_private(tmp_path: Path) -> None:
    root = tmp_path / "not" / "yet" / "there"
    LocalDiskStorage(root)
    assert root.is_dir()
    assert stat.S_IMODE(root.stat().st_mode) & 0o077 == 0
    assert (root / "tmp").is_dir()


def test_save_then_open_round_trip_returns_same_bytes_with_sha256_and_size(storage: LocalDiskStorage) -> None:
    assert len(CONTENT) > 2 * CHUNK_BYTES
    blob = storage.save(io.BytesIO(CONTENT), max_bytes=len(CONTENT))
    assert isinstance(blob, StoredBlob)
    assert blob.sha256 == hashlib.sha256(CONTENT).hexdigest()
    assert blob.size == len(CONTENT)
    assert re.fullmatch(r"[0-9a-f]{40}", blob.key)
    assert storage.exists(blob.key)
    with storage.open(blob.key) as stream:
        assert stream.read() == CONTENT


def test_save_empty_stream_is_stored_with_size_zero(storage: LocalDiskStorage) -> None:
    blob = storage.save(io.BytesIO(b""), max_bytes=10)
    assert (blob.size, blob.sha256) == (0, hashlib.sha256(b"").hexdigest())


def test_save_file_is_stored_under_root_by_random_key_not_by_its_name(
    storage: LocalDiskStorage, tmp_path: Path
) -> None:
    upload = tmp_path / "secret-merger-plan.pdf"
    upload.write_bytes(CONTENT)
    with upload.open("rb") as stream:
        blob = storage.save(stream, max_bytes=DEFAULT_MAX_BYTES)
    path = storage.path_for(blob.key)
    assert path == storage.root / blob.key[:2] / blob.key[2:4] / blob.key
    assert path.resolve().is_relative_to(storage.root.resolve())
    assert path.read_bytes() == CONTENT
    assert "secret" not in str(path)
    assert "merger" not in str(path)
    assert stored_files(storage.root) == [path]


def test_save_same_content_twice_gives_different_keys(storage: LocalDiskStorage) -> None:
    first = storage.save(io.BytesIO(CONTENT), max_bytes=DEFAULT_MAX_BYTES)
    second = storage.save(io.BytesIO(CONTENT), max_bytes=DEFAULT_MAX_BYTES)
    assert first.key != second.key
    assert first.sha256 == second.sha256


def test_save_stored_file_has_mode_0600(storage: LocalDiskStorage) -> None:
    blob = storage.save(io.BytesIO(CONTENT), max_bytes=DEFAULT_MAX_BYTES)
    assert stat.S_IMODE(storage.path_for(blob.key).stat().st_mode) == 0o600


def test_save_exactly_at_limit_is_accepted(storage: LocalDiskStorage) -> None:
    assert storage.save(io.BytesIO(b"12345"), max_bytes=5).size == 5


def test_save_over_limit_raises_file_too_large_and_leaves_nothing_behind(storage: LocalDiskStorage) -> None:
    with pytest.raises(FileTooLarge) as caught:
        storage.save(io.BytesIO(CONTENT), max_bytes=CHUNK_BYTES + 1)
    assert caught.value.limit == CHUNK_BYTES + 1
    assert list(storage.tmp.iterdir()) == []
    assert stored_files(storage.root) == []


def test_save_one_byte_over_limit_raises_file_too_large(storage: LocalDiskStorage) -> None:
    with pytest.raises(FileTooLarge):
        storage.save(io.BytesIO(b"123456"), max_bytes=5)
    assert list(storage.tmp.iterdir()) == []


def test_save_stream_failing_midway_leaves_nothing_behind(storage: LocalDiskStorage) -> None:
    class Broken(io.RawIOBase):
        def __init__(self) -> None:
            self.calls = 0

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            self.calls += 1
            if self.calls > 1:
                raise OSError("connection reset")
            return b"x" * 10

    with Broken() as stream, pytest.raises(OSError, match="connection reset"):
        storage.save(stream, max_bytes=DEFAULT_MAX_BYTES)  # type: ignore[arg-type]
    assert stored_files(storage.root) == []


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        (25 * 1024 * 1024, "The selected file must be smaller than 25MB"),
        (1536 * 1024, "The selected file must be smaller than 1.5MB"),
        (500 * 1024, "The selected file must be smaller than 500KB"),
        (12, "The selected file must be smaller than 12 bytes"),
    ],
)
def test_file_too_large_message_names_the_limit(limit: int, message: str) -> None:
    error = FileTooLarge(limit)
    assert (error.limit, error.message, str(error)) == (limit, message, message)
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    "key",
    [
        "../x",
        "../" + "a" * 37,
        "A" * 40,
        "a" * 39,
        "a" * 41,
        "a" * 40 + "\n",
        "g" * 40,
        "",
        "tmp",
        "/etc/passwd",
    ],
)
def test_open_malformed_key_raises_key_error(storage: LocalDiskStorage, key: str) -> None:
    with pytest.raises(KeyError):
        storage.open(key)
    with pytest.raises(KeyError):
        storage.path_for(key)
    with pytest.raises(KeyError):
        storage.discard(key)
    assert storage.exists(key) is False


def test_open_uppercase_form_of_real_key_raises_key_error(storage: LocalDiskStorage) -> None:
    blob = storage.save(io.BytesIO(CONTENT), max_bytes=DEFAULT_MAX_BYTES)
    with pytest.raises(KeyError):
        storage.open(blob.key.upper())


def test_open_unknown_key_raises_key_error(storage: LocalDiskStorage) -> None:
    with pytest.raises(KeyError):
        storage.open("0" * 40)
    assert storage.exists("0" * 40) is False


def test_discard_removes_the_blob(storage: LocalDiskStorage) -> None:
    blob = storage.save(io.BytesIO(CONTENT), max_bytes=DEFAULT_MAX_BYTES)
    storage.discard(blob.key)
    assert not storage.exists(blob.key)
    assert stored_files(storage.root) == []
    storage.discard(blob.key)  # a second discard does nothing


def test_save_then_detect_refused_upload_is_discarded(storage: LocalDiskStorage) -> None:
    blob = storage.save(io.BytesIO(b"<html><script>alert(1)</script></html>"), max_bytes=DEFAULT_MAX_BYTES)
    with pytest.raises(UnsupportedFile):
        try:
            detect_file_type(storage.path_for(blob.key), "report.pdf")
        except UnsupportedFile:
            storage.discard(blob.key)
            raise
    assert stored_files(storage.root) == []


def test_save_then_detect_accepted_upload_is_kept(storage: LocalDiskStorage) -> None:
    blob = storage.save(io.BytesIO(CONTENT), max_bytes=DEFAULT_MAX_BYTES)
    assert detect_file_type(storage.path_for(blob.key), "Report.PDF").kind == "pdf"
    assert storage.exists(blob.key)
