from __future__ import annotations

import pytest

from hub.errors import IssueCode
from hub.security.passwords import (
    MAX_LENGTH,
    check_password,
    hash_password,
    needs_rehash,
    verify_password,
)


def test_hash_verifies_the_same_password_only() -> None:
    hashed = hash_password("violet tractor at dawn")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "violet tractor at dawn")
    assert not verify_password(hashed, "violet tractor at dusk")


def test_hash_is_salted() -> None:
    assert hash_password("violet tractor at dawn") != hash_password("violet tractor at dawn")


def test_damaged_hash_never_verifies() -> None:
    assert not verify_password("not-a-hash", "violet tractor at dawn")
    assert not verify_password("", "")


def test_password_is_normalised_before_hashing() -> None:
    # U+FB01 (the "fi" ligature) and "fi" are the same password once NFKC-normalised.
    hashed = hash_password("\ufb01eld of strawberries")
    assert verify_password(hashed, "field of strawberries")


def test_weaker_parameters_need_a_rehash() -> None:
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("violet tractor")
    assert needs_rehash(weak)
    assert not needs_rehash(hash_password("violet tractor at dawn"))
    assert needs_rehash("garbage")


def test_good_long_passphrase_passes() -> None:
    assert check_password("orchard ladder 7 under the moon", username="mlopez") == []


def test_unicode_passphrase_passes() -> None:
    assert check_password("canción de cosecha en julio") == []


@pytest.mark.parametrize(
    ("password", "code", "fragment"),
    [
        ("short1!", IssueCode.VALUE, "at least 12"),
        ("x" * (MAX_LENGTH + 1), IssueCode.TOO_LONG, f"at most {MAX_LENGTH}"),
        ("password1234", IssueCode.BUSINESS_RULE, "commonly used"),
        ("Password1234!", IssueCode.BUSINESS_RULE, "commonly used"),
        ("QWERTY123456", IssueCode.BUSINESS_RULE, "commonly used"),
        ("msixpassword", IssueCode.BUSINESS_RULE, "commonly used"),
        ("zzzzzzzzzzzzzz", IssueCode.BUSINESS_RULE, "single character"),
        ("mlopez-orchard-2025", IssueCode.BUSINESS_RULE, "username"),
    ],
)
def test_policy_refuses_with_a_located_issue(password: str, code: IssueCode, fragment: str) -> None:
    issues = check_password(password, username="mlopez")
    assert any(issue.code is code and fragment in issue.message for issue in issues), issues
    assert all(issue.location == "password" for issue in issues)


def test_policy_reports_every_problem_at_once() -> None:
    issues = check_password("mlopez", username="mlopez")
    assert {issue.code for issue in issues} == {IssueCode.VALUE, IssueCode.BUSINESS_RULE}
