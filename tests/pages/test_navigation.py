"""The service navigation: each role's menu, and never a page that would refuse them."""

from __future__ import annotations

import re

import pytest

from portal.accounts.models import Role

LINK = re.compile(r'<a[^>]*class="govuk-service-navigation__link"[^>]*href="([^"]+)"[^>]*>(.*?)</a>', re.S)

MENUS = {
    None: ["Opportunities", "Decisions", "Register your organisation", "Sign in"],
    Role.PROVIDER: [
        "Home",
        "Opportunities",
        "Your bids",
        "Your organisation",
        "Quality-assurance evidence",
        "Your account",
    ],
    Role.OFFICER: ["Home", "Agreements", "Tenders", "Decisions", "Your account"],
    Role.EVALUATOR: ["Home", "Evaluation", "Your account"],
    Role.ADMIN: ["Home", "Agreements", "Tenders", "Decisions", "Staff accounts", "Your account"],
}


def menu(html: str) -> list[tuple[str, str]]:
    return [(re.sub(r"<[^>]+>", "", text).strip(), href) for href, text in LINK.findall(html)]


@pytest.mark.parametrize("role", list(MENUS), ids=lambda role: role.name if role else "signed out")
def test_each_role_is_offered_its_menu_and_every_entry_answers(client, make_user, login_as, role):
    if role is not None:
        login_as(make_user(role=role))
    entries = menu(client.get("/dashboard" if role else "/").get_data(as_text=True))
    assert [label for label, _ in entries] == MENUS[role]
    for label, href in entries:
        assert client.get(href).status_code == 200, f"{label} ({href})"


def test_an_entry_follows_the_audience_its_page_declares(app, client, make_user, login_as, monkeypatch):
    """Narrow a page's audience and the menu follows it, with no change to the menu."""
    view = app.view_functions["agreements.register"]
    monkeypatch.setattr(view, "audience", frozenset({Role.ADMIN}), raising=False)
    # Each role's menu is worked out once per process; audiences are declared before it
    # starts, and this test changes one after, so the worked-out menus are forgotten.
    monkeypatch.setitem(app.extensions, "navigation.offered", {})
    login_as(make_user(role=Role.OFFICER))
    labels = [label for label, _ in menu(client.get("/dashboard").get_data(as_text=True))]
    assert "Agreements" not in labels and "Tenders" in labels
