"""The service navigation, which changes with the signed-in role."""

from __future__ import annotations

from flask import has_request_context, request, url_for
from flask_login import current_user

from portal.accounts.models import Role

EVERYONE_SIGNED_IN = {Role.PROVIDER, Role.OFFICER, Role.EVALUATOR, Role.ADMIN}

# (label, endpoint, who sees it, the blueprint whose every page it marks as
# current); later domains add their own entries here.
ITEMS = [
    ("Home", "pages.dashboard", EVERYONE_SIGNED_IN, None),
    ("Opportunities", "tenders.index", {Role.PROVIDER}, "tenders"),
    ("Your bids", "bids.index", {Role.PROVIDER}, "bids"),
    ("Your organisation", "providers.organisation", {Role.PROVIDER}, None),
    ("Agreements", "agreements.register", {Role.OFFICER, Role.ADMIN}, "agreements"),
    ("Tenders", "tender_admin.index", {Role.OFFICER, Role.ADMIN}, "tender_admin"),
    ("Decisions", "decisions.index", {Role.OFFICER, Role.ADMIN}, "decisions"),
    ("Staff accounts", "staff.index", {Role.ADMIN}, "staff"),
    ("Your account", "accounts.account", EVERYONE_SIGNED_IN, None),
]
SIGNED_OUT_ITEMS = [
    ("Opportunities", "tenders.index", None, "tenders"),
    ("Decisions", "decisions.index", None, "decisions"),
    ("Register your organisation", "providers.register", None, None),
    ("Sign in", "accounts.sign_in", None, None),
]


def items_for_current_user() -> list[dict]:
    if not has_request_context():
        return []
    if current_user.is_authenticated:
        entries = [item for item in ITEMS if current_user.role in item[2]]
    else:
        entries = SIGNED_OUT_ITEMS
    items = []
    for label, endpoint, _audience, section in entries:
        href = url_for(endpoint)
        current = request.path == href
        in_section = section is not None and request.blueprint == section
        items.append({"text": label, "href": href, "current": current,
                      "active": not current and (in_section or request.path.startswith(href + "/"))})
    return items
