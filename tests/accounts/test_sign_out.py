"""Signing out ends the session on the server, not only in the browser (issue 9, item 3)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal import clock
from portal.accounts.models import EndedSession, User
from portal.accounts.services import end_session
from tests.conftest import PASSWORD
from tests.support import post_form


def sign_out(client):
    response = post_form(client, "/sign-out", {}, form_url="/account")
    assert response.status_code == 302
    return response


def copy_of_cookie(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def session_in_cookie(app, client) -> dict:
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.loads(client.get_cookie("session").value)


def test_a_cookie_copied_before_sign_out_opens_nothing_after(app, client, make_user, sign_in_through_form):
    sign_in_through_form(make_user())
    thief = copy_of_cookie(app, client)
    assert thief.get("/account").status_code == 200  # the copy works while the session lasts

    sign_out(client)
    assert client.get("/account").status_code == 302
    response = thief.get("/account")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    assert thief.get("/dashboard").status_code == 302


def test_a_session_signed_in_through_the_tests_helper_ends_the_same_way(app, client, make_user, login_as):
    login_as(make_user())
    thief = copy_of_cookie(app, client)
    sign_out(client)
    assert thief.get("/account").status_code == 302


def test_signing_out_ends_only_that_session(app, client, make_user, sign_in_through_form):
    user = make_user()
    sign_in_through_form(user)
    other_device = app.test_client()
    assert post_form(other_device, "/sign-in", {"email": user.email, "password": PASSWORD}).status_code == 302

    sign_out(client)
    assert client.get("/account").status_code == 302
    assert other_device.get("/account").status_code == 200


def test_signing_in_again_after_signing_out_works(client, make_user, sign_in_through_form):
    user = make_user()
    sign_in_through_form(user)
    sign_out(client)
    sign_in_through_form(user)
    assert client.get("/account").status_code == 200


def test_a_refused_cookie_loses_the_user_so_it_is_never_signed_afresh(app, client, make_user, sign_in_through_form):
    """Flask re-signs the session cookie on every response; were the ended key left in
    it, the copy would stay fresh for ever and outlive the row that refuses it."""
    sign_in_through_form(make_user())
    thief = copy_of_cookie(app, client)
    sign_out(client)
    assert "_user_id" in session_in_cookie(app, thief)
    thief.get("/account")
    assert "_user_id" not in session_in_cookie(app, thief)


def test_ended_keys_are_kept_as_long_as_a_cookie_could_be_accepted(app, db, make_user):
    user = db.get(User, make_user().id)
    now = clock.now()
    lifetime = app.permanent_session_lifetime
    with app.test_request_context():
        end_session(db, user, "long-gone", now - lifetime - timedelta(days=2))
        end_session(db, user, "recent", now - lifetime)
        end_session(db, user, "just-now", now)
    db.commit()
    assert set(db.scalars(select(EndedSession.key))) == {"recent", "just-now"}


def test_changing_password_still_ends_a_copied_cookie(app, client, make_user, sign_in_through_form):
    sign_in_through_form(make_user())
    thief = copy_of_cookie(app, client)
    new_password = "lighthouse-quarry-violet"
    changed = post_form(
        client, "/account/password", {"current_password": PASSWORD, "password": new_password, "confirm": new_password}
    )
    assert changed.status_code == 302
    assert client.get("/account").status_code == 200
    assert thief.get("/account").status_code == 302
