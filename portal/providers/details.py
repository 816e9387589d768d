"""Changing an organisation's details: its name, type, numbers, address and the
districts it serves, by its administrator, with the checks registration makes.

(Service categories are not the organisation's to choose: the home page reads
them from its agreements.)
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.audit.services import record
from portal.errors import NotPermitted, RuleViolations
from portal.providers import policies
from portal.providers.models import Organisation, OrganisationType
from portal.providers.services import (
    detail_problems,
    normalise_charity_number,
    normalise_company_number,
    normalise_postcode,
    number_held_elsewhere,
    write_details,
)


@dataclass
class OrganisationDetails:
    name: str
    organisation_type: OrganisationType
    charity_number: str | None
    company_number: str | None
    address_line_1: str
    address_line_2: str | None
    town: str
    postcode: str
    district_ids: list[int]


def details_of(organisation: Organisation) -> OrganisationDetails:
    """The organisation's details as they stand (to fill the form)."""
    return OrganisationDetails(
        name=organisation.name,
        organisation_type=organisation.organisation_type,
        charity_number=organisation.charity_number,
        company_number=organisation.company_number,
        address_line_1=organisation.address_line_1 or "",
        address_line_2=organisation.address_line_2,
        town=organisation.town or "",
        postcode=organisation.postcode or "",
        district_ids=[district.id for district in organisation.districts],
    )


def _shown(details: OrganisationDetails) -> dict:
    return {
        "name": details.name,
        "organisation_type": details.organisation_type.name if details.organisation_type else None,
        "charity_number": details.charity_number,
        "company_number": details.company_number,
        "address_line_1": details.address_line_1,
        "address_line_2": details.address_line_2,
        "town": details.town,
        "postcode": details.postcode,
        "district_ids": sorted(details.district_ids),
    }


def change_details(
    session: Session, actor: User, organisation: Organisation, details: OrganisationDetails
) -> Organisation:
    """Change the organisation's details and audit what changed (old and new values).

    Raises:
        NotPermitted: the actor does not administer this organisation.
        RuleViolations: every problem with what was typed at once, as at
            registration: a number in the wrong format, the number the type needs
            missing, a postcode that is not one, no districts or unknown ones.
        RuleViolation: a number another organisation already holds.
    """
    if not policies.can_change_details(actor, organisation):
        raise NotPermitted()
    charity = normalise_charity_number(details.charity_number)
    company = normalise_company_number(details.company_number)
    postcode = normalise_postcode(details.postcode)
    problems, districts = detail_problems(
        session, details.organisation_type, charity, company, postcode, details.district_ids
    )
    if not problems:
        held = number_held_elsewhere(session, organisation, charity, company)
        if held is not None:
            problems.append(held)
    RuleViolations.raise_any(problems)

    before = _shown(details_of(organisation))
    write_details(
        organisation,
        name=details.name,
        organisation_type=details.organisation_type,
        charity=charity,
        company=company,
        address_line_1=details.address_line_1,
        address_line_2=details.address_line_2,
        town=details.town,
        postcode=postcode,
        districts=districts,
    )
    after = _shown(details_of(organisation))
    changed = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    if changed:
        session.flush()  # a number taken by someone else at this moment fails here, inside the request
        record(session, actor, "organisation.details_changed", organisation, changed=changed)
    return organisation
