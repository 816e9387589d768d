"""Security headers on every response, the per-request CSP nonce, and CSRF protection."""

from __future__ import annotations

import secrets

from flask import Flask, g, request
from flask_wtf.csrf import CSRFProtect

# CSRF on every form; a route exempts itself only with a reason (bids' timed-out save).
csrf = CSRFProtect()


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
