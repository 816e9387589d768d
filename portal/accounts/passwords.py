"""Password hashing (argon2) and the rules a new password must meet."""

from __future__ import annotations

import re
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 128

_hasher = PasswordHasher()
# Verified against when the account does not exist, so that a wrong address
# takes as long as a wrong password and timing reveals nothing.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


def configure_hashing(time_cost: int | None, memory_cost_kib: int | None) -> None:
    """Set argon2's cost (the library's recommended defaults unless given).

    Tests lower it so that hundreds of sign-ins take seconds, not minutes.
    """
    global _hasher, _DUMMY_HASH
    defaults = PasswordHasher()
    _hasher = PasswordHasher(
        time_cost=time_cost or defaults.time_cost, memory_cost=memory_cost_kib or defaults.memory_cost
    )
    _DUMMY_HASH = _hasher.hash("not a real password, only for timing")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords (zxcvbn's list, drawn from real leaks)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def is_common(password: str) -> bool:
    """A listed password, or one padded to length the usual ways: repeated
    ("passwordpassword") or with digits and symbols added ("password12345!")."""
    lowered = password.lower()
    core = lowered.strip("0123456789!@#$%^&*()_-+=.?")
    repeated = any(
        len(lowered) % size == 0 and lowered == lowered[:size] * (len(lowered) // size)
        for size in range(1, len(lowered) // 2 + 1)
    )
    return repeated or len(set(lowered)) < 4 or lowered in common_passwords() or core in common_passwords()


# zxcvbn's score, 0 to 4: 3 and above resist an offline attack on a slow hash for long
# enough. Only the start of a long password is judged: zxcvbn's time grows fast with
# length, and a strong start makes the whole strong.
MIN_SCORE = 3
JUDGED_LENGTH = 64
# The National Cyber Security Centre's advice, in its words, with an example of our own
# (refused itself, since it is published here).
EXAMPLE_WORDS = "lantern-walrus-crumble"
TOO_WEAK = f"Choose a stronger password. Try three random words, for example {EXAMPLE_WORDS}"


def is_weak(password: str, email: str | None = None) -> bool:
    """Whether zxcvbn would guess it quickly: keyboard runs ("qwertyuiopas"),
    sequences ("123456789012"), dates, names, or words from the user's address."""
    from zxcvbn import zxcvbn

    hints = [email, *re.split(r"[^a-z0-9]+", email.lower())] if email else []
    if "".join(filter(str.isalnum, password.lower())) == "".join(filter(str.isalnum, EXAMPLE_WORDS)):
        return True
    return zxcvbn(password[:JUDGED_LENGTH], user_inputs=hints)["score"] < MIN_SCORE


def password_problem(password: str, email: str | None = None) -> str | None:
    """Why this password may not be used, or None if it may."""
    if len(password) < MIN_LENGTH:
        return f"Password must be {MIN_LENGTH} characters or more"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    if is_common(password):
        return "Password is too common: choose one that is harder to guess, such as three random words"
    if email and password.lower() in {email.lower(), email.lower().split("@")[0]}:
        return "Password must not be your email address"
    if is_weak(password, email):
        return TOO_WEAK
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
