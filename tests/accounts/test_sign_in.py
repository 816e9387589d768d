"""Sign-in, lock-out, password reset and password change."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.audit.models import AuditEvent
from tests.conftest import PASSWORD
from tests.support import csrf_token_from, path_of, post_form

NEW_PASSWORD = "lighthouse-quarry-violet"


def sign_in(client, email, password=PASSWORD):
    return post_form(client, "/sign-in", {"email": email, "password": password})


def test_sign_in_records_the_time_and_audits(client, db, make_user):
    user = make_user()
    response = sign_in(client, user.email.upper())
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    db.expire_all()
    assert db.get(User, user.id).last_signed_in_at is not None
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.object_id == user.id)) == "user.signed_in"


@pytest.mark.parametrize(
    "email, password",
    [
        ("nobody@example.org", PASSWORD),
        (None, "wrong-password-here"),
        ("", PASSWORD),
        (None, ""),
    ],
)
def test_wrong_or_missing_details_get_one_message(client, make_user, email, password):
    user = make_user()
    response = sign_in(client, user.email if email is None else email, password)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "govuk-error-summary" in html and "<title>Error: " in html
    assert client.get("/dashboard").status_code == 302


def test_unknown_and_known_addresses_give_the_same_message(client, make_user):
    user = make_user()
    unknown = sign_in(client, "nobody@example.org").get_data(as_text=True)
    known = sign_in(client, user.email, "not-the-password").get_data(as_text=True)
    assert "Enter a correct email address and password" in unknown
    assert "Enter a correct email address and password" in known


def test_account_is_locked_after_five_failures_even_with_the_right_password(client, make_user):
    user = make_user()
    for _ in range(5):
        assert sign_in(client, user.email, "not-the-password").status_code == 400
    locked = sign_in(client, user.email)
    assert locked.status_code == 429
    assert "tried to sign in too many times" in locked.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_lock_out_per_address_covers_many_accounts(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "SIGN_IN_LIMIT_PER_ADDRESS", "3 per 15 minutes")
    users = [make_user() for _ in range(4)]
    for user in users[:3]:
        assert sign_in(client, user.email, "not-the-password").status_code == 400
    assert sign_in(client, users[3].email).status_code == 429


def test_success_clears_the_account_count(client, make_user):
    user = make_user()
    for _ in range(4):
        sign_in(client, user.email, "not-the-password")
    assert sign_in(client, user.email).status_code == 302
    client.post("/sign-out", data={})  # refused without CSRF, so sign out properly:
    post_form(client, "/sign-out", {}, form_url="/account")
    for _ in range(4):
        assert sign_in(client, user.email, "not-the-password").status_code == 400
    assert sign_in(client, user.email).status_code == 302


def test_deactivated_user_cannot_sign_in(client, db, make_user):
    from portal.clock import now as utcnow

    user = make_user()
    db.get(User, user.id).deactivated_at = utcnow()
    db.commit()
    assert sign_in(client, user.email).status_code == 400


def test_next_page_is_followed_only_within_the_site(client, make_user):
    user = make_user()
    client.get("/account")  # redirected to sign in, remembering where to go
    assert client.get("/sign-in?next=/account").status_code == 200
    assert sign_in(client, user.email).headers["Location"] == "/account"
    post_form(client, "/sign-out", {}, form_url="/account")
    client.get("/sign-in?next=//evil.example.org/")
    assert sign_in(client, user.email).headers["Location"] == "/dashboard"


def test_sign_out_needs_a_post_with_csrf(client, make_user, login_as):
    login_as(make_user())
    assert client.get("/sign-out").status_code == 405
    assert client.post("/sign-out").status_code == 400
    assert client.get("/account").status_code == 200
    assert post_form(client, "/sign-out", {}, form_url="/account").status_code == 302
    assert client.get("/account").status_code == 302


def test_password_reset_by_email(client, db, make_user, mailbox):
    user = make_user()
    response = post_form(client, "/password-reset", {"email": user.email})
    assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    link = path_of(mailbox.link_in_last(user.email, "/password-reset/"))

    weak = post_form(client, link, {"password": "short", "confirm": "short"})
    assert weak.status_code == 400 and "12 characters or more" in weak.get_data(as_text=True)
    done = post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert sign_in(client, user.email).status_code == 400
    assert sign_in(client, user.email, NEW_PASSWORD).status_code == 302
    # The link works once only
    assert client.get(link).status_code == 400


def test_password_reset_reveals_nothing_about_unknown_addresses(client, mailbox):
    response = post_form(client, "/password-reset", {"email": "nobody@example.org"})
    assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    assert mailbox.messages == []


def test_expired_and_tampered_reset_links_are_refused(app, client, make_user, mailbox, monkeypatch):
    user = make_user()
    post_form(client, "/password-reset", {"email": user.email})
    link = path_of(mailbox.link_in_last(user.email, "/password-reset/"))
    # A character changed inside the signature (the last ones may carry only padding bits, and
    # "xx" could be what was there: the test would then not tamper at all).
    position = len(link) - 10
    tampered = client.get(link[:position] + ("A" if link[position] != "A" else "B") + link[position + 1 :])
    assert tampered.status_code == 400 and "not valid" in tampered.get_data(as_text=True)
    monkeypatch.setitem(app.config, "RESET_TOKEN_MAX_AGE", -1)
    expired = client.get(link)
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)


def test_changing_password_signs_out_every_other_session(app, client, make_user, login_as):
    user = make_user()
    login_as(user)
    other_device = app.test_client()
    assert post_form(other_device, "/sign-in", {"email": user.email, "password": PASSWORD}).status_code == 302
    assert other_device.get("/account").status_code == 200

    wrong = post_form(
        client,
        "/account/password",
        {"current_password": "not-it-at-all", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert wrong.status_code == 400 and "current password is not correct" in wrong.get_data(as_text=True)

    changed = post_form(
        client, "/account/password", {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert changed.status_code == 302
    assert client.get("/account").status_code == 200  # this device stays signed in
    assert other_device.get("/account").status_code == 302  # the other is signed out


def test_session_cookie_is_replaced_on_sign_in(client, make_user):
    user = make_user()
    client.get("/sign-in")
    before = client.get_cookie("session").value
    sign_in(client, user.email)
    assert client.get_cookie("session").value != before


def test_a_session_keeps_one_signed_csrf_token_and_another_session_gets_its_own(app, client, make_user, login_as):
    """The token is signed once per session (portal.security.csrf_token), so every page of a
    session shows the same one, it is accepted, and a second browser's differs."""
    login_as(make_user())
    first = csrf_token_from(client.get("/account").get_data(as_text=True))
    assert csrf_token_from(client.get("/help").get_data(as_text=True)) == first
    other = app.test_client()
    assert csrf_token_from(other.get("/sign-in").get_data(as_text=True)) != first
    assert client.post("/sign-out", data={"csrf_token": first}).status_code == 302


def test_the_session_cookie_is_signed_with_a_new_secret_key_at_once(app, client, make_user, login_as):
    """The session serializer is kept between requests, but not past a change of key."""
    login_as(make_user())
    assert client.get("/account").status_code == 200
    kept = app.secret_key
    try:
        app.secret_key = app.config["SECRET_KEY"] = "another key entirely"
        assert client.get("/account").status_code == 302  # the old cookie no longer verifies
    finally:
        app.secret_key = app.config["SECRET_KEY"] = kept
