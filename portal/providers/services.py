"""Provider organisations: registration, and the people who act for them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts.models import Role, User
from portal.accounts.passwords import hash_password, password_problem
from portal.accounts.services import normalise_email, send_verification_email
from portal.accounts.tokens import make_token
from portal.audit.services import record
from portal.errors import RuleViolation, RuleViolations
from portal.links import external_url
from portal.notifications.services import queue_email
from portal.providers.models import District, Organisation, OrganisationType

CHARITY_NUMBER = re.compile(r"^(\d{6,8}|SC0\d{5}|NIC?\d{5,6})$")
COMPANY_NUMBER = re.compile(r"^(\d{8}|(SC|NI|OC|SO|NC|R0|CE|CS|SE|SL|LP|NL|FC|GE|IP|SP|RC|SR|NP|NO|NR|RS)\d{6})$")
POSTCODE = re.compile(r"^(GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})$")

NEEDS_CHARITY_NUMBER = {OrganisationType.REGISTERED_CHARITY, OrganisationType.CIO}
NEEDS_COMPANY_NUMBER = {OrganisationType.COMPANY_LIMITED_BY_GUARANTEE, OrganisationType.COMMUNITY_INTEREST_COMPANY}


def normalise_charity_number(value: str | None) -> str | None:
    value = re.sub(r"[\s-]", "", value or "").upper()
    return value or None


def normalise_company_number(value: str | None) -> str | None:
    value = re.sub(r"\s", "", value or "").upper()
    if value.isdigit() and len(value) < 8:
        value = value.zfill(8)  # Companies House drops leading zeros in print
    return value or None


def normalise_postcode(value: str) -> str:
    compact = re.sub(r"\s", "", value or "").upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def is_valid_charity_number(value: str) -> bool:
    return bool(CHARITY_NUMBER.match(value))


def is_valid_company_number(value: str) -> bool:
    return bool(COMPANY_NUMBER.match(value))


def is_valid_postcode(value: str) -> bool:
    return bool(POSTCODE.match(value))


def detail_problems(
    session: Session,
    organisation_type: OrganisationType,
    charity: str | None,
    company: str | None,
    postcode: str,
    district_ids: list[int],
) -> tuple[list[RuleViolation], list[District]]:
    """What is wrong with an organisation's details as typed (numbers and postcode
    already normalised), every problem at once, and the districts chosen. The one set
    of checks for registering an organisation and for changing its details.

    Checks: each number in its format, the number the organisation type needs given,
    a real postcode, and districts that exist (at least one). Whether a number is
    already held by another organisation needs the register: see ``number_held_elsewhere``.
    """
    problems = []
    if charity and not is_valid_charity_number(charity):
        problems.append(
            RuleViolation("charity_number", "Enter a charity number in the correct format, like 1123456 or SC012345")
        )
    elif organisation_type in NEEDS_CHARITY_NUMBER and not charity:
        problems.append(RuleViolation("charity_number", "Enter your charity number"))
    if company and not is_valid_company_number(company):
        problems.append(
            RuleViolation(
                "company_number", "Enter a Companies House number in the correct format, like 01234567 or SC123456"
            )
        )
    elif organisation_type in NEEDS_COMPANY_NUMBER and not company:
        problems.append(RuleViolation("company_number", "Enter your Companies House number"))
    if not is_valid_postcode(postcode):
        problems.append(RuleViolation("postcode", "Enter a real postcode, like ME14 1XQ"))
    districts = list(session.scalars(select(District).where(District.id.in_(district_ids)))) if district_ids else []
    if not districts or len(districts) != len(set(district_ids)):
        problems.append(RuleViolation("district_ids", "Select the districts your organisation serves"))
    return problems, districts


def write_details(
    organisation: Organisation,
    *,
    name: str,
    organisation_type: OrganisationType,
    charity: str | None,
    company: str | None,
    address_line_1: str,
    address_line_2: str | None,
    town: str,
    postcode: str,
    districts: list[District],
) -> None:
    """Store checked details (see :func:`detail_problems`) on the organisation, trimmed as
    registering and changing them both keep them (an empty second address line is none)."""
    organisation.name = name.strip()
    organisation.organisation_type = organisation_type
    organisation.charity_number = charity
    organisation.company_number = company
    organisation.address_line_1 = address_line_1.strip()
    organisation.address_line_2 = (address_line_2 or "").strip() or None
    organisation.town = town.strip()
    organisation.postcode = postcode
    organisation.districts = districts


@dataclass
class Registration:
    organisation_name: str
    organisation_type: OrganisationType
    charity_number: str | None
    company_number: str | None
    address_line_1: str
    address_line_2: str | None
    town: str
    postcode: str
    district_ids: list[int]
    full_name: str
    email: str
    password: str


CLAIM_MAX_AGE = 180 * 24 * 3600


def make_claim_token(organisation: Organisation) -> str:
    """The link in an incumbent's invitation: registering through it takes over
    the organisation record the council already holds, agreements and all."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="portal-claim").dumps(organisation.id)


def send_claim_link(session: Session, organisation: Organisation) -> None:
    """Email the organisation's claim link to its contact address, for someone who
    tried to register it without the link. Refuses nothing."""
    queue_email(
        session,
        organisation.contact_email,
        "claim_link",
        organisation=organisation,
        register_url=external_url("providers.register", claim=make_claim_token(organisation)),
    )


def organisation_for_claim(session: Session, token: str | None) -> Organisation | None:
    """The unregistered organisation a claim link names; None for a bad, expired
    or used link (refuses nothing: the page then registers a new organisation)."""
    if not token:
        return None
    try:
        organisation_id = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="portal-claim").loads(
            token, max_age=CLAIM_MAX_AGE
        )
    except BadSignature:
        return None
    organisation = session.get(Organisation, organisation_id) if isinstance(organisation_id, int) else None
    return organisation if organisation is not None and not organisation.is_registered else None


def _mask(email: str | None) -> str:
    if not email or "@" not in email:
        return "your organisation's contact address"
    local, domain = email.split("@", 1)
    return f"{local[0]}…@{domain}"


def _existing_by_number(
    session: Session, charity: str | None, company: str | None, other_than: Organisation | None = None
) -> tuple[str, Organisation] | None:
    """The first organisation (other than ``other_than``) holding either number, and which number."""
    for field, column, value in (
        ("charity_number", Organisation.charity_number, charity),
        ("company_number", Organisation.company_number, company),
    ):
        if value:
            query = select(Organisation).where(column == value)
            if other_than is not None:
                query = query.where(Organisation.id != other_than.id)
            found = session.scalar(query)
            if found is not None:
                return field, found
    return None


def number_held_elsewhere(session: Session, organisation: Organisation, charity: str | None, company: str | None):
    """A RuleViolation if another organisation, registered or held for an incumbent,
    already has either number (the columns are unique); else None."""
    existing = _existing_by_number(session, charity, company, other_than=organisation)
    if existing is None:
        return None
    field, found = existing
    label = "charity number" if field == "charity_number" else "Companies House number"
    if found.is_registered:
        return RuleViolation(field, f"Another organisation with this {label} is already registered")
    return RuleViolation(
        field,
        f"The council holds agreements with another organisation with this {label}. "
        f"Contact {current_app.config['SERVICE_CONTACT_EMAIL']}",
    )


def register_organisation(
    session: Session, data: Registration, now: datetime, claim_token: str | None = None
) -> Organisation | None:
    """Create an organisation and its first user, its administrator, unverified.

    An incumbent the council already holds (imported with its agreements) is
    claimed rather than duplicated, through the claim link emailed to its contact
    address: the link is the proof that the claim comes from the organisation.
    Whoever registers with its number and its contact address but without the
    link changes nothing: the contact address is sent the link instead, and the
    claim is made when someone registers through it. Until then the real
    organisation can still claim its record.

    Returns None, creating nothing, in that case and when the email is already
    registered (that address is emailed instead), so the page shown never reveals
    who has an account. The password is hashed on every path that gets this far,
    so neither does the time the page takes.

    Raises:
        RuleViolations: every problem with what was typed at once: a number in
            the wrong format, the number the organisation type needs missing, a
            postcode that is not one, an unknown district, a weak password.
        RuleViolation: a number already registered, or held for an incumbent
            that the person registering has not shown they speak for.
    """
    charity = normalise_charity_number(data.charity_number)
    company = normalise_company_number(data.company_number)
    postcode = normalise_postcode(data.postcode)
    email = normalise_email(data.email)

    # Every problem with what was typed is shown at once; those that need the
    # register of organisations (a number already held) only once it is well formed.
    problems, districts = detail_problems(
        session, data.organisation_type, charity, company, postcode, data.district_ids
    )
    problem = password_problem(data.password, email)
    if problem:
        problems.append(RuleViolation("password", problem))
    RuleViolations.raise_any(problems)
    # Before anything that depends on who has an account: see the docstring.
    password_hash = hash_password(data.password)

    organisation = organisation_for_claim(session, claim_token)
    existing = _existing_by_number(session, charity, company)
    if existing is not None:
        field, found = existing
        label = "charity number" if field == "charity_number" else "Companies House number"
        if found.is_registered:
            raise RuleViolation(
                field, f"An organisation with this {label} is already registered. Ask its administrator to invite you"
            )
        if organisation is None and (found.contact_email or "").lower() == email:
            # Typing the address is no proof of holding it: nothing about the record
            # changes until the link sent to it is followed.
            send_claim_link(session, found)
            return None
        if organisation is None or organisation.id != found.id:
            raise RuleViolation(
                field,
                f"The council already holds agreements with the organisation with this "
                f"{label}. Use the link in the invitation emailed to "
                f"{_mask(found.contact_email)}, or contact "
                f"{current_app.config['SERVICE_CONTACT_EMAIL']}",
            )
    if session.scalar(select(User.id).where(User.email == email)):
        queue_email(
            session,
            email,
            "already_registered",
            sign_in_url=external_url("accounts.sign_in"),
            reset_url=external_url("accounts.request_password_reset"),
        )
        return None

    claimed = organisation is not None
    if organisation is None:
        organisation = Organisation()
        session.add(organisation)
    write_details(
        organisation,
        name=data.organisation_name,
        organisation_type=data.organisation_type,
        charity=charity,
        company=company,
        address_line_1=data.address_line_1,
        address_line_2=data.address_line_2,
        town=data.town,
        postcode=postcode,
        districts=districts,
    )
    organisation.registered_at = now
    user = User(
        email=email,
        full_name=data.full_name.strip(),
        password_hash=password_hash,
        role=Role.PROVIDER,
        organisation=organisation,
        is_organisation_admin=True,
    )
    session.add(user)
    session.flush()
    record(
        session,
        user,
        "organisation.claimed" if claimed else "organisation.registered",
        organisation,
        name=organisation.name,
    )
    record(session, user, "user.registered", user, email=email, organisation_id=organisation.id)
    send_verification_email(session, user)
    return organisation


def invite_colleague(
    session: Session, inviter: User, email: str, full_name: str, make_admin: bool, now: datetime
) -> User:
    """Invite someone to act for the inviter's organisation.

    A person removed from an organisation earlier may be invited again.

    Raises:
        RuleViolation: the address belongs to someone already in an organisation
            or to council staff.
    """
    email = normalise_email(email)
    user = session.scalar(select(User).where(User.email == email))
    if user is not None:
        if user.organisation_id == inviter.organisation_id and user.deactivated_at is None:
            raise RuleViolation("email", "This person is already a member of your organisation")
        if user.role is not Role.PROVIDER or user.organisation_id is not None:
            raise RuleViolation(
                "email", "This email address cannot be invited. Ask the person to use a different address"
            )
        user.organisation_id = inviter.organisation_id
        user.deactivated_at = None
        user.password_hash = None
        user.email_verified_at = None
        user.session_version += 1
    else:
        user = User(email=email, role=Role.PROVIDER, organisation_id=inviter.organisation_id)
        session.add(user)
    user.full_name = full_name.strip()
    user.is_organisation_admin = make_admin
    user.invited_by_id = inviter.id
    user.invited_at = now
    session.flush()
    record(
        session,
        inviter,
        "user.invited",
        user,
        email=email,
        organisation_id=inviter.organisation_id,
        is_organisation_admin=make_admin,
    )
    queue_email(
        session,
        email,
        "invitation",
        user=user,
        inviter=inviter,
        organisation=inviter.organisation,
        accept_url=external_url("accounts.accept_invitation", token=make_token("invite", user)),
    )
    return user


def organisation_admin_count(session: Session, organisation_id: int) -> int:
    """How many people can administer the organisation (invitations still open do not count)."""
    return session.scalar(
        select(func.count(User.id)).where(
            User.organisation_id == organisation_id,
            User.is_organisation_admin.is_(True),
            User.deactivated_at.is_(None),
            User.password_hash.is_not(None),
        )
    )


def remove_colleague(session: Session, actor: User, member: User, now: datetime) -> None:
    """Remove a member from the actor's organisation; their sessions end at once.

    Raises:
        RuleViolation: removing the organisation's last administrator.
    """
    if (
        member.is_organisation_admin
        and organisation_admin_count(session, member.organisation_id) <= 1
        and not member.is_pending_invitation
    ):
        raise RuleViolation(
            None, "You cannot remove the organisation's only administrator. Make someone else an administrator first"
        )
    organisation_id = member.organisation_id
    member.organisation_id = None
    member.is_organisation_admin = False
    member.deactivated_at = now
    member.session_version += 1
    record(session, actor, "user.removed_from_organisation", member, organisation_id=organisation_id)
