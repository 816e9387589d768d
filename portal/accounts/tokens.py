"""Signed, expiring links for email verification, password reset and invitations.

Each kind has its own salt, so one kind cannot stand in for another. A reset
token carries a fragment of the current password hash and a verification or
invitation token the account's session version, so each stops working once used.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

KINDS = {
    "verify": "VERIFY_TOKEN_MAX_AGE",
    "reset": "RESET_TOKEN_MAX_AGE",
    "invite": "INVITE_TOKEN_MAX_AGE",
}


class TokenInvalid(Exception):
    def __init__(self, expired: bool):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _serializer(kind: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"portal-{kind}")


def fingerprint(user) -> str:
    return f"{user.session_version}:{(user.password_hash or '')[-12:]}"


def make_token(kind: str, user) -> str:
    return _serializer(kind).dumps({"u": user.id, "f": fingerprint(user)})


def read_token(kind: str, token: str) -> tuple[int, str]:
    """Return (user id, fingerprint); raises TokenInvalid."""
    try:
        data = _serializer(kind).loads(token, max_age=current_app.config[KINDS[kind]])
    except SignatureExpired as error:
        raise TokenInvalid(expired=True) from error
    except BadSignature as error:
        raise TokenInvalid(expired=False) from error
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise TokenInvalid(expired=False)
    return data["u"], str(data.get("f", ""))
