"""Counting the password hasher's work, for the tests that a page does the same slow
work whether or not an address has an account."""

from __future__ import annotations


def count_hasher_calls(monkeypatch) -> list[str]:
    """Wrap argon2's hasher, whichever module asks for it: the list returned fills with
    "hash" and "verify", one per call."""
    from portal.accounts import passwords

    real = passwords._hasher
    calls: list[str] = []

    class Counting:
        def hash(self, password, **kwargs):
            calls.append("hash")
            return real.hash(password, **kwargs)

        def verify(self, password_hash, password):
            calls.append("verify")
            return real.verify(password_hash, password)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(passwords, "_hasher", Counting())
    return calls
