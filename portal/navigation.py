"""The service navigation, which changes with the signed-in role.

Who sees an entry is not written here: it is the audience its page declares
(``portal.auth``), so the menu can never offer a page that would answer 403 or
send a signed-in person to sign in. A page open to everyone can be narrowed to
the roles whose menu it belongs in (the opportunities list is every visitor's,
but it is in providers' menu, not officers').
"""

from __future__ import annotations

from flask import current_app, has_request_context, request, url_for
from flask_login import current_user

from portal.accounts.models import Role
from portal.auth import ANYONE, admits, audience_of

# (label, endpoint, only these roles (None: everyone the page admits), the
# blueprint whose every page it marks as current); later domains add theirs here.
ITEMS = [
    ("Home", "pages.dashboard", None, None),
    ("Opportunities", "tenders.index", {Role.PROVIDER}, "tenders"),
    ("Your bids", "bids.index", None, "bids"),
    ("Your organisation", "providers.organisation", None, None),
    ("Quality-assurance evidence", "evidence.index", {Role.PROVIDER}, "evidence"),
    ("Agreements", "agreements.register", None, "agreements"),
    ("Tenders", "tender_admin.index", None, "tender_admin"),
    ("Evaluation", "evaluation.home", {Role.EVALUATOR}, "evaluation"),
    ("Decisions", "decisions.index", {Role.OFFICER, Role.ADMIN}, "decisions"),
    ("Staff accounts", "staff.index", None, "staff"),
    ("Your account", "accounts.account", None, None),
]
# Signed out, only pages open to everyone are offered.
SIGNED_OUT_ITEMS = [
    ("Opportunities", "tenders.index", None, "tenders"),
    ("Decisions", "decisions.index", None, "decisions"),
    ("Register your organisation", "providers.register", None, None),
    ("Sign in", "accounts.sign_in", None, None),
]


def _offered(endpoint: str, only, user) -> bool:
    if endpoint not in current_app.view_functions:  # a domain not installed
        return False
    audience = audience_of(current_app, endpoint)
    if not user.is_authenticated:
        return audience == ANYONE
    return admits(audience, user) and (only is None or user.role in only)


def _kept(name: str) -> dict:
    """A dict kept for the app's lifetime (per app: tests make many apps, each its own routes)."""
    return current_app.extensions.setdefault(name, {})


def fixed_url(endpoint: str, **values) -> str:
    """``url_for`` for the links of the layout (menu, footer, static files): they are the
    same address on every request to this process, so each is built once, not on every page."""
    key = (request.script_root, endpoint, tuple(sorted(values.items())))
    urls = _kept("navigation.fixed_urls")
    url = urls.get(key)
    if url is None:
        url = urls[key] = url_for(endpoint, **values)
    return url


def items_for_current_user() -> list[dict]:
    if not has_request_context():
        return []
    user = current_user._get_current_object()  # once, not through the proxy per entry
    # What is offered depends only on the role (and on being signed in), so it is worked
    # out once per role and process, not on every page.
    role = user.role if user.is_authenticated else None
    by_role = _kept("navigation.offered")
    offered = by_role.get((request.script_root, role))
    if offered is None:
        listed = ITEMS if user.is_authenticated else SIGNED_OUT_ITEMS
        offered = by_role[(request.script_root, role)] = [
            (label, fixed_url(endpoint), section)
            for label, endpoint, only, section in listed
            if _offered(endpoint, only, user)
        ]
    # A page under two entries' addresses (/organisation/evidence/new is under /organisation
    # and /organisation/evidence) marks only the nearer one.
    path, blueprint = request.path, request.blueprint  # once, not through the proxy per entry
    nearest = max(
        (href for _, href, _ in offered if path == href or path.startswith(href + "/")),
        key=len,
        default=None,
    )
    items = []
    for label, href, section in offered:
        current = path == href
        in_section = section is not None and blueprint == section
        items.append(
            {
                "text": label,
                "href": href,
                "current": current,
                "active": not current and (in_section or href == nearest),
            }
        )
    return items
