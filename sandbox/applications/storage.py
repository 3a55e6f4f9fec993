"""Where uploaded evidence files are kept: one small interface, local disk now, S3-compatible storage later.

Files are stored under random keys (never derived from the uploaded name, which is kept only as display text),
with their SHA-256 and size. The app never deletes a document: replacing one keeps the old version. The one
exception is `discard`, for a blob that was just saved and then refused (for example by `detect_file_type`)
before it was attached to any document.

Typical use::

    blob = storage.save(upload.stream, max_bytes)
    try:
        file_type = detect_file_type(storage.path_for(blob.key), upload.filename or "")
    except UnsupportedFile:
        storage.discard(blob.key)  # never attached to a document, so it may go
        raise
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
_KEY = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class StoredBlob:
    key: str  # 40 lower-case hex characters, random
    sha256: str  # hex digest of the stored bytes
    size: int  # bytes


class FileTooLarge(ValueError):
    """The upload is bigger than `limit` bytes. `message` is for the person."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.message = f"The selected file must be smaller than {describe_size(limit)}"
        super().__init__(self.message)


class DocumentStorage(Protocol):
    """Keeps uploaded files under random keys. Unknown or malformed keys raise KeyError."""

    def save(self, stream: BinaryIO, max_bytes: int) -> StoredBlob:
        """Store everything `stream` yields under a new random key; FileTooLarge (and nothing kept) when the
        stream holds more than `max_bytes`."""
        ...

    def open(self, key: str) -> BinaryIO:
        """The stored bytes, for reading. The caller closes it."""
        ...

    def exists(self, key: str) -> bool: ...

    def discard(self, key: str) -> None:
        """Remove a blob that was saved but refused. ONLY for blobs never attached to a document: documents
        are never destroyed by the app."""
        ...


class LocalDiskStorage:
    """Files under `root` (keep it outside the web root): `root/<key[:2]>/<key[2:4]>/<key>`, mode 0o600.

    Uploads are written to `root/tmp` first and renamed into place only once complete and within the limit.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.tmp = self.root / "tmp"
        self.tmp.mkdir(mode=0o700, exist_ok=True)

    def save(self, stream: BinaryIO, max_bytes: int) -> StoredBlob:
        digest = hashlib.sha256()
        size = 0
        descriptor, temporary_name = tempfile.mkstemp(prefix="upload-", dir=self.tmp)  # created with mode 0o600
        temporary = Path(temporary_name)
        try:
            with os.fdopen(descriptor, "wb") as out:
                while chunk := stream.read(CHUNK_BYTES):
                    size += len(chunk)
                    if size > max_bytes:
                        raise FileTooLarge(max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o600)
            key = secrets.token_hex(20)  # 160 random bits: a collision is not a practical concern
            destination = self.path_for(key)
            destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.replace(temporary, destination)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        _fsync_directory(destination.parent)
        return StoredBlob(key=key, sha256=digest.hexdigest(), size=size)

    def open(self, key: str) -> BinaryIO:
        try:
            return self.path_for(key).open("rb")
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        try:
            return self.path_for(key).is_file()
        except KeyError:
            return False

    def discard(self, key: str) -> None:
        """Remove a blob that was saved but refused. ONLY for blobs never attached to a document: documents
        are never destroyed by the app. Discarding a blob that is already gone does nothing."""
        self.path_for(key).unlink(missing_ok=True)

    def path_for(self, key: str) -> Path:
        """Where the blob with this key lives (whether or not it exists). KeyError unless `key` is 40 lower-case
        hex characters, so no key can reach outside the storage root."""
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise KeyError(key)
        return self.root / key[:2] / key[2:4] / key


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable. Not every platform can open a directory; there it is skipped."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


def describe_size(limit: int) -> str:
    """25MB, 1.5MB, 500KB or 12 bytes, in the GOV.UK style (no space before the unit), rounded down so that a
    file "smaller than" the figure shown is always accepted."""
    for unit, name in ((1024 * 1024, "MB"), (1024, "KB")):
        if limit >= unit:
            tenths = limit * 10 // unit
            return f"{tenths // 10}{name}" if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}{name}"
    return f"{limit} bytes"
