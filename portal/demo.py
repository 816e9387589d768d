"""Demo data: the council, its districts, providers and staff, to sign in as each role.

Loading is idempotent: what exists already (matched by email, name or number)
is left alone. Every demo account shares one password, printed at the end.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.accounts.passwords import hash_password
from portal.audit.services import record
from portal.db import transaction
from portal.jobs import publish_audit_head
from portal.providers.models import District, Organisation, OrganisationType

DEMO_PASSWORD = "kent-demo-portal-2026"  # noqa: S105  (the published demo password; demo data is refused in production)

KENT_DISTRICTS = [
    "Ashford",
    "Canterbury",
    "Dartford",
    "Dover",
    "Folkestone and Hythe",
    "Gravesham",
    "Maidstone",
    "Sevenoaks",
    "Swale",
    "Thanet",
    "Tonbridge and Malling",
    "Tunbridge Wells",
]

STAFF = [
    ("officer@kent.example.gov.uk", "Priya Shah", Role.OFFICER),
    ("officer2@kent.example.gov.uk", "Tom Ellis", Role.OFFICER),
    ("evaluator@kent.example.gov.uk", "Grace Okafor", Role.EVALUATOR),
    ("evaluator2@kent.example.gov.uk", "Daniel Hughes", Role.EVALUATOR),
    ("admin@kent.example.gov.uk", "Martin Webb", Role.ADMIN),
]

PROVIDERS = [
    # name, type, charity number, company number, town, postcode, districts, users
    (
        "Medway Valley Young Carers",
        OrganisationType.REGISTERED_CHARITY,
        "1098765",
        None,
        "Maidstone",
        "ME14 1XQ",
        ["Maidstone", "Tonbridge and Malling", "Swale"],
        [
            ("provider@medway-young-carers.example.org", "Sarah Collins", True),
            ("colleague@medway-young-carers.example.org", "James Patel", False),
        ],
    ),
    (
        "Thanet Family Link",
        OrganisationType.CIO,
        "1187654",
        None,
        "Margate",
        "CT9 1XZ",
        ["Thanet", "Dover", "Canterbury"],
        [("provider@thanet-family-link.example.org", "Aisha Rahman", True)],
    ),
    (
        "Weald Short Breaks CIC",
        OrganisationType.COMMUNITY_INTEREST_COMPANY,
        None,
        "09876543",
        "Tunbridge Wells",
        "TN1 1RS",
        ["Tunbridge Wells", "Sevenoaks"],
        [("provider@weald-short-breaks.example.org", "Owen Price", True)],
    ),
    (
        "Ashford Sunflower Play Scheme",
        OrganisationType.COMPANY_LIMITED_BY_GUARANTEE,
        None,
        "07654321",
        "Ashford",
        "TN23 1AB",
        ["Ashford", "Folkestone and Hythe", "Swale"],
        [("provider@ashford-sunflower.example.org", "Megan Doyle", True)],
    ),
]


def load(as_published: bool = False) -> None:
    """Create what is missing of the demo council. ``as_published`` keeps the
    seed documents' own dates; otherwise the story is moved to today."""
    with transaction() as session:
        _load(session, as_published)
    publish_audit_head()  # today's head of the audit chain, covering the demo's records


def _load(session, as_published: bool) -> None:
    from portal import clock

    now = clock.now()
    districts = {d.name: d for d in session.scalars(select(District))}
    for name in KENT_DISTRICTS:
        if name not in districts:
            districts[name] = District(name=name)
            session.add(districts[name])
    session.flush()

    for email, full_name, role in STAFF:
        if session.scalar(select(User.id).where(User.email == email)) is None:
            session.add(
                User(
                    email=email,
                    full_name=full_name,
                    role=role,
                    password_hash=hash_password(DEMO_PASSWORD),
                    email_verified_at=now,
                )
            )

    for name, org_type, charity, company, town, postcode, served, people in PROVIDERS:
        organisation = session.scalar(select(Organisation).where(Organisation.name == name))
        if organisation is None:
            organisation = Organisation(
                name=name,
                organisation_type=org_type,
                charity_number=charity,
                company_number=company,
                address_line_1="1 High Street",
                town=town,
                postcode=postcode,
                districts=[districts[d] for d in served],
                registered_at=now,
            )
            session.add(organisation)
        for email, full_name, is_admin in people:
            if session.scalar(select(User.id).where(User.email == email)) is None:
                session.add(
                    User(
                        email=email,
                        full_name=full_name,
                        role=Role.PROVIDER,
                        organisation=organisation,
                        is_organisation_admin=is_admin,
                        password_hash=hash_password(DEMO_PASSWORD),
                        email_verified_at=now,
                    )
                )
    session.flush()
    from portal.agreements import demo_data

    years = 0 if as_published else demo_data.shift_for(clock.today())
    demo_orgs = list(
        session.scalars(
            select(Organisation).where(Organisation.name.in_([p[0] for p in PROVIDERS])).order_by(Organisation.id)
        )
    )
    created = demo_data.load(session, years, demo_orgs)
    from portal.tenders import demo_data as tender_demo

    tenders = tender_demo.load(session, years, as_published, clock.now())
    from portal.evaluation import demo_data as evaluation_demo

    # A tender past its deadline, its bids opened and its panels appointed, to evaluate at once.
    tenders += evaluation_demo.load(session, clock.now())
    from portal.awards import demo_data as award_demo

    tenders += award_demo.load(session, clock.now())
    from portal.transparency import demo_data as open_data_demo

    # An awarded tender with its contracts, and an amended then cancelled one: every kind of open-data release.
    tenders += open_data_demo.load(session, clock.now())
    record(
        session,
        None,
        "demo.loaded",
        as_published=as_published,
        years_moved=years,
        agreements_created=created,
        tenders_created=tenders,
    )


def sign_in_details() -> str:
    lines = [
        "",
        f"Demo sign-in details for {current_app.config['COUNCIL_NAME']} (every password: {DEMO_PASSWORD})",
    ]
    for email, _name, role in STAFF:
        lines.append(f"  {role.value:<22} {email}")
    for name, *_rest, people in PROVIDERS:
        for email, _full_name, is_admin in people:
            label = "Provider admin" if is_admin else "Provider"
            lines.append(f"  {label:<22} {email}  ({name})")
    lines.append(
        f"Emails are written to {current_app.config['MAIL_OUTBOX_PATH']}"
        if current_app.config["MAIL_BACKEND"] == "outbox"
        else ""
    )
    return "\n".join(lines)
