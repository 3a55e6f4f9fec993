from __future__ import annotations

from argon2 import Type, extract_parameters

from sandbox.accounts.passwords import hash_password, needs_rehash, verify_password

OWASP_MIN_MEMORY_KIB = 19 * 1024
OWASP_MIN_TIME_COST = 2


def test_hash_password_uses_argon2id_at_or_above_owasp_minimum():
    encoded = hash_password("a long enough password")
    params = extract_parameters(encoded)
    assert encoded.startswith("$argon2id$") and params.type is Type.ID
    assert params.memory_cost >= OWASP_MIN_MEMORY_KIB
    assert params.time_cost >= OWASP_MIN_TIME_COST
    assert not needs_rehash(encoded)


def test_verify_password_accepts_right_and_refuses_wrong_or_missing():
    encoded = hash_password("a long enough password")
    assert verify_password(encoded, "a long enough password")
    assert not verify_password(encoded, "a long enough passwore")
    assert not verify_password(None, "a long enough password")
    assert not verify_password("not-a-hash", "a long enough password")
