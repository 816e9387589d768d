"""The seed's two new frameworks, with the decision that authorised them.

Under ``--as-published`` they carry a 2011 timetable (bids closed in December
2011; contracts from 1 April 2012). By default they are open for bids now, with
clarification questions open, so a newcomer can work through them live.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time, timedelta

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import files
from portal.accounts.models import Role, User
from portal.agreements.models import Agreement, DeliveryMode, ServiceCategory
from portal.dates import LONDON
from portal.decisions.models import Decision, DecisionDocument
from portal.providers.models import District
from portal.tenders import services
from portal.tenders.models import (
    DocumentKind,
    Lot,
    LotDeliveryMode,
    Question,
    QuestionKind,
    QuestionnaireSection,
    Tender,
    TenderDocument,
)

EAST = ["Canterbury", "Dover", "Folkestone and Hythe", "Thanet"]
WEST = ["Sevenoaks", "Tonbridge and Malling", "Tunbridge Wells"]
NORTH = ["Dartford", "Gravesham", "Swale"]
MID = ["Ashford", "Maidstone"]
ALL = EAST + WEST + NORTH + MID

FRAMEWORKS = [
    {
        "reference": "KCC-EIP-FW",
        "title": "Early Intervention & Prevention services framework",
        "category": "Early Intervention & Prevention",
        "value": 27_300_000,
        "description": (
            "A framework of quality-assured voluntary and community sector providers of early "
            "intervention and prevention services for children, young people and families in Kent: "
            "family support, parenting, young carers, youth mentoring and emotional wellbeing. It "
            "replaces the service agreements ending on 31 March, and supports the council's "
            "Improvement Plan."
        ),
        "lots": [
            ("East Kent family support", EAST, [DeliveryMode.FACE_TO_FACE, DeliveryMode.OUTREACH], 2_400_000, 6),
            ("West Kent family support", WEST, [DeliveryMode.FACE_TO_FACE, DeliveryMode.OUTREACH], 1_900_000, 5),
            ("North Kent family support", NORTH, [DeliveryMode.FACE_TO_FACE, DeliveryMode.OUTREACH], 2_100_000, 5),
            ("Mid Kent family support", MID, [DeliveryMode.FACE_TO_FACE, DeliveryMode.OUTREACH], 1_700_000, 4),
            ("County-wide online and telephone support", ALL, [DeliveryMode.VIRTUAL], 1_000_000, 3),
        ],
    },
    {
        "reference": "KCC-DCS-FW",
        "title": "Disabled Children's Services framework",
        "category": "Disabled Children's Services",
        "value": 16_500_000,
        "description": (
            "A framework of providers of short breaks and support for disabled children and young "
            "people and their families in Kent: day and holiday short breaks, overnight short breaks, "
            "and sibling and parent carer support."
        ),
        "lots": [
            ("Short breaks in East Kent", EAST + MID, [DeliveryMode.FACE_TO_FACE], 2_200_000, 6),
            ("Short breaks in West and North Kent", WEST + NORTH, [DeliveryMode.FACE_TO_FACE], 2_100_000, 6),
            (
                "Overnight short breaks, county-wide",
                ALL,
                [DeliveryMode.FACE_TO_FACE, DeliveryMode.OUTREACH],
                1_200_000,
                3,
            ),
        ],
    },
]

SELECTION = [
    # short title, question, the answer that passes
    (
        "Safeguarding policy",
        "Does your organisation have a safeguarding children policy, approved by its board and reviewed in the "
        "last 12 months?",
        True,
    ),
    (
        "Convictions",
        "Has your organisation, or any of its directors or trustees, been convicted of an offence that is a "
        "mandatory exclusion ground under the Procurement Act 2023?",
        False,
    ),
    (
        "Insurance",
        "Will your organisation hold employer's liability insurance of at least £5 million and public liability "
        "insurance of at least £5 million from the contract start?",
        True,
    ),
]
QUALITY = [
    (
        "Safeguarding",
        "Describe how you keep children and young people safe: your safeguarding lead, safer "
        "recruitment and DBS checks, training, supervision, and how you respond to and record concerns.",
        750,
        25,
    ),
    (
        "Outcomes for children",
        "Describe the outcomes your service will achieve for children and young people, "
        "how you will measure them, and evidence of outcomes you have achieved before.",
        750,
        25,
    ),
    (
        "Working with families",
        "Describe how you will engage families, including those who find services hard "
        "to reach, and work with schools, health visitors, early help units and social care.",
        500,
        20,
    ),
    (
        "Value for money",
        "Explain how your price represents value for money: staffing, overheads, volunteers, "
        "match funding and how you will avoid duplication with other local services.",
        500,
        15,
    ),
    (
        "Social value",
        "Describe the additional social value you will deliver in Kent, such as local employment, "
        "volunteering opportunities and support for young people into training.",
        500,
        15,
    ),
]
DECISION = {
    "number": "11/01702",
    "title": "Commissioning frameworks for Early Intervention & Prevention and Disabled Children's Services",
    "decision_maker": "Cabinet Member for Specialist Children's Services",
    "status": "Recommendations Approved",
    "is_key_decision": True,
    "is_subject_to_call_in": True,
    "is_urgent": False,
    "lead_officer": "Head of Commissioning, Families and Social Care",
    "division": "Families and Social Care",
    "reasons": (
        "160 service agreements with voluntary and community sector organisations for children's "
        "safeguarding and wellbeing end on 31 March 2012. New frameworks will ensure that services from "
        "April 2012 are focused on the council's strategic objectives, such as the Improvement Plan, are "
        "delivered by quality-assured providers, avoid duplication and inefficiency, and are competitively "
        "tendered in line with 'Spending the Council's Money'."
    ),
    "decision_text": (
        "As Cabinet Member for Specialist Children's Services, I agree:\n\n"
        "a. to establish a framework for Early Intervention & Prevention services and a framework for "
        "Disabled Children's Services, open to voluntary and community sector providers, from 1 April "
        "2012;\n\nb. that all current providers are told of the changes and can take part in the "
        "tendering;\n\nc. to delegate authority to the Corporate Director of Families and Social Care "
        "to award places on the frameworks and enter into the resulting contracts."
    ),
    "decision_date": date(2011, 9, 20),
    "publication_date": date(2011, 9, 21),
}
SEED_DECISION = {
    "number": "22/00094",
    "title": "Family Hubs Transformation",
    "decision_maker": "Cabinet Member for Integrated Children's Services",
    "status": "Recommendations Approved",
    "is_key_decision": True,
    "is_subject_to_call_in": False,
    "is_urgent": True,
    "lead_officer": None,
    "division": "Children, Young People and Education",
    "reasons": (
        "To explore how the Family Hubs model could work in Kent. This work will look at how and where "
        "services are delivered: virtual, through outreach, and/or face-to-face, to support our vulnerable "
        "families in their own communities."
    ),
    "decision_text": (
        "As Cabinet Member for Integrated Children's Services, I agree the principle of adopting a "
        "Family Hub Model of provision for Open Access Services in Kent, to accept relevant funding "
        "via the Family Hub Transformation Authority programme, and that any implementation will be "
        "subject to detailed proposals, consultation and normal Executive Decision-making."
    ),
    "decision_date": date(2022, 10, 14),
    "publication_date": date(2022, 10, 14),
}


def tiny_pdf(title: str) -> bytes:
    """A small, valid one-page PDF naming the document."""
    text = title.replace("(", "").replace(")", "")
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pricing_template(lots: list[str]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Pricing"
    sheet.append(["Lot", "Annual price (£)", "Staff costs (£)", "Overheads (£)", "Volunteer hours per year"])
    for lot in lots:
        sheet.append([lot, None, None, None, None])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def timetable(today: date, contract_start: date, as_published: bool) -> dict:
    if as_published:
        return {
            "published": _at(date(2011, 10, 17), 9),
            "clarification_deadline": _at(date(2011, 11, 18), 17),
            "answers_by": _at(date(2011, 11, 25), 17),
            "submission_deadline": _at(date(2011, 12, 2), 12),
            "evaluation_date": date(2011, 12, 12),
            "intended_award_date": date(2012, 1, 16),
            "standstill_end_date": date(2012, 1, 27),
            "contract_start_date": date(2012, 4, 1),
        }
    deadline_day = min(today + timedelta(days=28), contract_start - timedelta(days=40))
    deadline_day = max(deadline_day, today + timedelta(days=3))
    return {
        "published": _at(today - timedelta(days=7), 9),
        "clarification_deadline": _at(deadline_day - timedelta(days=14), 17),
        "answers_by": _at(deadline_day - timedelta(days=7), 17),
        "submission_deadline": _at(deadline_day, 12),
        "evaluation_date": deadline_day + timedelta(days=10),
        "intended_award_date": deadline_day + timedelta(days=35),
        "standstill_end_date": deadline_day + timedelta(days=48),
        "contract_start_date": max(contract_start, deadline_day + timedelta(days=60)),
    }


_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")


def moved_years(text: str, years: int) -> str:
    """``text`` with every year in it moved forward ``years`` whole years, as the
    demo moves the record's dates: "31 March 2012" stays true of the record."""
    return _YEAR.sub(lambda year: str(int(year[0]) + years), text)


def decision_for(years: int) -> dict:
    """The seed's authorising decision moved ``years`` forward: its dates and the years
    its reasons and decision name. (Its number, 11/01702, stays as published: the
    other demo steps find the decision by it.)"""
    return {
        **DECISION,
        "reasons": moved_years(DECISION["reasons"], years),
        "decision_text": moved_years(DECISION["decision_text"], years),
        "decision_date": DECISION["decision_date"].replace(year=DECISION["decision_date"].year + years),
        "publication_date": DECISION["publication_date"].replace(year=DECISION["publication_date"].year + years),
    }


def _decision(session: Session, data: dict, officer: User | None) -> Decision:
    """The decision (once), with the documents a published record always has."""
    decision = session.scalar(select(Decision).where(Decision.number == data["number"]))
    if decision is None:
        decision = Decision(**data)
        session.add(decision)
        session.flush()
        for title in ("Record of decision", "Report to the Cabinet Member"):
            content = tiny_pdf(f"{data['number']} {data['title']}: {title}")
            stored = files.store(session, officer, f"{title}.pdf", content, 10 * 1024 * 1024)
            session.add(DecisionDocument(decision_id=decision.id, file_id=stored.id, title=title))
        session.flush()
    return decision


def add_questionnaire(
    session: Session,
    tender: Tender,
    selection: list[tuple[str, str, bool]],
    quality: list[tuple[str, str, int, int]],
    guidance: str,
) -> None:
    """A demo tender's two sections: pass or fail questions (short title, text,
    the answer that passes), then quality questions (short title, text, word
    limit, weight) for every lot."""
    selection_section = QuestionnaireSection(
        tender_id=tender.id, position=1, title="Selection questions", kind=QuestionKind.PASS_FAIL
    )
    quality_section = QuestionnaireSection(
        tender_id=tender.id, position=2, title="Quality questions", kind=QuestionKind.QUALITY
    )
    session.add_all([selection_section, quality_section])
    session.flush()
    for position, (short_title, text, passes) in enumerate(selection, start=1):
        session.add(
            Question(
                tender_id=tender.id,
                section_id=selection_section.id,
                position=position,
                kind=QuestionKind.PASS_FAIL,
                short_title=short_title,
                text=text,
                passing_answer=passes,
            )
        )
    for position, (short_title, text, words, weight) in enumerate(quality, start=len(selection) + 1):
        session.add(
            Question(
                tender_id=tender.id,
                section_id=quality_section.id,
                position=position,
                kind=QuestionKind.QUALITY,
                short_title=short_title,
                text=text,
                word_limit=words,
                weight=weight,
                guidance=guidance,
            )
        )


def load(session: Session, years: int, as_published: bool, now: datetime) -> int:
    """Create the two frameworks (once); returns how many were created."""
    officer = session.scalar(select(User).where(User.role == Role.OFFICER).order_by(User.id))
    _decision(session, SEED_DECISION, officer)
    decision = _decision(session, decision_for(years), officer)
    districts = {d.name: d for d in session.scalars(select(District))}
    categories = {c.name: c for c in session.scalars(select(ServiceCategory))}
    today = now.astimezone(LONDON).date()
    created = 0
    for spec in FRAMEWORKS:
        if session.scalar(select(Tender.id).where(Tender.reference == spec["reference"])):
            continue
        category = categories[spec["category"]]
        march_wave = session.scalar(
            select(Agreement.end_date)
            .where(Agreement.category_id == category.id)
            .order_by(Agreement.end_date.desc())
            .limit(1)
        )
        times = timetable(today, (march_wave or today) + timedelta(days=1), as_published)
        tender = Tender(
            reference=spec["reference"],
            title=spec["title"],
            description=spec["description"],
            category=category,
            estimated_value_pence=spec["value"] * 100,
            is_light_touch=True,
            is_framework=True,
            decision_id=decision.id,
            created_by_id=officer.id if officer else None,
            **{k: v for k, v in times.items() if k != "published"},
        )
        for number, (title, names, modes, value, places) in enumerate(spec["lots"], start=1):
            tender.lots.append(
                Lot(
                    number=number,
                    title=title,
                    districts=[districts[n] for n in names],
                    delivery_mode_rows=[LotDeliveryMode(mode=m) for m in modes],
                    estimated_annual_value_pence=value * 100,
                    max_providers=places,
                    description=f"{title}: services for children, young people and families in "
                    f"{', '.join(names[:4])}{' and more' if len(names) > 4 else ''}.",
                )
            )
        session.add(tender)
        session.flush()
        add_questionnaire(
            session,
            tender,
            SELECTION,
            QUALITY,
            "Give specific examples from your own work in Kent or similar areas.",
        )
        for kind, title, content in [
            (DocumentKind.SPECIFICATION, "Service specification", tiny_pdf(f"{spec['title']}: specification")),
            (DocumentKind.TERMS, "Framework terms and conditions", tiny_pdf("Framework terms and conditions")),
            (
                DocumentKind.EQUALITY_IMPACT_ASSESSMENT,
                "Equality Impact Assessment",
                tiny_pdf(f"{spec['title']}: Equality Impact Assessment"),
            ),
            (DocumentKind.PRICING_TEMPLATE, "Pricing template", pricing_template([lot[0] for lot in spec["lots"]])),
        ]:
            extension = ".xlsx" if kind is DocumentKind.PRICING_TEMPLATE else ".pdf"
            stored = files.store(session, officer, f"{title}{extension}", content, 10 * 1024 * 1024)
            session.add(TenderDocument(tender_id=tender.id, kind=kind, title=title, file_id=stored.id))
        session.flush()
        session.refresh(tender)
        services.record_conflicts_assessment(
            session,
            officer,
            tender,
            "No officer or evaluator on this procurement has declared an interest in a "
            "bidding organisation. Evaluators will declare conflicts again when bids are opened.",
            times["published"],
        )
        agreements = list(
            session.scalars(
                select(Agreement).where(Agreement.category_id == category.id, Agreement.end_date == march_wave)
            )
        )
        services.link_agreements(session, officer, tender, agreements)
        services.publish(session, officer, tender, times["published"])
        services.close_if_due(session, tender, now)
        created += 1
    return created
