"""Whether an address has an account must not show in the time a page takes
(issue 9, item 4): the slow step, the password hash, runs on every path, and the
email-a-link pages write on every path (a commit takes measurably longer than none).
Registration's own paths are tested in tests/providers/test_registration.py."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from tests.accounts.hasher import count_hasher_calls
from tests.conftest import PASSWORD
from tests.support import post_form


@pytest.fixture
def hasher_calls(monkeypatch):
    return count_hasher_calls(monkeypatch)


@pytest.mark.parametrize("who", ["unknown", "wrong password", "pending invitation"])
def test_sign_in_checks_a_hash_whether_or_not_the_account_exists(client, db, make_user, hasher_calls, who):
    user = make_user()
    email = {"unknown": "nobody@example.org", "wrong password": user.email}.get(who)
    if who == "pending invitation":
        invited = make_user(email="invited@example.org")
        db.execute(invited.__table__.update().where(invited.__table__.c.id == invited.id).values(password_hash=None))
        db.commit()
        email = invited.email
    hasher_calls.clear()  # what arranging the accounts hashed
    response = post_form(client, "/sign-in", {"email": email, "password": PASSWORD + "-not"})
    assert response.status_code == 400
    assert hasher_calls == ["verify"]


def _audit_rows(db):
    db.expire_all()
    return db.scalar(select(func.count(AuditEvent.id)))


@pytest.mark.parametrize("url", ["/password-reset", "/verify-email"])
def test_email_link_requests_write_whether_or_not_the_address_has_an_account(client, db, make_user, url):
    known = make_user(verified=url == "/password-reset")  # a new link is sent only while unverified
    for email in (known.email, "nobody@example.org"):
        before = _audit_rows(db)
        response = post_form(client, url, {"email": email})
        assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
        assert _audit_rows(db) == before + 1, email
