"""The service navigation, which changes with the signed-in role."""

from __future__ import annotations

from flask import has_request_context, request, url_for
from flask_login import current_user

from portal.accounts.models import Role

# (label, endpoint, who sees it); later domains add their own entries here.
ITEMS = [
    ("Home", "pages.dashboard", {Role.PROVIDER, Role.OFFICER, Role.EVALUATOR, Role.ADMIN}),
    ("Your organisation", "providers.organisation", {Role.PROVIDER}),
    ("Staff accounts", "staff.index", {Role.ADMIN}),
    ("Your account", "accounts.account", {Role.PROVIDER, Role.OFFICER, Role.EVALUATOR, Role.ADMIN}),
]
SIGNED_OUT_ITEMS = [
    ("Register your organisation", "providers.register"),
    ("Sign in", "accounts.sign_in"),
]


def items_for_current_user() -> list[dict]:
    if not has_request_context():
        return []
    if current_user.is_authenticated:
        entries = [(label, endpoint) for label, endpoint, audience in ITEMS if current_user.role in audience]
    else:
        entries = SIGNED_OUT_ITEMS
    items = []
    for label, endpoint in entries:
        href = url_for(endpoint)
        items.append({
            "text": label, "href": href,
            "current": request.path == href,
            "active": request.path != href and request.path.startswith(href + "/"),
        })
    return items
