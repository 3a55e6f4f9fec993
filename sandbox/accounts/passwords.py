"""Password hashing with argon2id.

argon2-cffi's default profile (RFC 9106 "low memory": t=3, m=64 MiB, p=4) is above OWASP's
minimum for argon2id (m=19 MiB, t=2, p=1); a test holds us to that floor.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256

hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    # Verified against when the e-mail is unknown, so a wrong e-mail takes as long as a wrong password.
    return hasher.hash("not-a-real-password-used-for-timing")


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher.check_needs_rehash(password_hash)
