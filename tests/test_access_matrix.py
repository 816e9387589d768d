"""Who may open each page and send each form: the route × persona matrix.

``MATRIX`` below holds one row per URL rule and method (some rules have more
than one row, filled with different objects), and the answer each of six
personas must get. Every cell is its own test. A new route without a row makes
``test_matrix_covers_every_route`` fail.

Answers:
    200, 400, 403, 404   the status code
    LOGIN                302 to /sign-in?next=<the requested path> (signed-out visitor, protected page)
    HOME                 302 to /dashboard (a signed-in user on a signed-out-only page)
    Redirect("/x")       302 to /x: the form was accepted

Every POST carries a valid CSRF token and, where the route changes something,
valid data: so an allowed persona's POST really changes the database (checked),
and a refused one (LOGIN, 403, 404) must leave it exactly as it was (checked).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from portal.accounts.models import Role
from portal.agreements.models import Agreement, EndingNotice, NoticeKind, ServiceCategory
from portal.auth import ANYONE, SIGNED_IN, audience_of
from portal.db import Base, utcnow
from tests.conftest import PASSWORD
from tests.support import csrf_token_from

NEW_PASSWORD = "a-different-long-passphrase-2024"
CSRF_FAILURE_TEXT = "the page had been open too long"


@dataclass(frozen=True)
class Redirect:
    to: str  # path, may name objects of the world: "/admin/users/{staff_member}"

    def __repr__(self):
        return f"302->{self.to}"


LOGIN = "302->sign-in"
HOME = Redirect("/dashboard")
ORGANISATION = Redirect("/organisation")
SIGNED_OUT = Redirect("/sign-in")

PERSONAS = ("anonymous", "provider_a", "provider_b", "officer", "evaluator", "admin")
PERSONA_ROLES = {"provider_a": Role.PROVIDER, "provider_b": Role.PROVIDER, "officer": Role.OFFICER,
                 "evaluator": Role.EVALUATOR, "admin": Role.ADMIN}


@dataclass(frozen=True)
class Row:
    method: str
    rule: str  # exactly as in app.url_map
    answers: tuple  # one per persona, in PERSONAS order
    args: dict = field(default_factory=dict)  # rule argument -> object of the world (or a literal)
    data: dict = field(default_factory=dict)  # POST body; "{name}" is filled from the world
    changes: bool = False  # an accepted POST changes the database
    note: str = ""

    @property
    def expected(self) -> dict:
        return dict(zip(PERSONAS, self.answers, strict=True))

    @property
    def label(self) -> str:
        return f"{self.method} {self.rule}" + (f" ({self.note})" if self.note else "")


def R(method, rule, *answers, args=None, data=None, changes=False, note=""):
    return Row(method, rule, tuple(answers), args or {}, data or {}, changes, note)


COLLEAGUE = {"user_id": "colleague_a"}
STAFF = {"user_id": "staff_member"}
FORMER_STAFF = {"user_id": "former_staff_member"}
PROVIDER_ID = {"user_id": "provider_a"}
AGREEMENT = {"agreement_id": "agreement_a"}
SHOW_AGREEMENT = Redirect("/agreements/{agreement_a}")
NOTICES = Redirect("/agreements/notices")
REGISTER = Redirect("/agreements")
CATEGORIES = Redirect("/agreements/categories")
JUNK = {"token": "not-a-real-token"}
NEW_PASSWORD_DATA = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
REGISTRATION = {
    "organisation_name": "Swale Youth Trust", "organisation_type": "REGISTERED_CHARITY", "charity_number": "1123456",
    "address_line_1": "2 Bank Street", "town": "Sittingbourne", "postcode": "ME10 4AA", "district_ids": "{district}",
    "full_name": "Jo Bloggs", "email": "jo@swale-youth.example.org", "password": PASSWORD, "confirm": PASSWORD,
}

# fmt: off
MATRIX = [
    #  method  rule                                               anonymous  provider_a  provider_b  officer  evaluator  admin
    R("GET",  "/",                                                200,       200,        200,        200,     200,       200),
    R("GET",  "/dashboard",                                       LOGIN,     200,        200,        200,     200,       200),
    R("GET",  "/accessibility",                                   200,       200,        200,        200,     200,       200),
    R("GET",  "/privacy",                                         200,       200,        200,        200,     200,       200),
    R("GET",  "/cookies",                                         200,       200,        200,        200,     200,       200),
    R("GET",  "/sign-in",                                         200,       HOME,       HOME,       HOME,    HOME,      HOME),
    R("POST", "/sign-in",                                         400,       HOME,       HOME,       HOME,    HOME,      HOME,
      data={"email": "{provider_a.email}", "password": "wrong password"}, note="wrong password"),
    R("POST", "/sign-out",                                        SIGNED_OUT, SIGNED_OUT, SIGNED_OUT, SIGNED_OUT, SIGNED_OUT, SIGNED_OUT),
    R("GET",  "/verify-email/<token>",                            400,       400,        400,        400,     400,       400, args=JUNK),
    R("GET",  "/verify-email",                                    200,       200,        200,        200,     200,       200),
    R("POST", "/verify-email",                                    200,       200,        200,        200,     200,       200,
      data={"email": "nobody@example.org"}),
    R("GET",  "/password-reset",                                  200,       200,        200,        200,     200,       200),
    R("POST", "/password-reset",                                  200,       200,        200,        200,     200,       200,
      data={"email": "nobody@example.org"}),
    R("GET",  "/password-reset/<token>",                          400,       400,        400,        400,     400,       400, args=JUNK),
    R("POST", "/password-reset/<token>",                          400,       400,        400,        400,     400,       400, args=JUNK,
      data=NEW_PASSWORD_DATA),
    R("GET",  "/invitations/<token>",                             400,       400,        400,        400,     400,       400, args=JUNK),
    R("POST", "/invitations/<token>",                             400,       400,        400,        400,     400,       400, args=JUNK,
      data={"full_name": "Sam Smith", **NEW_PASSWORD_DATA}),
    R("GET",  "/account",                                         LOGIN,     200,        200,        200,     200,       200),
    R("GET",  "/account/password",                                LOGIN,     200,        200,        200,     200,       200),
    R("POST", "/account/password",                                LOGIN,     Redirect("/account"), Redirect("/account"), Redirect("/account"),
      Redirect("/account"), Redirect("/account"), data={"current_password": PASSWORD, **NEW_PASSWORD_DATA}, changes=True),
    R("GET",  "/register",                                        200,       HOME,       HOME,       HOME,    HOME,      HOME),
    R("POST", "/register",                                        200,       HOME,       HOME,       HOME,    HOME,      HOME,
      data=REGISTRATION, changes=True),
    R("GET",  "/organisation",                                    LOGIN,     200,        200,        403,     403,       403),
    R("GET",  "/organisation/colleagues/invite",                  LOGIN,     200,        200,        403,     403,       403),
    R("POST", "/organisation/colleagues/invite",                  LOGIN,     ORGANISATION, ORGANISATION, 403,   403,       403,
      data={"full_name": "Sam Smith", "email": "sam@example.org"}, changes=True),
    R("GET",  "/organisation/colleagues/<int:user_id>/remove",    LOGIN,     200,        404,        403,     403,       403,
      args=COLLEAGUE, note="colleague in A"),
    R("POST", "/organisation/colleagues/<int:user_id>/remove",    LOGIN,     ORGANISATION, 404,      403,     403,       403,
      args=COLLEAGUE, changes=True, note="colleague in A"),
    R("GET",  "/organisation/colleagues/<int:user_id>/remove",    LOGIN,     404,        404,        403,     403,       403,
      args=PROVIDER_ID, note="provider A themselves"),
    R("GET",  "/organisation/colleagues/<int:user_id>/remove",    LOGIN,     404,        404,        403,     403,       403,
      args=STAFF, note="a staff member"),
    R("GET",  "/admin/users",                                     LOGIN,     403,        403,        403,     403,       200),
    R("GET",  "/admin/users/new",                                 LOGIN,     403,        403,        403,     403,       200),
    R("POST", "/admin/users/new",                                 LOGIN,     403,        403,        403,     403,       Redirect("/admin/users"),
      data={"full_name": "Sam Smith", "email": "sam@example.gov.uk", "role": "ADMIN"}, changes=True),
    R("GET",  "/admin/users/<int:user_id>",                       LOGIN,     403,        403,        403,     403,       200,
      args=STAFF, note="staff member"),
    R("POST", "/admin/users/<int:user_id>",                       LOGIN,     403,        403,        403,     403,
      Redirect("/admin/users/{staff_member}"), args=STAFF, data={"role": "ADMIN"}, changes=True, note="staff member"),
    R("GET",  "/admin/users/<int:user_id>",                       LOGIN,     403,        403,        403,     403,       404,
      args=PROVIDER_ID, note="provider"),
    R("POST", "/admin/users/<int:user_id>",                       LOGIN,     403,        403,        403,     403,       404,
      args=PROVIDER_ID, data={"role": "ADMIN"}, note="provider"),
    R("POST", "/admin/users/<int:user_id>/deactivate",            LOGIN,     403,        403,        403,     403,
      Redirect("/admin/users/{staff_member}"), args=STAFF, changes=True, note="staff member"),
    R("POST", "/admin/users/<int:user_id>/deactivate",            LOGIN,     403,        403,        403,     403,       404,
      args=PROVIDER_ID, note="provider"),
    R("POST", "/admin/users/<int:user_id>/reactivate",            LOGIN,     403,        403,        403,     403,
      Redirect("/admin/users/{former_staff_member}"), args=FORMER_STAFF, changes=True, note="deactivated staff member"),
    R("POST", "/admin/users/<int:user_id>/reactivate",            LOGIN,     403,        403,        403,     403,       404,
      args=PROVIDER_ID, note="provider"),
    # The agreements register: procurement officers and administrators.
    R("GET",  "/agreements",                                      LOGIN,     403,        403,        200,     403,       200),
    R("GET",  "/agreements/export.<kind>",                        LOGIN,     403,        403,        200,     403,       200,
      args={"kind": "csv"}),
    R("GET",  "/agreements/import",                               LOGIN,     403,        403,        200,     403,       200),
    R("POST", "/agreements/import",                               LOGIN,     403,        403,        400,     403,       400,
      note="no file chosen"),
    R("GET",  "/agreements/import/template.csv",                  LOGIN,     403,        403,        200,     403,       200),
    R("GET",  "/agreements/<int:agreement_id>",                   LOGIN,     403,        403,        200,     403,       200,
      args=AGREEMENT),
    R("GET",  "/agreements/<int:agreement_id>/extend",            LOGIN,     403,        403,        200,     403,       200,
      args=AGREEMENT),
    R("POST", "/agreements/<int:agreement_id>/extend",            LOGIN,     403,        403,        SHOW_AGREEMENT, 403, SHOW_AGREEMENT,
      args=AGREEMENT, data={"new_end_date": ["31", "3", "2031"], "reason": "Bridging to re-tender",
                            "agreed_by": "Head of Commissioning"}, changes=True),
    R("GET",  "/agreements/notices",                              LOGIN,     403,        403,        200,     403,       200),
    R("POST", "/agreements/notices",                              LOGIN,     403,        403,        NOTICES, 403,       NOTICES,
      data={"months": "9, 2", "notify_on_extension": "y"}, changes=True),
    R("POST", "/agreements/notices/send-due",                     LOGIN,     403,        403,        NOTICES, 403,       NOTICES),
    R("GET",  "/agreements/notices/new",                          LOGIN,     403,        403,        200,     403,       200),
    R("POST", "/agreements/notices/new",                          LOGIN,     403,        403,        REGISTER, 403,      REGISTER,
      data={"subject": "Your agreement", "body": "Please get in touch."}, changes=True),
    R("GET",  "/agreements/dashboard",                            LOGIN,     403,        403,        200,     403,       200),
    R("GET",  "/agreements/reports",                              LOGIN,     403,        403,        200,     403,       200),
    R("GET",  "/agreements/categories",                           LOGIN,     403,        403,        200,     403,       200),
    R("POST", "/agreements/categories",                           LOGIN,     403,        403,        CATEGORIES, 403,    CATEGORIES,
      data={"name": "Access matrix new category"}, changes=True),
    # A provider reads the notices sent to its own organisation.
    R("GET",  "/notices/<int:notice_id>",                         LOGIN,     200,        404,        403,     403,       403,
      args={"notice_id": "notice_a"}, changes=True, note="notice to A (first read is recorded)"),
]
# fmt: on

REFUSED = (LOGIN, 403, 404)
CASES = [pytest.param(row, persona, id=f"{row.label}-{persona}") for row in MATRIX for persona in PERSONAS]


# --- the world every cell runs in ------------------------------------------------------------------


@pytest.fixture
def world(db, make_organisation, make_user):
    """Two provider organisations, each with an administrator; a colleague in A; the
    three staff personas; the staff members the admin pages act on; and an agreement
    with organisation A and a notice sent to it."""
    organisation_a, organisation_b = make_organisation(), make_organisation()
    objects = {
        "provider_a": make_user(Role.PROVIDER, organisation=organisation_a, is_organisation_admin=True),
        "colleague_a": make_user(Role.PROVIDER, organisation=organisation_a, is_organisation_admin=False),
        "provider_b": make_user(Role.PROVIDER, organisation=organisation_b, is_organisation_admin=True),
        "officer": make_user(Role.OFFICER),
        "evaluator": make_user(Role.EVALUATOR),
        "admin": make_user(Role.ADMIN),
        "staff_member": make_user(Role.EVALUATOR),
        "former_staff_member": make_user(Role.OFFICER),
    }
    objects["former_staff_member"].deactivated_at = utcnow()
    category = ServiceCategory(name="Access matrix test services")
    agreement = Agreement(
        reference="KCC-EIP-001", organisation_id=organisation_a.id, service_name="Early help for young carers",
        category=category, annual_value_pence=8_500_000, start_date=date(2024, 4, 1),
        original_end_date=date(2030, 3, 31), end_date=date(2030, 3, 31), districts=list(organisation_a.districts),
    )
    notice = EndingNotice(agreement=agreement, organisation_id=organisation_a.id, kind=NoticeKind.MANUAL,
                          subject="Your agreement is ending", body="It ends on 31 March 2030.")
    db.add_all([category, agreement, notice])
    db.commit()
    objects.update(district=organisation_a.districts[0].id, agreement_a=agreement, notice_a=notice)
    return objects


class _Fill(dict):
    """str.format_map source: "{provider_a}" is the user's id, "{provider_a.email}" an attribute."""

    def __init__(self, world):
        super().__init__({key: _Id(value) for key, value in world.items()})


class _Id:
    def __init__(self, value):
        self.value = value

    def __format__(self, spec):
        return str(getattr(self.value, "id", self.value))

    def __getattr__(self, name):
        return getattr(self.value, name)


def fill(value, world):
    if isinstance(value, list):
        return [fill(item, world) for item in value]
    return value.format_map(_Fill(world))


def url_for_row(row: Row, world) -> str:
    def argument(match):
        name = match.group(1)
        value = row.args[name]
        return fill("{" + value + "}", world) if value in world else value

    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", argument, row.rule)


def snapshot(app) -> dict:
    """Every row of every table: what a refused request must leave untouched."""
    with app.extensions["db_engine"].connect() as connection:
        return {
            table.name: sorted(connection.execute(select(table)).all(), key=repr)
            for table in Base.metadata.sorted_tables
        }


def sign_in(persona, world, login_as, client):
    if persona != "anonymous":
        login_as(world[persona])
    return client


def fresh_csrf_token(client, persona) -> str:
    page = client.get("/sign-in" if persona == "anonymous" else "/account/password")
    assert page.status_code == 200
    return csrf_token_from(page.get_data(as_text=True))


def assert_answer(response, expected, url, world):
    location = response.headers.get("Location", "")
    if expected == LOGIN:
        assert response.status_code == 302, f"expected a redirect to sign in, got {response.status_code}"
        target = urlsplit(location)
        assert target.path == "/sign-in", location
        assert parse_qs(target.query).get("next") == [url], location
    elif isinstance(expected, Redirect):
        assert response.status_code == 302, f"expected 302 to {expected.to}, got {response.status_code}"
        target = urlsplit(location)
        assert target._replace(scheme="", netloc="").geturl() == fill(expected.to, world), location
    else:
        assert response.status_code == expected, (
            f"expected {expected}, got {response.status_code} {location}".rstrip())
    if response.status_code == 400:
        assert CSRF_FAILURE_TEXT not in response.get_data(as_text=True), "a CSRF failure, not an access decision"


# --- the matrix --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("row", "persona"), CASES)
def test_access(row, persona, app, client, world, login_as):
    sign_in(persona, world, login_as, client)
    url = url_for_row(row, world)
    data = {}
    if row.method == "POST":
        data = {"csrf_token": fresh_csrf_token(client, persona),
                **{key: fill(value, world) for key, value in row.data.items()}}
    expected = row.expected[persona]

    before = snapshot(app)
    response = client.open(url, method=row.method, data=data)
    after = snapshot(app)

    assert_answer(response, expected, url, world)
    if expected in REFUSED:
        assert after == before, "a refused request changed the database"
    elif row.changes and expected != HOME:
        assert after != before, "the accepted request changed nothing: the row's data does not exercise the route"


def test_a_provider_who_is_not_organisation_admin_is_refused(app, client, world, login_as, db):
    """organisation_admin: a provider, but only their organisation's administrators."""
    member = world["colleague_a"]
    login_as(member)
    assert client.get("/organisation").status_code == 200
    assert client.get("/organisation/colleagues/invite").status_code == 403
    assert client.get(f"/organisation/colleagues/{world['provider_a'].id}/remove").status_code == 403

    before = snapshot(app)
    response = client.post(f"/organisation/colleagues/{world['provider_a'].id}/remove",
                           data={"csrf_token": fresh_csrf_token(client, "colleague_a")})
    assert response.status_code == 403
    response = client.post("/organisation/colleagues/invite",
                           data={"csrf_token": fresh_csrf_token(client, "colleague_a"),
                                 "full_name": "Sam Smith", "email": "sam@example.org"})
    assert response.status_code == 403
    assert snapshot(app) == before


# --- the matrix against the app's routes and their declarations ----------------------------------------


def routes(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules() if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_matrix_covers_every_route(app):
    in_matrix = {(row.method, row.rule) for row in MATRIX}
    assert routes(app) - in_matrix == set(), "routes with no row in the access matrix"
    assert in_matrix - routes(app) == set(), "matrix rows for routes that do not exist"


def test_every_endpoint_declares_an_audience(app):
    for endpoint in app.view_functions:
        if endpoint == "static":
            continue
        audience = audience_of(app, endpoint)
        assert audience in (ANYONE, SIGNED_IN) or (
            isinstance(audience, frozenset) and audience and all(isinstance(r, Role) for r in audience)
        ), f"{endpoint} declares no audience ({audience!r})"


def test_matrix_agrees_with_declared_audiences(app):
    """A public route never sends visitors to sign in; a protected one always does, and
    refuses signed-in users of other roles with 403."""
    adapter = app.url_map.bind("localhost")
    for row in MATRIX:
        endpoint = next(rule.endpoint for rule in adapter.map.iter_rules() if rule.rule == row.rule)
        audience = audience_of(app, endpoint)
        expected = row.expected
        if audience == ANYONE:
            assert LOGIN not in expected.values(), row.label
            continue
        assert expected["anonymous"] == LOGIN, row.label
        if isinstance(audience, frozenset):
            for persona, role in PERSONA_ROLES.items():
                if role not in audience:
                    assert expected[persona] == 403, f"{row.label}: {persona}"
                else:
                    assert expected[persona] != 403, f"{row.label}: {persona}"


def test_each_persona_is_who_the_matrix_says(world):
    assert world["agreement_a"].organisation_id == world["provider_a"].organisation_id
    assert world["notice_a"].organisation_id == world["provider_a"].organisation_id
    assert world["provider_a"].organisation_id != world["provider_b"].organisation_id
    assert world["colleague_a"].organisation_id == world["provider_a"].organisation_id
    assert world["provider_a"].is_organisation_admin and world["provider_b"].is_organisation_admin
    assert not world["colleague_a"].is_organisation_admin
    assert {persona: world[persona].role for persona in PERSONA_ROLES} == PERSONA_ROLES
    assert world["staff_member"].role.is_staff and world["former_staff_member"].deactivated_at is not None
