"""Draft tokens: what lets a save that arrives after its author's session has
ended still be kept, and only for its author, in their own browser.

A question page carries a signed draft token naming the user, the session
version they were signed in with, the bid and the question, and the digest of
a *browser key*: a random value made for the signed-in session, kept in that
session and in a cookie of its own (``DRAFT_KEY_COOKIE``: HttpOnly,
SameSite=Strict, only sent to ``/bids/``) that outlives the session by the
token's life. The token is in the page's HTML, so it is no secret; the key
never is in a page. A save without a usable session is kept only if the
browser sending it still holds the key (so a forged post, from another browser
or from another site, carrying a token lifted from a page keeps nothing), the
user's sessions have not been ended since (a changed password), and the token
is less than ``KEEP_TYPED_TEXT_FOR`` old by the server's clock.

Sign-in starts a fresh session; the key is carried into it only when its
browser is shown what was kept under it (``adopt_cookie_key``), so that its
author can confirm it there.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import after_this_request, current_app, g, request
from flask import session as browser_session
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from portal import clock
from portal.bids.kept import KEEP_TYPED_TEXT_FOR

DRAFT_TOKEN_SALT = "bid-draft"  # noqa: S105 (a salt that names the token's purpose, not a secret)
DRAFT_TOKEN_MAX_AGE = int(KEEP_TYPED_TEXT_FOR.total_seconds())
DRAFT_KEY_COOKIE = "bid_draft_key"
_SESSION_KEY = "bid_draft_key"
_COOKIE_PATH = "/bids/"


class _ClockSigner(TimestampSigner):
    """Tokens dated, and their age judged, by the server's one clock."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    """The app's token serializer, made once per secret key (every question page signs a token)."""
    secret = current_app.config["SECRET_KEY"]
    made = current_app.extensions.get("bids.draft_token_serializer")
    if made is None or made[0] != secret:
        serializer = URLSafeTimedSerializer(secret, salt=DRAFT_TOKEN_SALT, signer=_ClockSigner)
        made = current_app.extensions["bids.draft_token_serializer"] = (secret, serializer)
    return made[1]


def key_digest(key: str) -> str:
    """What a token and a kept save record of a browser key (never the key itself)."""
    return hashlib.sha256(key.encode()).hexdigest()


def sign(user, bid_id: int, question_id: int, key: str) -> str:
    """A draft token for ``user`` on this question, bound to the browser key ``key``."""
    return _serializer().dumps(
        {"u": user.id, "v": user.session_version, "b": bid_id, "q": question_id, "k": key_digest(key)}
    )


def issue(user, bid_id: int, question_id: int) -> str:
    """The draft token for a question page drawn now, bound to this session's browser key."""
    return sign(user, bid_id, question_id, _browser_key())


def _browser_key() -> str:
    """This session's browser key (made on first use), and the cookie that keeps
    it after the session ends, renewed with each page that issues a token."""
    key = browser_session.get(_SESSION_KEY)
    if not isinstance(key, str) or not key:
        key = secrets.token_urlsafe(32)
        browser_session[_SESSION_KEY] = key
    if not g.get("bid_draft_key_cookie_set"):
        g.bid_draft_key_cookie_set = True

        @after_this_request
        def _set_cookie(response):
            response.set_cookie(
                DRAFT_KEY_COOKIE,
                key,
                max_age=DRAFT_TOKEN_MAX_AGE,
                path=_COOKIE_PATH,
                secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
                httponly=True,
                samesite="Strict",
            )
            return response

    return key


def read(token: str, bid_id: int, question_id: int) -> dict | None:
    """What a posted draft token names (``u``, the user's id, and ``v``, their
    session version), if it is genuine, less than ``KEEP_TYPED_TEXT_FOR`` old,
    for this bid and question, and the browser posting it holds the key it was
    issued with; else None."""
    try:
        data = _serializer().loads(token or "", max_age=DRAFT_TOKEN_MAX_AGE)
    except BadData:
        return None
    if not isinstance(data, dict) or data.get("b") != bid_id or data.get("q") != question_id:
        return None
    if not isinstance(data.get("u"), int) or not isinstance(data.get("k"), str):
        return None
    if not hmac.compare_digest(data["k"], _cookie_digest() or ""):
        return None
    return data


def _cookie_digest() -> str | None:
    key = request.cookies.get(DRAFT_KEY_COOKIE)
    return key_digest(key) if key else None


def posted_key() -> str:
    """The digest of the key of the browser that sent this request (its cookie):
    what a kept save is kept against. Call only after ``read`` accepted the token."""
    return _cookie_digest() or ""


def held_keys() -> set[str]:
    """Digests of the browser keys this browser holds: its cookie's, and its session's."""
    held = {_cookie_digest(), browser_session.get(_SESSION_KEY) and key_digest(browser_session[_SESSION_KEY])}
    return {digest for digest in held if digest}


def adopt_cookie_key() -> None:
    """Carry the cookie's key into this (new) session: its browser has just been
    shown what was kept under it, so that confirming it still finds the key
    even if another page renews the cookie meanwhile."""
    key = request.cookies.get(DRAFT_KEY_COOKIE)
    if key:
        browser_session[_SESSION_KEY] = key
