"""Whether a provider is a VCSE: a voluntary, community or social enterprise.

One rule for every reader: the public contracts register (its column and its
filter) and the open data (the UK extension's ``details.vcse``) ask this module,
so a page and a release can never disagree about the same organisation.
"""

from __future__ import annotations

from portal.providers.models import OrganisationType

# The legal forms that are voluntary, community or social enterprises. A company
# limited by guarantee counts: it has no shareholders to pay profits to, and it is
# the usual form of a voluntary organisation that is not (or not yet) a registered
# charity. "Other" does not: the portal cannot tell a sole trader from a
# co-operative, and claims VCSE status only where the legal form shows it.
VCSE_TYPES = frozenset(
    {
        OrganisationType.REGISTERED_CHARITY,
        OrganisationType.CIO,
        OrganisationType.COMMUNITY_INTEREST_COMPANY,
        OrganisationType.COMPANY_LIMITED_BY_GUARANTEE,
    }
)


def is_vcse(organisation_type: OrganisationType | None) -> bool:
    """Whether an organisation of this legal form is a VCSE.

    False for "Other" and for an unknown form (an incumbent imported from the
    agreements register that nobody has registered yet): the portal says an
    organisation is a VCSE only when its legal form shows it.
    """
    return organisation_type in VCSE_TYPES
