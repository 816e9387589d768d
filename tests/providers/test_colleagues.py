"""An organisation administrator invites and removes colleagues."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent
from tests.conftest import PASSWORD
from tests.support import path_of, post_form

COLLEAGUE_PASSWORD = "harbour-pebble-crimson"


def invite(client, email="colleague@example.org", full_name="Sam Colleague", make_admin=False):
    data = {"email": email, "full_name": full_name}
    if make_admin:
        data["make_admin"] = "y"
    return post_form(client, "/organisation/colleagues/invite", data)


def test_invite_and_accept(app, client, db, make_user, login_as, mailbox):
    admin = make_user()
    login_as(admin)
    response = invite(client)
    assert response.status_code == 302
    invited = db.scalar(select(User).where(User.email == "colleague@example.org"))
    assert invited.organisation_id == admin.organisation_id and invited.is_pending_invitation
    assert "Invited" in client.get("/organisation").get_data(as_text=True)

    link = path_of(mailbox.link_in_last("colleague@example.org", "/invitations/"))
    newcomer = app.test_client()
    weak = post_form(newcomer, link, {"full_name": "Sam Colleague", "password": "short", "confirm": "short"})
    assert weak.status_code == 400
    accepted = post_form(
        newcomer, link, {"full_name": "Sam Colleague", "password": COLLEAGUE_PASSWORD, "confirm": COLLEAGUE_PASSWORD}
    )
    assert accepted.status_code == 302
    assert newcomer.get("/organisation").status_code == 200
    db.expire_all()
    assert db.get(User, invited.id).email_verified_at is not None
    assert newcomer.get(link).status_code == 400  # used once only


@pytest.mark.parametrize(
    "data, message",
    [
        ({"email": "", "full_name": "Sam"}, "Enter their email address"),
        ({"email": "nope", "full_name": "Sam"}, "correct format"),
        ({"email": "sam@example.org", "full_name": ""}, "Enter their full name"),
        ({"email": "sam@example.org", "full_name": "x" * 121}, "120 characters or fewer"),
    ],
)
def test_bad_invitations_are_refused(client, db, make_user, login_as, mailbox, data, message):
    login_as(make_user())
    before = db.scalar(select(func.count(User.id)))
    response = post_form(client, "/organisation/colleagues/invite", data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.scalar(select(func.count(User.id))) == before and mailbox.messages == []


def test_cannot_invite_someone_in_another_organisation_or_staff(client, make_user, login_as):
    other = make_user()
    staff = make_user(role=Role.OFFICER)
    login_as(make_user())
    for email in (other.email, staff.email):
        response = invite(client, email=email)
        assert response.status_code == 400 and "cannot be invited" in response.get_data(as_text=True)


def test_member_who_is_not_an_administrator_cannot_invite(client, make_user, login_as, make_organisation):
    organisation = make_organisation()
    make_user(organisation=organisation)
    login_as(make_user(organisation=organisation, is_organisation_admin=False))
    assert client.get("/organisation/colleagues/invite").status_code == 403


def test_remove_colleague_signs_them_out(app, client, db, make_user, login_as):
    admin = make_user()
    member = make_user(organisation=db.get(User, admin.id).organisation, is_organisation_admin=False)
    member_client = app.test_client()
    post_form(member_client, "/sign-in", {"email": member.email, "password": PASSWORD})
    assert member_client.get("/organisation").status_code == 200

    login_as(admin)
    url = f"/organisation/colleagues/{member.id}/remove"
    assert client.get(url).status_code == 200
    assert post_form(client, url, {}).status_code == 302
    db.expire_all()
    removed = db.get(User, member.id)
    assert removed.organisation_id is None and removed.deactivated_at is not None
    assert member_client.get("/organisation").status_code == 302
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "user.removed_from_organisation")) is not None


def test_removed_person_can_be_invited_by_another_organisation(app, client, db, make_user, login_as, mailbox):
    first_admin = make_user()
    member = make_user(organisation=db.get(User, first_admin.id).organisation, is_organisation_admin=False)
    login_as(first_admin)
    post_form(client, f"/organisation/colleagues/{member.id}/remove", {})
    post_form(client, "/sign-out", {}, form_url="/account")
    login_as(make_user())
    assert invite(client, email=member.email).status_code == 302


def test_cannot_remove_someone_from_another_organisation(client, make_user, login_as):
    outsider = make_user()
    login_as(make_user())
    assert client.get(f"/organisation/colleagues/{outsider.id}/remove").status_code == 404


def test_an_administrator_can_remove_another_but_not_the_last(db, app, make_user, make_organisation):
    from portal.clock import now as utcnow
    from portal.errors import RuleViolation
    from portal.providers.services import remove_colleague

    organisation = make_organisation()
    first, second = make_user(organisation=organisation), make_user(organisation=organisation)
    first, second = db.get(User, first.id), db.get(User, second.id)
    with app.test_request_context():
        remove_colleague(db, first, second, utcnow())
        with pytest.raises(RuleViolation, match="only administrator"):
            remove_colleague(db, second, first, utcnow())
