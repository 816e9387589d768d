"""Security headers on every response, the per-request CSP nonce, and CSRF protection."""

from __future__ import annotations

import secrets

from flask import Flask, current_app, g, request, session
from flask_wtf.csrf import CSRFProtect, generate_csrf

# CSRF on every form; a route exempts itself only with a reason (bids' timed-out save).
csrf = CSRFProtect()

_KEPT_TOKENS = 10_000  # sessions whose signed token a process keeps; forgotten all at once past it


def csrf_token() -> str:
    """The CSRF token for this session's forms (templates' ``csrf_token()``), signed once
    per session and process rather than on every page: every signed-in page holds one, in
    its Sign out button. Flask-WTF's token is the session's secret, signed with a
    timestamp that is only checked when tokens have a time limit; with one, each page
    signs its own as Flask-WTF does."""
    if current_app.config["WTF_CSRF_TIME_LIMIT"] is not None:
        return generate_csrf()
    tokens = current_app.extensions.setdefault("security.csrf_tokens", {})
    field = current_app.config["WTF_CSRF_FIELD_NAME"]  # where Flask-WTF keeps the secret in the session
    secret = session.get(field)
    token = tokens.get(secret) if secret else None
    if token is None:
        token = generate_csrf()  # makes the session's secret if it has none yet
        if len(tokens) >= _KEPT_TOKENS:
            tokens.clear()
        tokens[session[field]] = token
    return token


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def init_app(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        nonce = csp_nonce()
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        if response.mimetype == "text/html":
            # Pages can show other people's data: never keep them in shared caches.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
