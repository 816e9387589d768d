"""The seed's story as demo agreements (../shared/seeds/kcc-question-2011-...).

Kent spent £15.9m in 2010/11 on VCS services for children's safeguarding and
wellbeing and planned £17.5m for 2011/12, the rise largely from 16+ Leaving
Care. Of its agreements, 1 ended on 1 June 2011, 12 ended on 30 September 2011
after a temporary 6-month extension, and 160 more end on 31 March 2012.

By default the story is moved forward by whole years so that today falls where
the seed stood: after the September wave, before the March one.
"""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.agreements.models import (
    Agreement,
    AgreementDeliveryMode,
    AgreementExtension,
    AgreementSpend,
    DeliveryMode,
    ServiceCategory,
)
from portal.agreements.services import install_defaults
from portal.providers.models import District, Organisation

EIP, DCS, LEAVING_CARE = "Early Intervention & Prevention", "Disabled Children's Services", "16+ Leaving Care"

# Spend in whole pounds by category: 2010/11 actual, 2011/12 planned.
SPEND_2010 = {EIP: 9_000_000, DCS: 5_400_000, LEAVING_CARE: 1_500_000}  # £15.9m
SPEND_2011 = {EIP: 9_100_000, DCS: 5_500_000, LEAVING_CARE: 2_900_000}  # £17.5m
AGREEMENTS_PER_CATEGORY = {EIP: 100, DCS: 55, LEAVING_CARE: 18}  # 173

SERVICES = {
    EIP: [
        "Family support workers",
        "Parenting programme",
        "Young carers support",
        "Youth mentoring",
        "Domestic abuse recovery for children",
        "Early help drop-in",
        "Counselling for young people",
        "Teenage pregnancy support",
        "Homework and learning club",
        "Positive activities for young people",
    ],
    DCS: [
        "Short breaks",
        "Holiday playscheme",
        "Saturday club for disabled children",
        "Sibling support",
        "Overnight short breaks",
        "Specialist youth club",
        "Home-based respite",
        "Parent carer forum support",
    ],
    LEAVING_CARE: [
        "Supported lodgings",
        "Leaving care mentoring",
        "Independent living skills",
        "Housing support for care leavers",
        "Education and employment coaching",
    ],
}
PLACE_WORDS = [
    "Medway",
    "Weald",
    "Stour",
    "Swale",
    "Thanet",
    "Downs",
    "Marsh",
    "Darent",
    "Len",
    "Eden",
    "Romney",
    "Sheppey",
    "Wantsum",
    "Greensand",
    "Bourne",
    "Hythe",
    "Ashford",
    "Canterbury",
    "Dover",
    "Invicta",
    "Orchard",
    "Hop Garden",
    "Oast",
    "White Cliffs",
    "Garden of England",
]
ORG_WORDS = [
    "Family Trust",
    "Young People's Project",
    "Children's Charity",
    "Youth Action",
    "Families First",
    "Community Partnership",
    "Carers Network",
    "Play Association",
    "Futures",
    "Family Centre",
    "Youth Counselling Service",
    "Foundation",
]
TEMPORARY_EXTENSION = (
    "Temporary 6-month extension of the previous agreement while new commissioning frameworks are prepared"
)


def shift_for(today: date) -> int:
    """Whole years to add so that today falls after 30 September and before
    the following 31 March, as the seed's did (or, from April to September,
    with the March wave next)."""
    if today.month <= 3:
        return today.year - 2012
    return today.year - 2011


def _moved(day: date, years: int) -> date:
    return day.replace(year=day.year + years)


def _split(total_pounds: int, weights: list[float]) -> list[int]:
    """Split a total into whole pounds by weight, exactly."""
    raw = [total_pounds * w / sum(weights) for w in weights]
    parts = [int(r) for r in raw]
    parts[-1] += total_pounds - sum(parts)
    return parts


def load(session: Session, years: int, demo_organisations: list[Organisation]) -> int:
    """Create the 173 agreements (once); returns how many were created."""
    install_defaults(session)
    if session.scalar(select(Agreement.id).where(Agreement.reference.like("KCC-%")).limit(1)):
        return 0
    rng = random.Random(2011)
    categories = {c.name: c for c in session.scalars(select(ServiceCategory))}
    districts = list(session.scalars(select(District).order_by(District.name)))

    providers = list(demo_organisations)
    used_names = {o.name for o in providers}
    while len(providers) < 120:
        name = f"{rng.choice(PLACE_WORDS)} {rng.choice(ORG_WORDS)}"
        if name in used_names:
            continue
        used_names.add(name)
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:24]
        providers.append(
            Organisation(
                name=name,
                charity_number=str(1_040_000 + len(providers) * 317),
                contact_email=f"contracts@{slug}.example.org",
            )
        )
    session.add_all(providers)

    created = 0
    for category_name, count in AGREEMENTS_PER_CATEGORY.items():
        weights = [rng.uniform(0.5, 2.0) for _ in range(count)]
        # Waves: in the first two categories, agreement 1 ends on 1 June 2011 (EIP
        # only) and six of each end on 30 September 2011 after the extension.
        wave = ["march"] * count
        if category_name == EIP:
            wave[0] = "june"
            wave[1:7] = ["september"] * 6
        elif category_name == DCS:
            wave[0:6] = ["september"] * 6
        spend_2010 = _split(SPEND_2010[category_name], weights)
        # 2011/12: the June agreement runs 2 months, September ones 6; the rest share what is left.
        part_year = {"june": 2 / 12, "september": 6 / 12}
        fixed = {i: int(spend_2010[i] * part_year[w]) for i, w in enumerate(wave) if w in part_year}
        rest = [i for i, w in enumerate(wave) if w == "march"]
        rest_2011 = _split(SPEND_2011[category_name] - sum(fixed.values()), [weights[i] for i in rest])
        spend_2011 = {**fixed, **dict(zip(rest, rest_2011, strict=True))}
        code = {EIP: "EIP", DCS: "DCS", LEAVING_CARE: "LC"}[category_name]
        for i in range(count):
            provider = providers[(i * 7 + len(code)) % len(providers)] if i >= 3 else providers[i % 3]
            start = date(2008, 4, 1) if wave[i] != "march" else date(2009, 4, 1)
            original_end = {"june": date(2011, 6, 1), "september": date(2011, 3, 31), "march": date(2012, 3, 31)}[
                wave[i]
            ]
            end = date(2011, 9, 30) if wave[i] == "september" else original_end
            agreement = Agreement(
                reference=f"KCC-{code}-{i + 1:03d}",
                organisation=provider,
                service_name=f"{rng.choice(SERVICES[category_name])} ({districts[i % len(districts)].name})",
                category=categories[category_name],
                annual_value_pence=spend_2010[i] * 100,
                start_date=_moved(start, years),
                original_end_date=_moved(original_end, years),
                end_date=_moved(end, years),
                districts=sorted(
                    {districts[i % len(districts)], districts[(i * 5 + 3) % len(districts)]}, key=lambda d: d.name
                ),
                delivery_mode_rows=[
                    AgreementDeliveryMode(mode=m)
                    for m in (
                        [DeliveryMode.FACE_TO_FACE]
                        + ([DeliveryMode.OUTREACH] if i % 2 else [])
                        + ([DeliveryMode.VIRTUAL] if i % 3 == 0 else [])
                    )
                ],
                spend=[
                    AgreementSpend(financial_year=2010 + years, amount_pence=spend_2010[i] * 100),
                    AgreementSpend(financial_year=2011 + years, amount_pence=spend_2011[i] * 100),
                ],
            )
            if wave[i] == "september":
                agreement.extensions = [
                    AgreementExtension(
                        previous_end_date=_moved(original_end, years),
                        new_end_date=_moved(end, years),
                        reason=TEMPORARY_EXTENSION,
                        agreed_by="Director of Specialist Children's Services",
                    )
                ]
            session.add(agreement)
            created += 1
    session.flush()
    return created
