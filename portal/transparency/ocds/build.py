"""What each published notice says, as an OCDS 1.1.5 release with lots and the UK extension.

One builder per notice: the tender notice (UK4, tag ``tender``), an amendment
(``tenderAmendment``), the procurement termination notice (UK12, ``tenderCancellation``),
the contract award notice (UK6, ``award``) and the contract details notice (UK7,
``contract``). Each release carries the whole process as it stands at its event (the
tender, and from the award on its awards and contracts), so a re-user who reads only the
newest release, or a compiled release merged from all of them, sees the current state.

What goes in is chosen, not copied: the winners' names, identifiers and VCSE status, the
lots' award criteria, counts of bids. Never an unsuccessful bidder, an evaluator, a score,
an explanation, an assessment summary, an email address or a bid's content.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.awards.contracts import AwardedBid, awarded_bids
from portal.awards.models import AssessmentSummary, AwardNotice, LotAward
from portal.bids.models import Bid
from portal.dates import LONDON
from portal.evaluation.models import LotResult
from portal.links import external_url
from portal.providers.models import Organisation
from portal.providers.vcse import is_vcse
from portal.tenders.models import Amendment, DocumentKind, Procedure, Tender, TenderStatus

TAGS = {
    "tender": "tender",
    "amendment": "tenderAmendment",
    "cancellation": "tenderCancellation",
    "award": "award",
    "contract": "contract",
}

# OCDS documentType codes (the open documentType codelist, with the UK extension's additions).
DOCUMENT_TYPES = {
    DocumentKind.SPECIFICATION: "technicalSpecifications",
    DocumentKind.TERMS: "contractDraft",
    # No standard code names an equality impact assessment; the codelist is open, so it gets its own.
    DocumentKind.EQUALITY_IMPACT_ASSESSMENT: "equalityImpactAssessment",
    DocumentKind.PRICING_TEMPLATE: "billOfQuantity",
    DocumentKind.OTHER: None,  # no type is better than a wrong one
}


def ocid_of(tender: Tender) -> str:
    """The process's Open Contracting ID: the council's registered prefix (the
    ``OCDS_OCID_PREFIX`` setting) and the tender's reference, which never changes."""
    return f"{current_app.config['OCDS_OCID_PREFIX']}-{tender.reference}"


def release_id_of(tender: Tender, kind: str, number: int = 1) -> str:
    """A release id made from its event, so one event always gives the same id."""
    return f"{tender.reference}-{kind}-{number}"


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def day_starts(day: date) -> str:
    """The first moment of a London day (a contract that starts on 1 April starts at midnight there)."""
    return datetime.combine(day, time(0, 0), LONDON).isoformat()


def day_ends(day: date) -> str:
    return datetime.combine(day, time(23, 59, 59), LONDON).isoformat()


def money(pence: int | Decimal | None) -> dict | None:
    if pence is None:
        return None
    pounds = Decimal(pence) / 100
    return {"amount": int(pounds) if pounds == pounds.to_integral_value() else float(pounds), "currency": "GBP"}


def _drop_empty(value):
    """OCDS leaves out what is unknown rather than writing null or empty strings."""
    if isinstance(value, dict):
        cleaned = {k: _drop_empty(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value]
    return value


# --- Parties ----------------------------------------------------------------------------


def buyer_party() -> dict:
    config = current_app.config
    party = {
        "id": config["OCDS_BUYER_ID"],
        "name": config["COUNCIL_NAME"],
        "roles": ["buyer", "procuringEntity"],
    }
    if config.get("OCDS_BUYER_IDENTIFIER_SCHEME"):
        party["identifier"] = {
            "scheme": config["OCDS_BUYER_IDENTIFIER_SCHEME"],
            "id": config["OCDS_BUYER_IDENTIFIER"],
            "legalName": config["COUNCIL_NAME"],
        }
    return party


def organisation_party_id(organisation: Organisation) -> str:
    """The org-id.guide identifier: GB-CHC (charity number, England and Wales) or GB-COH
    (Companies House); an organisation with neither gets a local id."""
    if organisation.charity_number:
        return f"GB-CHC-{organisation.charity_number}"
    if organisation.company_number:
        return f"GB-COH-{organisation.company_number}"
    return f"{current_app.config['OCDS_OCID_PREFIX']}-org-{organisation.id}"


def supplier_party(organisation: Organisation) -> dict:
    """A winner as a party: name, identifiers, VCSE status (never an address or an email)."""
    identifiers = []
    if organisation.charity_number:
        identifiers.append({"scheme": "GB-CHC", "id": organisation.charity_number, "legalName": organisation.name})
    if organisation.company_number:
        identifiers.append({"scheme": "GB-COH", "id": organisation.company_number, "legalName": organisation.name})
    party = {
        "id": organisation_party_id(organisation),
        "name": organisation.name,
        "roles": ["supplier"],
        "details": {"vcse": is_vcse(organisation.organisation_type)},
    }
    if identifiers:
        party["identifier"] = identifiers[0]
        party["additionalIdentifiers"] = identifiers[1:]
    return party


# --- The tender -------------------------------------------------------------------------


def _notice_document(notice_id: str, notice_type: str, document_type: str, title: str, url: str, when: datetime):
    return {
        "id": notice_id,
        "documentType": document_type,
        "noticeType": notice_type,
        "title": title,
        "url": url,
        "datePublished": timestamp(when),
        "format": "text/html",
        "language": "en",
    }


def _award_criteria(tender: Tender) -> dict:
    quality = {
        "type": "quality",
        "name": "Quality",
        "description": "The quality questions, each weighted as the questionnaire says",
        "numbers": [
            {"number": tender.quality_weight, "weight": "percentageExact"},
            {"number": tender.minimum_quality_score, "threshold": "minimumScore"},
        ],
    }
    price = {
        "type": "price",
        "name": "Price",
        "numbers": [{"number": tender.price_weight, "weight": "percentageExact"}],
    }
    return {"criteria": [quality, price]}


def _tender_section(tender: Tender, status: str, lot_status: dict[int, str] | None = None) -> dict:
    lot_status = lot_status or {}
    documents = [
        {
            "id": f"document-{document.id}",
            "documentType": DOCUMENT_TYPES[document.kind],
            "title": document.title,
            "url": external_url("tenders.document", reference=tender.reference, document_id=document.id),
            "language": "en",
        }
        for document in tender.documents
    ]
    if tender.published_at:
        documents.insert(
            0,
            _notice_document(
                "UK4",
                "UK4",
                "tenderNotice",
                f"Tender notice: {tender.title}",
                external_url("tenders.show", reference=tender.reference),
                tender.published_at,
            ),
        )
    return {
        "id": tender.reference,
        "title": tender.title,
        "description": tender.description,
        "status": status,
        "value": money(tender.estimated_value_pence),
        "procurementMethod": "open" if tender.procedure is Procedure.OPEN else "selective",
        "procurementMethodDetails": tender.procedure.value,
        "mainProcurementCategory": "services",
        "specialRegime": ["lightTouch"] if tender.is_light_touch else None,
        "techniques": {"hasFrameworkAgreement": tender.is_framework},
        "tenderPeriod": {
            "startDate": timestamp(tender.published_at) if tender.published_at else None,
            "endDate": timestamp(tender.submission_deadline) if tender.submission_deadline else None,
        },
        "enquiryPeriod": {
            "startDate": timestamp(tender.published_at) if tender.published_at else None,
            "endDate": timestamp(tender.clarification_deadline) if tender.clarification_deadline else None,
        },
        "awardPeriod": {"endDate": day_ends(tender.intended_award_date) if tender.intended_award_date else None},
        "contractPeriod": {"startDate": day_starts(tender.contract_start_date) if tender.contract_start_date else None},
        "documents": documents,
        "lots": [
            {
                "id": str(lot.number),
                "title": lot.title,
                "description": lot.description,
                "status": lot_status.get(lot.id, status),
                "value": money(lot.estimated_annual_value_pence),
                "awardCriteria": _award_criteria(tender),
            }
            for lot in tender.lots
        ],
        "amendments": [
            {
                "id": str(amendment.number),
                "date": timestamp(amendment.published_at),
                "rationale": amendment.reason,
                "description": "; ".join(
                    f"{change['label']}: from {change['before'] or 'not set'} to {change['after'] or 'not set'}"
                    for change in amendment.changes
                ),
            }
            for amendment in tender.amendments
        ],
    }


def _release(of: Tender, kind: str, number: int, when: datetime, **sections) -> dict:
    release = {
        "ocid": ocid_of(of),
        "id": release_id_of(of, kind, number),
        "date": timestamp(when),
        "tag": [TAGS[kind]],
        "initiationType": "tender",
        "language": "en",
        "buyer": {"id": current_app.config["OCDS_BUYER_ID"], "name": current_app.config["COUNCIL_NAME"]},
        "parties": [buyer_party()],
        **sections,
    }
    return _drop_empty(release)


def tender_release(tender: Tender) -> dict:
    """The tender notice (UK4): the tender, its lots with their award criteria, its documents."""
    return _release(tender, "tender", 1, tender.published_at, tender=_tender_section(tender, "active"))


def amendment_release(tender: Tender, amendment: Amendment) -> dict:
    """A published change: the tender as amended, with every amendment so far."""
    section = _tender_section(tender, "active")
    section["amendments"] = [a for a in section.get("amendments", []) if int(a["id"]) <= amendment.number]
    previous = release_id_of(tender, "amendment", amendment.number - 1) if amendment.number > 1 else None
    section["amendments"][-1]["amendsReleaseID"] = previous or release_id_of(tender, "tender")
    section["amendments"][-1]["releaseID"] = release_id_of(tender, "amendment", amendment.number)
    return _release(tender, "amendment", amendment.number, amendment.published_at, tender=section)


def cancellation_release(tender: Tender) -> dict:
    """The procurement termination notice (UK12): the tender cancelled, with the reason."""
    section = _tender_section(tender, "cancelled")
    section["documents"].append(
        _notice_document(
            "UK12",
            "UK12",
            "tenderCancellationNotice",
            f"Procurement termination notice: {tender.title}",
            external_url("tenders.show", reference=tender.reference),
            tender.cancelled_at,
        )
        | {"description": tender.cancellation_reason or ""}
    )
    return _release(tender, "cancellation", 1, tender.cancelled_at, tender=section)


# --- Award and contracts -------------------------------------------------------------------


def _bid_statistics(session: Session, tender: Tender, when: datetime) -> list[dict]:
    """Per lot, how many bids reached the final stage and how many of those came from VCSEs:
    counts only, never who."""
    rows = session.execute(
        select(LotResult.lot_id, Organisation.organisation_type, func.count())
        .join(Bid, Bid.id == LotResult.bid_id)
        .join(Organisation, Organisation.id == Bid.organisation_id)
        .where(LotResult.lot_id.in_([lot.id for lot in tender.lots]))
        .group_by(LotResult.lot_id, Organisation.organisation_type)
    ).all()
    final, vcse = Counter(), Counter()
    for lot_id, organisation_type, count in rows:
        final[lot_id] += count
        if is_vcse(organisation_type):
            vcse[lot_id] += count
    statistics = []
    for lot in tender.lots:
        for measure, counts in (("finalStageBids", final), ("vcseFinalStageBids", vcse)):
            statistics.append(
                {
                    "id": f"{lot.number}-{measure}",
                    "measure": measure,
                    "value": counts[lot.id],
                    "relatedLot": str(lot.number),
                    "date": timestamp(when),
                }
            )
    return statistics


def _awards_section(
    session: Session, tender: Tender, notice: AwardNotice, status: str
) -> tuple[list[dict], list[dict], list[AwardedBid]]:
    winners = awarded_bids(session, tender)
    organisations = {
        o.id: o
        for o in session.scalars(
            select(Organisation).where(Organisation.id.in_({w.bid.organisation_id for w in winners}))
        )
    }
    sent = session.scalar(select(func.max(AssessmentSummary.sent_at)).where(AssessmentSummary.tender_id == tender.id))
    standstill = (
        {
            "startDate": day_starts(notice.published_at.astimezone(LONDON).date()),
            "endDate": day_ends(notice.standstill_ends_on),
        }
        if notice.standstill_ends_on
        else None
    )
    notice_document = _notice_document(
        "UK6",
        "UK6",
        "awardNotice",
        f"Contract award notice: {tender.title}",
        external_url("tenders.show", reference=tender.reference),
        notice.published_at,
    )
    awards = []
    for winner in winners:
        organisation = organisations[winner.bid.organisation_id]
        awards.append(
            {
                "id": winner.award_id,
                "title": f"Lot {winner.lot.number}: {winner.lot.title}",
                "description": "The value is the supplier's price for one year.",
                "status": status,
                "date": timestamp(notice.published_at),
                "value": money(winner.annual_price_pence),
                "suppliers": [{"id": organisation_party_id(organisation), "name": organisation.name}],
                "relatedLots": [str(winner.lot.number)],
                "standstillPeriod": standstill,
                "assessmentSummariesDateSent": timestamp(sent) if sent else None,
                "documents": [notice_document],
            }
        )
    no_award = session.scalars(
        select(LotAward).where(LotAward.tender_id == tender.id, LotAward.is_no_award.is_(True))
    ).all()
    lots = {lot.id: lot for lot in tender.lots}
    for lot_award in no_award:
        lot = lots[lot_award.lot_id]
        awards.append(
            {
                "id": f"{tender.reference}-L{lot.number}-no-award",
                "title": f"Lot {lot.number}: {lot.title}",
                "description": "No contract was awarded in this lot.",
                "status": "unsuccessful",
                "date": timestamp(notice.published_at),
                "relatedLots": [str(lot.number)],
                "documents": [notice_document],
            }
        )
    parties = [supplier_party(organisations[o]) for o in sorted(organisations)]
    return awards, parties, winners


def _lot_statuses(session: Session, tender: Tender) -> dict[int, str]:
    no_award = set(
        session.scalars(select(LotAward.lot_id).where(LotAward.tender_id == tender.id, LotAward.is_no_award.is_(True)))
    )
    return {lot.id: "unsuccessful" if lot.id in no_award else "complete" for lot in tender.lots}


def award_release(session: Session, tender: Tender, notice: AwardNotice) -> dict:
    """The contract award notice (UK6): one award per (lot, supplier), pending until the
    contracts are entered, with the standstill and when the assessment summaries went."""
    awards, parties, _ = _awards_section(session, tender, notice, "pending")
    release = _release(
        tender,
        "award",
        1,
        notice.published_at,
        tender=_tender_section(tender, "complete", _lot_statuses(session, tender)),
        awards=awards,
        bids={"statistics": _bid_statistics(session, tender, notice.published_at)},
    )
    release["parties"].extend(parties)
    return release


def contract_release(session: Session, tender: Tender, notice: AwardNotice, agreements) -> dict:
    """The contract details notice (UK7): the contracts entered, each tied to its award."""
    awards, parties, winners = _awards_section(session, tender, notice, "active")
    by_reference = {agreement.reference: agreement for agreement in agreements}
    document = _notice_document(
        "UK7",
        "UK7",
        "contractNotice",
        f"Contract details notice: {tender.title}",
        external_url("tenders.show", reference=tender.reference),
        notice.contracts_entered_at,
    )
    contracts = []
    for winner in winners:
        agreement = by_reference.get(winner.reference)
        if agreement is None:
            continue
        contracts.append(
            {
                "id": agreement.reference,
                "awardID": winner.award_id,
                "title": agreement.service_name,
                "description": "The value is the contract's value for one year.",
                "status": "active",
                "period": {"startDate": day_starts(agreement.start_date), "endDate": day_ends(agreement.end_date)},
                "value": money(agreement.annual_value_pence),
                "dateSigned": timestamp(notice.contracts_entered_at),
                "documents": [document],
            }
        )
    release = _release(
        tender,
        "contract",
        1,
        notice.contracts_entered_at,
        tender=_tender_section(tender, "complete", _lot_statuses(session, tender)),
        awards=awards,
        contracts=contracts,
        bids={"statistics": _bid_statistics(session, tender, notice.published_at)},
    )
    release["parties"].extend(parties)
    return release


def is_published(tender: Tender) -> bool:
    return tender.status is not TenderStatus.DRAFT and tender.published_at is not None
