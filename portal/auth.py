"""Who may see each page.

Every view declares its audience with one of the decorators below, and
``create_app`` refuses to start if any route lacks one, so a forgotten check is a
start-up error rather than an open page. Signed-out visitors to a protected page
are sent to sign in; a signed-in user of the wrong role gets 403. Whether a user
may see a particular object is a policy question, answered with 404.
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from functools import wraps
from urllib.parse import unquote, urlsplit

from flask import Flask, abort, current_app, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, current_user
from itsdangerous import BadSignature
from sqlalchemy import bindparam, exists, select

from portal.accounts.models import EndedSession, Role, User

login_manager = LoginManager()
login_manager.login_view = "accounts.sign_in"
login_manager.login_message = "Sign in to see that page."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"

ANYONE = "anyone"
SIGNED_IN = "signed in"


def _declare(audience):
    def decorator(view):
        view.audience = audience
        return view

    return decorator


public = _declare(ANYONE)
"""Anyone, signed in or not."""

signed_in = _declare(SIGNED_IN)
"""Any signed-in user."""


def roles(*allowed: Role):
    """Signed-in users with one of these roles."""
    return _declare(frozenset(allowed))


def organisation_admin(view):
    """A provider user who administers their organisation."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_organisation_admin:
            abort(403)
        return view(*args, **kwargs)

    wrapper.audience = frozenset({Role.PROVIDER})
    return wrapper


def audience_of(app: Flask, endpoint: str):
    return getattr(app.view_functions[endpoint], "audience", None)


def admits(audience, user) -> bool:
    """Whether a page declared for ``audience`` answers ``user`` itself, rather
    than sending them to sign in or refusing them with 403."""
    if audience == ANYONE:
        return True
    if not user.is_authenticated:
        return False
    return audience == SIGNED_IN or user.role in audience


def enforce_audience():
    """before_request: apply the audience the matched view declared."""
    if request.endpoint is None:  # 404 or 405 from routing: let Flask answer
        return None
    if request.endpoint == "static":  # CSS, JS and images: every page needs them, signed in or not
        return None
    audience = audience_of(current_app, request.endpoint)
    if admits(audience, current_user):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    abort(403)


def check_every_route_declares_audience(app: Flask) -> None:
    undeclared = sorted(
        endpoint for endpoint in app.view_functions if endpoint != "static" and audience_of(app, endpoint) is None
    )
    if undeclared:
        raise RuntimeError(f"routes without a declared audience: {', '.join(undeclared)}")


# Built once, with bound parameters: every signed-in request runs it, and a statement built
# afresh is constructed and walked for its cache key each time.
_SIGNED_IN_USER = select(User).where(
    User.id == bindparam("user_id"), ~exists().where(EndedSession.key == bindparam("session_key"))
)


@login_manager.user_loader
def load_user(user_id: str):
    """The user a session cookie names, or None (signed out) when the cookie is from
    an older password or a removal (the version), or from a session that signed out
    (its key is in EndedSession), even if it was copied before then."""
    from portal.db import get_session

    try:
        raw_id, raw_version, key = user_id.split(":")
        user = get_session().scalar(_SIGNED_IN_USER, {"user_id": int(raw_id), "session_key": key})
    except ValueError:
        user = None
    if user is None or str(user.session_version) != raw_version or not user.can_sign_in:
        # Dropped from the cookie too: a refused cookie is never signed afresh with the
        # user in it, so it ages out within the session lifetime (EndedSession relies on it).
        for name in ("_user_id", "_fresh", "_id"):
            session.pop(name, None)
        return None
    user.continue_session(key)
    return user


def current_session_key() -> str | None:
    """The random key of this sign-in (see User.get_id), or None when signed out."""
    parts = str(session.get("_user_id") or "").split(":")
    return parts[2] if len(parts) == 3 and current_user.is_authenticated else None


def home_for(user) -> str:
    if not user.is_authenticated:
        return url_for("pages.start")
    return url_for("pages.dashboard")


def _is_local_path(reading: str, decoded: bool) -> bool:
    """Whether a browser given ``reading`` would stay on this site, with no doubt."""
    folded = unicodedata.normalize("NFKC", reading)  # so a fullwidth slash counts as a slash
    # Browsers read "\\" as "/" ("/\\evil" is "//evil", a host), so none is allowed anywhere.
    if not folded.startswith("/") or folded.startswith("//") or "\\" in folded:
        return False
    for character in folded:
        # Browsers drop tabs and newlines ("/\t/evil" is "//evil"), and a header may not hold
        # them. A space only percent-encoded ("?q=a%20b") is an ordinary query.
        if unicodedata.category(character).startswith("C") or (
            character.isspace() and not (decoded and character == " ")
        ):
            return False
    parts = urlsplit(folded)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: only such paths are
    followed after sign-in. Refuses nothing by raising.

    It must be ASCII, start with one "/", and hold no backslash, whitespace,
    control character, scheme or host, judged as given, after Unicode
    normalisation and after each round of percent-decoding (so "/%2F/evil",
    "%2F%2Fevil" and "/%09/evil" are refused as "//evil" is).
    """
    if not target or len(target) > 2000 or not target.isascii():
        return None
    reading, decoded = target, False
    for _ in range(5):
        if not _is_local_path(reading, decoded):
            return None
        unquoted = unquote(reading)
        if unquoted == reading:
            return target
        reading, decoded = unquoted, True
    return None  # still encoded after five rounds: no link of ours is


def redirect_home():
    return redirect(home_for(current_user))


class SessionCookie(SecureCookieSessionInterface):
    """Flask's signed session cookie, sent again only when its content changed or it was
    signed more than ``REFRESH_AFTER`` ago.

    A permanent session's cookie is otherwise serialised, signed and sent on every
    request, to push its expiry on: a cost every signed-in page paid (issue 13). The
    idle timeout now moves on at most a minute late.
    """

    REFRESH_AFTER = timedelta(minutes=1)

    def get_signing_serializer(self, app: Flask):
        """Flask's serializer, made once per app and set of keys rather than on every
        request (its signer derives the key again each time it is made)."""
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        kept = app.extensions.get("auth.session_serializer")
        if kept is None or kept[0] != keys:
            kept = app.extensions["auth.session_serializer"] = (keys, super().get_signing_serializer(app))
        return kept[1]

    def open_session(self, app, request):
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        try:
            data, signed_at = serializer.loads(
                cookie, max_age=int(app.permanent_session_lifetime.total_seconds()), return_timestamp=True
            )
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        # Aged by the signer's own clock (real time, as it stamped the cookie), not
        # portal.clock, which tests may fix at another moment.
        age = serializer.make_signer(serializer.salt).get_timestamp() - signed_at.timestamp()
        session.needs_refresh = age >= self.REFRESH_AFTER.total_seconds()
        return session

    def should_set_cookie(self, app, session) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        return getattr(session, "needs_refresh", True)
