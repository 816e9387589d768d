"""Staff accounts: created by an administrator or a flask command, never by oneself."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent
from tests.support import path_of, post_form

STAFF_PASSWORD = "granite-orchard-seventy"


def test_admin_creates_an_officer_who_sets_a_password(app, client, db, make_user, login_as, mailbox):
    login_as(make_user(role=Role.ADMIN))
    response = post_form(
        client, "/admin/users/new", {"full_name": "Olu Officer", "email": "olu@kent.example.gov.uk", "role": "OFFICER"}
    )
    assert response.status_code == 302
    officer = db.scalar(select(User).where(User.email == "olu@kent.example.gov.uk"))
    assert officer.role is Role.OFFICER and officer.organisation_id is None and officer.is_pending_invitation

    link = path_of(mailbox.link_in_last(officer.email, "/invitations/"))
    newcomer = app.test_client()
    assert (
        post_form(
            newcomer, link, {"full_name": "Olu Officer", "password": STAFF_PASSWORD, "confirm": STAFF_PASSWORD}
        ).status_code
        == 302
    )
    assert newcomer.get("/dashboard").status_code == 200
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.action == "user.staff_created"))


@pytest.mark.parametrize(
    "data, message",
    [
        ({"full_name": "", "email": "a@kent.example.gov.uk", "role": "OFFICER"}, "Enter their full name"),
        ({"full_name": "A", "email": "bad", "role": "OFFICER"}, "correct format"),
        ({"full_name": "A", "email": "a@kent.example.gov.uk", "role": ""}, "Select a role"),
        ({"full_name": "A", "email": "a@kent.example.gov.uk", "role": "PROVIDER"}, "Select a role"),
    ],
)
def test_bad_staff_accounts_are_refused(client, db, make_user, login_as, data, message):
    login_as(make_user(role=Role.ADMIN))
    before = set(db.scalars(select(User.id)))
    response = post_form(client, "/admin/users/new", data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert set(db.scalars(select(User.id))) == before


def test_duplicate_staff_email_is_refused(client, make_user, login_as):
    existing = make_user(role=Role.EVALUATOR)
    login_as(make_user(role=Role.ADMIN))
    response = post_form(client, "/admin/users/new", {"full_name": "A", "email": existing.email, "role": "OFFICER"})
    assert response.status_code == 400 and "already exists" in response.get_data(as_text=True)


def test_role_change_applies_at_once_and_is_audited(app, client, db, make_user, login_as):
    evaluator = make_user(role=Role.EVALUATOR)
    their_client = app.test_client()
    from tests.conftest import PASSWORD

    post_form(their_client, "/sign-in", {"email": evaluator.email, "password": PASSWORD})
    assert their_client.get("/admin/users").status_code == 403

    login_as(make_user(role=Role.ADMIN))
    assert post_form(client, f"/admin/users/{evaluator.id}", {"role": "ADMIN"}).status_code == 302
    assert their_client.get("/admin/users").status_code == 200
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.role_changed"))
    assert event.details == {"previous": "EVALUATOR", "new": "ADMIN"}


def test_admin_cannot_demote_or_deactivate_themselves(client, db, make_user, login_as):
    admin = make_user(role=Role.ADMIN)
    login_as(admin)
    response = post_form(client, f"/admin/users/{admin.id}", {"role": "OFFICER"})
    assert response.status_code == 400 and "your own administrator role" in response.get_data(as_text=True)
    response = post_form(client, f"/admin/users/{admin.id}/deactivate", {}, form_url=f"/admin/users/{admin.id}")
    assert response.status_code == 400
    db.expire_all()
    assert db.get(User, admin.id).role is Role.ADMIN and db.get(User, admin.id).deactivated_at is None


def test_deactivating_staff_signs_them_out(app, client, db, make_user, login_as):
    from tests.conftest import PASSWORD

    officer = make_user(role=Role.OFFICER)
    their_client = app.test_client()
    post_form(their_client, "/sign-in", {"email": officer.email, "password": PASSWORD})
    login_as(make_user(role=Role.ADMIN))
    assert (
        post_form(
            client, f"/admin/users/{officer.id}/deactivate", {}, form_url=f"/admin/users/{officer.id}"
        ).status_code
        == 302
    )
    assert their_client.get("/dashboard").status_code == 302
    assert (
        post_form(
            client, f"/admin/users/{officer.id}/reactivate", {}, form_url=f"/admin/users/{officer.id}"
        ).status_code
        == 302
    )
    db.expire_all()
    assert db.get(User, officer.id).deactivated_at is None


def test_provider_accounts_are_not_managed_as_staff(client, make_user, login_as):
    provider = make_user()
    login_as(make_user(role=Role.ADMIN))
    assert client.get(f"/admin/users/{provider.id}").status_code == 404


def test_no_one_can_make_themselves_staff(client, db, make_user, login_as):
    provider = make_user()
    login_as(provider)
    assert (
        post_form(client, f"/admin/users/{provider.id}", {"role": "ADMIN"}, form_url="/account/password").status_code
        == 403
    )
    db.expire_all()
    assert db.get(User, provider.id).role is Role.PROVIDER


def test_create_staff_command(app, db, mailbox):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create-staff", "--email", "Eve@Kent.example.gov.uk", "--name", "Eve", "--role", "evaluator"]
    )
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.email == "eve@kent.example.gov.uk"))
    assert user.role is Role.EVALUATOR and user.is_pending_invitation
    assert "/invitations/" in mailbox.body(mailbox.last_to(user.email))

    again = runner.invoke(
        args=["users", "create-staff", "--email", "eve@kent.example.gov.uk", "--name", "Eve", "--role", "officer"]
    )
    assert again.exit_code != 0 and "already exists" in again.output

    with_password = runner.invoke(
        args=[
            "users",
            "create-staff",
            "--email",
            "adm@kent.example.gov.uk",
            "--name",
            "A",
            "--role",
            "ADMIN",
            "--password",
            STAFF_PASSWORD,
        ]
    )
    assert with_password.exit_code == 0
    assert db.scalar(select(User).where(User.email == "adm@kent.example.gov.uk")).can_sign_in


@pytest.mark.parametrize(
    "role, may_manage", [(Role.PROVIDER, False), (Role.EVALUATOR, False), (Role.OFFICER, False), (Role.ADMIN, True)]
)
def test_only_administrators_manage_staff_and_their_home_page_says_so(client, make_user, login_as, role, may_manage):
    from portal.accounts.policies import can_manage_staff

    user = make_user(role=role)
    assert can_manage_staff(user) is may_manage
    login_as(user)
    home = client.get("/dashboard").get_data(as_text=True)
    assert ('<a class="govuk-link" href="/admin/users">Staff accounts</a>' in home) is may_manage
    assert (client.get("/admin/users").status_code == 200) is may_manage
