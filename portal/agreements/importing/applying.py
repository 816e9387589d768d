"""Writing a checked register: providers found or recorded, agreements created
or brought in line with their rows, extensions through ``services.extend``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from portal.accounts.models import User
from portal.agreements import services
from portal.agreements.importing.parsing import ParsedRow, RowError
from portal.agreements.models import Agreement, AgreementDeliveryMode, AgreementSpend
from portal.audit.services import record
from portal.links import external_url
from portal.notifications.services import queue_email
from portal.providers.models import Organisation
from portal.providers.services import make_claim_token

# References looked up per query: well below SQLite's limit on bound variables (32,766, or 999 before 3.32).
REFERENCES_PER_QUERY = 500
REGISTER_APPROVER = "Recorded in the imported register"


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    providers_created: int = 0
    invitations_sent: int = 0
    extensions: int = 0


class ProviderIndex:
    """Finds providers by charity number, then Companies House number, then name."""

    def __init__(self, session: Session):
        organisations = list(session.scalars(select(Organisation)))
        self.by_charity = {o.charity_number: o for o in organisations if o.charity_number}
        self.by_company = {o.company_number: o for o in organisations if o.company_number}
        self.by_name = {}
        for organisation in organisations:
            self.by_name.setdefault(organisation.name.lower(), organisation)

    def find(self, row: ParsedRow) -> Organisation | None:
        return (
            (row.charity_number and self.by_charity.get(row.charity_number))
            or (row.company_number and self.by_company.get(row.company_number))
            or self.by_name.get(row.provider_name.lower())
        )

    def add(self, organisation: Organisation) -> None:
        if organisation.charity_number:
            self.by_charity[organisation.charity_number] = organisation
        if organisation.company_number:
            self.by_company[organisation.company_number] = organisation
        self.by_name.setdefault(organisation.name.lower(), organisation)


def check_providers(session: Session, rows: list[ParsedRow]) -> list[RowError]:
    """Rows whose provider is new to the council need a contact email to be invited."""
    index = ProviderIndex(session)
    errors, new_names = [], set()
    for row in rows:
        if index.find(row) is None and row.provider_name.lower() not in new_names:
            new_names.add(row.provider_name.lower())
            if not row.contact_email:
                errors.append(
                    RowError(
                        row.row,
                        "contact email",
                        f"{row.provider_name} is new to the portal: enter a contact email to invite it",
                    )
                )
    return errors


def existing_agreements(session: Session, references: list[str]) -> dict[str, Agreement]:
    """The agreements already held under these references, by reference in lower
    case (as the file is matched: "eip-1" is the agreement EIP-1)."""
    keys = sorted({reference.lower() for reference in references})
    found = {}
    for start in range(0, len(keys), REFERENCES_PER_QUERY):
        for agreement in session.scalars(
            select(Agreement)
            .where(func.lower(Agreement.reference).in_(keys[start : start + REFERENCES_PER_QUERY]))
            .options(
                selectinload(Agreement.organisation),
                selectinload(Agreement.category),
                selectinload(Agreement.districts),
                selectinload(Agreement.delivery_mode_rows),
                selectinload(Agreement.extensions),
                selectinload(Agreement.spend),
            )
        ):
            found[agreement.reference.lower()] = agreement
    return found


def apply(
    session: Session,
    actor: User,
    rows: list[ParsedRow],
    filename: str,
    today: date,
    send_extension_notices: bool = True,
) -> ImportSummary:
    """Write checked rows: create new agreements, update changed ones, leave the same ones alone.

    New incumbents are recorded with their contact email and invited to register.
    An extension in a row is recorded through ``services.extend`` (its audit row,
    and its notice when ``send_extension_notices`` and the agreement still runs).

    Raises:
        RuleViolation: from ``services.extend``, for a row ``check`` let through
            (it checks the same rules, so this is not expected).
    """
    summary = ImportSummary()
    index = ProviderIndex(session)
    existing = existing_agreements(session, [r.reference for r in rows])
    invited = []
    for row in rows:
        organisation = index.find(row)
        if organisation is None:
            organisation = Organisation(
                name=row.provider_name,
                charity_number=row.charity_number,
                company_number=row.company_number,
                contact_email=row.contact_email,
            )
            session.add(organisation)
            index.add(organisation)
            invited.append(organisation)
            summary.providers_created += 1
        elif not organisation.is_registered and row.contact_email and not organisation.contact_email:
            organisation.contact_email = row.contact_email
        agreement = existing.get(row.reference.lower())
        is_new = agreement is None
        if is_new:
            agreement = Agreement(reference=row.reference)
            session.add(agreement)
            summary.created += 1
        changed = _update(session, agreement, organisation, row)
        if _extend(session, actor, agreement, row, today, send_extension_notices):
            summary.extensions += 1
            changed = True
        if not is_new:
            if changed:
                summary.updated += 1
            else:
                summary.unchanged += 1
    session.flush()
    for organisation in invited:
        queue_email(
            session,
            organisation.contact_email,
            "incumbent_invitation",
            organisation=organisation,
            register_url=external_url("providers.register", claim=make_claim_token(organisation)),
        )
        summary.invitations_sent += 1
    record(
        session,
        actor,
        "agreements.imported",
        None,
        filename=filename,
        created=summary.created,
        updated=summary.updated,
        unchanged=summary.unchanged,
        providers_created=summary.providers_created,
        extensions=summary.extensions,
    )
    return summary


def _update(session: Session, agreement: Agreement, organisation: Organisation, row: ParsedRow) -> bool:
    """Bring the agreement in line with the row, up to its extensions; True if anything changed."""
    wanted = {
        "organisation": organisation,
        "service_name": row.service_name,
        "category": row.category,
        "annual_value_pence": row.annual_value_pence,
        "start_date": row.start_date,
        "original_end_date": row.end_date,
    }
    changed = False
    for name, new in wanted.items():
        if getattr(agreement, name) is not new and getattr(agreement, name) != new:
            setattr(agreement, name, new)
            changed = True
    if {d.id for d in agreement.districts} != {d.id for d in row.districts}:
        agreement.districts = list(row.districts)
        changed = True
    if set(agreement.delivery_modes) != set(row.modes):
        agreement.delivery_mode_rows = [AgreementDeliveryMode(mode=m) for m in row.modes]
        changed = True
    # The end before this row's extension: its own end date, or a later one already recorded.
    held_end = max(agreement.extensions[-1].new_end_date, row.end_date) if agreement.extensions else row.end_date
    if agreement.end_date != held_end:
        agreement.end_date = held_end
        changed = True
    current_spend = {s.financial_year: s for s in agreement.spend}
    for year, amount in row.spend.items():
        if year not in current_spend:
            agreement.spend.append(AgreementSpend(financial_year=year, amount_pence=amount))
            changed = True
        elif current_spend[year].amount_pence != amount:
            current_spend[year].amount_pence = amount
            changed = True
    return changed


def _extend(
    session: Session, actor: User, agreement: Agreement, row: ParsedRow, today: date, send_notices: bool
) -> bool:
    """Record the row's extension, if it extends beyond what is held; True if it did.

    A notice about an extension of an agreement that has ended since would tell
    the provider nothing it can act on, so only running agreements get one.
    """
    if row.extended_end_date is None or row.extended_end_date <= agreement.end_date:
        return False
    services.extend(
        session,
        actor,
        agreement,
        row.extended_end_date,
        row.extension_reason or "",
        row.extension_agreed_by or REGISTER_APPROVER,
        today,
        notify=send_notices and row.extended_end_date >= today,
        already_agreed=True,
    )
    return True
