"""Password hashing (argon2id) and the password policy of NIST SP 800-63B §5.1.1.

800-63B asks for length, not composition rules: at least 8 characters (we take 12, as the hub
holds children's records), accept at least 64 (we accept 128), allow every printable character
and Unicode (normalised NFKC before counting and hashing), and refuse passwords found in lists of
commonly used or compromised values and context-specific words such as the username or the name of
the service. The embedded list is deliberately small; a deployment may check a breach corpus too.
"""

from __future__ import annotations

import functools
import secrets
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from hub.errors import Issue, IssueCode, ValidationError, error

MIN_LENGTH = 12
MAX_LENGTH = 128

# Argon2id with argon2-cffi's defaults (RFC 9106 second recommended option: t=3, m=64 MiB, p=4).
_HASHER = PasswordHasher()

# Frequent entries of public breach-frequency lists that reach 12 characters, plus the service's
# own name in the forms an attacker would try first (800-63B's "context-specific words").
_COMMON_TEXT = """
    123456789012 1234567890123 12345678901234 qwertyuiopas qwertyuiop123 1q2w3e4r5t6y
    1qaz2wsx3edc qazwsxedcrfv zaq12wsxcde3 passwordpassword password1234 password12345
    password123! passw0rd1234 p@ssw0rd1234 iloveyou1234 welcome12345 welcome1234! letmein12345
    changeme1234 administrator administrator1 adminadmin123 abc123456789 abcdefghijkl
    trustno1trustno1 football1234 baseball1234 superman1234 princess1234 sunshine1234
    monkey123456 dragon123456 master123456 whatever1234 starwars1234 qwerty123456 asdfghjkl123
    zxcvbnm12345 123123123123 correcthorsebatterystaple migrant12345 migrantstudent
    migranteducation studentrecords msixmsixmsix msixpassword msix12345678 msixhub12345
    schoolschool teacher12345 summer2024!!
"""
_COMMON = frozenset(_COMMON_TEXT.split())


def normalise(password: str) -> str:
    """NFKC, as 800-63B §5.1.1.2 asks, so the same password typed on two keyboards matches."""
    return unicodedata.normalize("NFKC", password)


def check_password(password: str, *, username: str | None = None) -> list[Issue]:
    """Every way `password` breaks the policy, located at `password`; empty when acceptable."""
    password = normalise(password)
    issues: list[Issue] = []
    folded = password.casefold()
    if len(password) < MIN_LENGTH:
        issues.append(_issue(IssueCode.VALUE, f"must be at least {MIN_LENGTH} characters"))
    if len(password) > MAX_LENGTH:
        issues.append(_issue(IssueCode.TOO_LONG, f"must be at most {MAX_LENGTH} characters"))
    if folded in _COMMON or folded.rstrip("!.1") in _COMMON:
        issues.append(_issue(IssueCode.BUSINESS_RULE, "is a commonly used password"))
    elif password and len(set(password)) == 1:
        issues.append(_issue(IssueCode.BUSINESS_RULE, "repeats a single character"))
    if username and username.casefold() in folded:
        issues.append(_issue(IssueCode.BUSINESS_RULE, "must not contain the username"))
    return issues


def require_valid_password(password: str, *, username: str | None = None) -> None:
    issues = check_password(password, username=username)
    if issues:
        raise ValidationError(issues)


def hash_password(password: str) -> str:
    return _HASHER.hash(normalise(password))


def verify_password(password_hash: str, password: str) -> bool:
    """True on a match; a wrong password or a damaged hash is simply False."""
    try:
        return _HASHER.verify(password_hash, normalise(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's; rehash on next login."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def burn_verification_time() -> None:
    """Spend what a real verification costs, so an unknown name answers as slowly as a known one."""
    verify_password(_dummy_hash(), secrets.token_urlsafe(16))


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(32))


def _issue(code: IssueCode, message: str) -> Issue:
    return error(code, f"password {message}", "password", rule="NIST SP 800-63B 5.1.1.2")
