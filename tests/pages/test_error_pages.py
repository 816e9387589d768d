"""Every error page is drawn by errors/page.html, with the advice each one gives."""

from __future__ import annotations

from portal.accounts.models import Role


def test_403_page_says_what_to_do(client, make_user, login_as):
    login_as(make_user(role=Role.PROVIDER))
    response = client.get("/agreements")
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "<title>You do not have permission to see this page –" in html
    assert "You are signed in with an account that cannot see this page." in html
    assert 'href="/dashboard">Go to your home page</a>' in html


def test_a_form_sent_without_its_token_says_so(client):
    response = client.post("/sign-in", data={"email": "someone@example.org", "password": "x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Error: There is a problem with your request –" in html
    assert "the page had been open too long or the form was changed" in html


def test_404_page_gives_its_advice_not_the_servers_description(client):
    html = client.get("/no-such-page").get_data(as_text=True)
    assert "If you typed the web address, check it is correct." in html
    assert "The requested URL was not found" not in html
