"""Who may see each page.

Every view declares its audience with one of the decorators below, and
``create_app`` refuses to start if any route lacks one, so a forgotten check is a
start-up error rather than an open page. Signed-out visitors to a protected page
are sent to sign in; a signed-in user of the wrong role gets 403. Whether a user
may see a particular object is a policy question, answered with 404.
"""

from __future__ import annotations

from functools import wraps

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import LoginManager, current_user

from portal.accounts.models import Role, User

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


def enforce_audience():
    """before_request: apply the audience the matched view declared."""
    if request.endpoint is None:  # 404 or 405 from routing: let Flask answer
        return None
    if request.endpoint == "static":  # CSS, JS and images: every page needs them, signed in or not
        return None
    audience = audience_of(current_app, request.endpoint)
    if audience == ANYONE:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if audience == SIGNED_IN or current_user.role in audience:
        return None
    abort(403)


def check_every_route_declares_audience(app: Flask) -> None:
    undeclared = sorted(
        endpoint for endpoint in app.view_functions
        if endpoint != "static" and audience_of(app, endpoint) is None
    )
    if undeclared:
        raise RuntimeError(f"routes without a declared audience: {', '.join(undeclared)}")


@login_manager.user_loader
def load_user(user_id: str):
    from portal.db import get_session

    try:
        raw_id, raw_version = user_id.split(":")
        user = get_session().get(User, int(raw_id))
    except ValueError:
        return None
    # A changed password or a removal bumps the version: older sessions end.
    if user is None or str(user.session_version) != raw_version or not user.can_sign_in:
        return None
    return user


def home_for(user) -> str:
    if not user.is_authenticated:
        return url_for("pages.start")
    return url_for("pages.dashboard")


def safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def redirect_home():
    return redirect(home_for(current_user))
