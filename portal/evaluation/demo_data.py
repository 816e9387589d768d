"""The demo's tender ready to evaluate: "Short breaks for disabled children".

Its deadline passed two days before the demo is loaded. Four demo providers
bid on it through the bid services, at moments before the deadline; two demo
officers opened the bids after it; both demo evaluators sit on every lot's
panel, and an officer is the price evaluator. So a newcomer signs in as an
evaluator, declares their interests and scores a bid at once. One bid
answered a pass or fail question with the answer that fails, so the officer
has a selection decision to make too.

Loaded once (matched by the tender's reference): a second load creates nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import db, files
from portal.accounts.models import Role, User
from portal.agreements.models import DeliveryMode, ServiceCategory
from portal.bids import drafting, submission
from portal.bids.opening import confirm_opening
from portal.dates import LONDON
from portal.decisions.models import Decision
from portal.evaluation import panel, state
from portal.evaluation.models import PanelRole
from portal.providers.models import District, Organisation
from portal.tenders import services as tender_services
from portal.tenders.demo_data import DECISION, EAST, MID, NORTH, WEST, add_questionnaire, pricing_template, tiny_pdf
from portal.tenders.models import (
    DocumentKind,
    Lot,
    LotDeliveryMode,
    QuestionKind,
    Tender,
    TenderDocument,
    TieBreak,
)

REFERENCE = "KCC-DCS-SB"
TITLE = "Short breaks for disabled children"
DESCRIPTION = (
    "Day, after-school and holiday short breaks for disabled children and young people aged 5 to 17, "
    "so that they enjoy time with friends and new activities and their parent carers have a rest from "
    "caring. One contract for each lot, for two years from the contract start, with the option to "
    "extend for a further year."
)
LOTS = [
    # title, districts, annual value (£)
    ("Short breaks in East and Mid Kent", EAST + MID, 450_000),
    ("Short breaks in West and North Kent", WEST + NORTH, 400_000),
]
SELECTION = [
    # short title, question, the answer that passes
    (
        "Safeguarding policy",
        "Does your organisation have a safeguarding children policy, approved by its board and reviewed in "
        "the last 12 months?",
        True,
    ),
    (
        "Insurance",
        "Will your organisation hold employer's liability insurance of at least £5 million and public "
        "liability insurance of at least £5 million from the contract start?",
        True,
    ),
]
QUALITY = [
    # title, question, weight (the weights total 100 in every lot)
    (
        "Safeguarding and personal care",
        "Describe how you will keep disabled children safe during short breaks: safer recruitment, "
        "training in personal care, medication and moving and handling, and how you respond to concerns.",
        40,
    ),
    (
        "Activities and outcomes",
        "Describe the short breaks you will offer, how each child's plan reflects what they and their "
        "family want, and how you will measure the difference the breaks make.",
        35,
    ),
    (
        "Working with families",
        "Describe how you will involve parent carers and brothers and sisters, communicate with children "
        "who do not use speech, and work with schools, health and the disabled children's teams.",
        25,
    ),
]
WORD_LIMIT = 400

# Each bidder: its lots with annual prices (£), its yes or no answers to the
# selection questions, and its answers to the quality questions, in order.
BIDS = {
    "Thanet Family Link": {
        "prices": {1: 418_500},
        "selection": [True, True],
        "answers": [
            "Our safeguarding lead, a qualified social worker, supervises every session leader monthly. Every "
            "worker has an enhanced DBS check with the barred list, two references and a face-to-face "
            "interview with a parent carer on the panel. Before working alone, staff complete personal care, "
            "epilepsy and rescue medication, PEG feeding and moving and handling training, refreshed every "
            "year. Concerns are recorded the same day on our electronic system and referred to the Front Door "
            "within 24 hours; last year we made 9 referrals and the local authority designated officer "
            "reviewed our practice with no actions.",
            "We will run Saturday clubs in Margate, Dover and Canterbury, after-school clubs twice a week and "
            "four weeks of holiday play schemes, for 120 children a year. Each child has a one-page profile "
            "written with them and their family, saying what they enjoy, what upsets them and what they want "
            "to try. We measure outcomes with parent carers' stress scores before and after six months and "
            "with children's own ratings using symbols. In 2025, 82% of families reported less stress and 70 "
            "children tried an activity they had never done before, such as swimming or climbing.",
            "A parent carer forum meets each term and has changed our holiday timetable twice. We run sibling "
            "days in every holiday. Our staff use Makaton, PECS and objects of reference, and we copy the "
            "communication passport each child's school uses. We attend Team Around the Family meetings when "
            "invited and share attendance monthly with the disabled children's teams.",
        ],
    },
    "Medway Valley Young Carers": {
        "prices": {1: 432_000, 2: 389_000},
        "selection": [True, True],
        "answers": [
            "All our staff and volunteers have enhanced DBS checks and complete safeguarding training when they "
            "join. Our designated safeguarding lead is the chief executive. We will train short break staff in "
            "personal care and medication before the contract starts. Concerns are passed to the safeguarding "
            "lead and reported to children's social care.",
            "We will offer weekly youth clubs and holiday activity days in Maidstone, Tonbridge and "
            "Sittingbourne, building on our young carers' groups. Children will choose activities such as "
            "arts, sport and trips. We will ask families to complete a feedback form at the end of each term.",
            "Many of the families we support already have a disabled child, and our young carers' groups "
            "include brothers and sisters of disabled children. We will keep families informed through a "
            "monthly newsletter and a WhatsApp group. We work closely with schools in Maidstone and Swale.",
        ],
    },
    "Weald Short Breaks CIC": {
        "prices": {2: 372_500},
        "selection": [True, True],
        "answers": [
            "We have provided short breaks for disabled children since 2014 and were rated good in our last "
            "Ofsted inspection. Recruitment follows safer recruitment rules, with enhanced DBS checks renewed "
            "every three years and the update service checked each year. Our nurse trains and signs off each "
            "worker for each child's care plan, including gastrostomy feeding and rescue medication. Every "
            "session has a named safeguarding lead on call, and concerns are logged and reviewed weekly.",
            "We offer after-school clubs in Tunbridge Wells and Sevenoaks, Saturday sessions at a farm near "
            "Tonbridge and holiday schemes with trips. Each child's plan is agreed with them and their family "
            "at a home visit and reviewed every six months. We use goal-based outcomes: in 2025, 88% of "
            "children met at least two of their goals, such as trying new food or joining a group activity.",
            "Families help plan each term's programme. We use Makaton and visual timetables and learn each "
            "child's own signs from their family. We have a sibling group every half term. We take part in "
            "annual reviews of education, health and care plans when families ask us to, and we send a "
            "termly report to each child's social worker.",
        ],
    },
    "Ashford Sunflower Play Scheme": {
        "prices": {1: 395_000, 2: 380_000},
        # The board last approved the safeguarding policy 18 months ago: the answer that fails.
        "selection": [False, True],
        "answers": [
            "Every worker has an enhanced DBS check, and our safeguarding lead has completed the local "
            "safeguarding partnership's advanced course. Staff are trained in personal care and in giving "
            "medication, and two staff are always present for intimate care. Our safeguarding policy is being "
            "reviewed by the board this spring, after a change of trustees. Concerns are recorded on paper "
            "forms and passed to the lead on the same day.",
            "We run holiday play schemes in Ashford and Folkestone for children with autism and learning "
            "disabilities, with sensory rooms, cooking and outdoor play. We will add Saturday clubs in both "
            "towns. Parents tell us what their child enjoys when they register. We count attendance and ask "
            "parents each year how satisfied they are: 94% were satisfied last year.",
            "We hold coffee mornings for parents during each play scheme. Our staff use Makaton and picture "
            "cards. We are happy to attend meetings with schools and social workers when asked.",
        ],
    },
}


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def _staff(session: Session, role: Role) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(User.role == role, User.email.like("%@kent.example.gov.uk"), User.deactivated_at.is_(None))
            .order_by(User.id)
        )
    )


def _build_tender(session: Session, officer: User, deadline: datetime, reference: str, title: str) -> Tender:
    """The tender as its officer drafted it, unpublished."""
    deadline_day = deadline.astimezone(LONDON).date()
    districts = {d.name: d for d in session.scalars(select(District))}
    category = session.scalar(select(ServiceCategory).where(ServiceCategory.name == "Disabled Children's Services"))
    decision = session.scalar(select(Decision).where(Decision.number == DECISION["number"]))
    tender = Tender(
        reference=reference,
        title=title,
        description=DESCRIPTION,
        category=category,
        estimated_value_pence=sum(value for *_, value in LOTS) * 2 * 100,
        is_light_touch=True,
        is_framework=False,
        decision_id=decision.id if decision else None,
        created_by_id=officer.id,
        clarification_deadline=_at(deadline_day - timedelta(days=14), 17),
        answers_by=_at(deadline_day - timedelta(days=7), 17),
        submission_deadline=deadline,
        evaluation_date=deadline_day + timedelta(days=10),
        intended_award_date=deadline_day + timedelta(days=35),
        standstill_end_date=deadline_day + timedelta(days=48),
        contract_start_date=deadline_day + timedelta(days=90),
        quality_weight=70,
        price_weight=30,
        minimum_quality_score=50,
        tie_break=TieBreak.QUALITY_THEN_PRICE,
    )
    for number, (title, names, value) in enumerate(LOTS, start=1):
        tender.lots.append(
            Lot(
                number=number,
                title=title,
                districts=[districts[n] for n in names],
                delivery_mode_rows=[LotDeliveryMode(mode=DeliveryMode.FACE_TO_FACE)],
                estimated_annual_value_pence=value * 100,
                max_providers=1,
                description=f"Short breaks for disabled children and young people living in {', '.join(names)}.",
            )
        )
    session.add(tender)
    session.flush()
    add_questionnaire(
        session,
        tender,
        SELECTION,
        [(title, text, WORD_LIMIT, weight) for title, text, weight in QUALITY],
        "Give specific examples from your own short breaks for disabled children.",
    )
    for kind, document_title, content in [
        (DocumentKind.SPECIFICATION, "Service specification", tiny_pdf(f"{title}: specification")),
        (DocumentKind.TERMS, "Contract terms and conditions", tiny_pdf("Contract terms and conditions")),
        (DocumentKind.PRICING_TEMPLATE, "Pricing template", pricing_template([lot[0] for lot in LOTS])),
    ]:
        extension = ".xlsx" if kind is DocumentKind.PRICING_TEMPLATE else ".pdf"
        stored = files.store(session, officer, f"{document_title}{extension}", content, 10 * 1024 * 1024)
        session.add(TenderDocument(tender_id=tender.id, kind=kind, title=document_title, file_id=stored.id))
    session.flush()
    session.refresh(tender)
    return tender


def _bid(session: Session, tender: Tender, organisation: Organisation, spec: dict, started: datetime, sent: datetime):
    """One organisation's bid, drafted and submitted through the bid services at past moments."""
    user = session.scalar(
        select(User)
        .where(User.organisation_id == organisation.id, User.role == Role.PROVIDER)
        .order_by(User.is_organisation_admin.desc(), User.id)
    )
    lots = {lot.number: lot for lot in tender.lots}
    bid = drafting.start_bid(session, user, tender, started)
    drafting.choose_lots(session, user, bid, [lots[n].id for n in spec["prices"]], started)
    pass_fail = [q for q in tender.questions if q.kind is QuestionKind.PASS_FAIL]
    quality = [q for q in tender.questions if q.kind is QuestionKind.QUALITY]
    for question, yes_no in zip(pass_fail, spec["selection"], strict=True):
        drafting.save_answer(session, user, bid, question, None, yes_no, 0, started)
    for question, text in zip(quality, spec["answers"], strict=True):
        drafting.save_answer(session, user, bid, question, text, None, 0, started)
    drafting.save_prices(session, user, bid, {lots[n].id: pounds * 100 for n, pounds in spec["prices"].items()}, sent)
    drafting.confirm_declarations(session, user, bid, True, sent)
    # ``submit`` judges the deadline again by the live clock as the transaction commits, which is
    # right for a provider submitting now; these submissions were made at ``sent``, before the deadline.
    with db.backdated(session):
        submission.submit(session, user, bid, sent)


def load(session: Session, now: datetime) -> int:
    """Create the tender ready to evaluate (once); returns how many were created (0 or 1).

    Needs the demo's staff (two officers, two evaluators) and its providers.
    """
    return 1 if opened_tender(session, now, REFERENCE, TITLE, days_closed=2) else 0


def opened_tender(session: Session, now: datetime, reference: str, title: str, days_closed: int) -> Tender | None:
    """A short breaks tender whose deadline passed ``days_closed`` days ago, its bids
    opened and its panels appointed (both evaluators for quality, the lead officer for
    price); None if it exists already or the demo's people are missing. The awards demo
    takes a second one through the whole evaluation."""
    if session.scalar(select(Tender.id).where(Tender.reference == reference)):
        return None
    officers, evaluators = _staff(session, Role.OFFICER), _staff(session, Role.EVALUATOR)
    organisations = {o.name: o for o in session.scalars(select(Organisation).where(Organisation.name.in_(list(BIDS))))}
    if len(officers) < 2 or not evaluators or len(organisations) < len(BIDS):
        return None
    lead, second = officers[0], officers[1]

    today = now.astimezone(LONDON).date()
    deadline = _at(today - timedelta(days=days_closed), 12)
    published = _at(today - timedelta(days=28 + days_closed), 9)
    tender = _build_tender(session, lead, deadline, reference, title)
    tender_services.record_conflicts_assessment(
        session,
        lead,
        tender,
        "No officer or evaluator on this procurement has declared an interest in a bidding organisation. "
        "Evaluators will declare conflicts again when bids are opened.",
        published - timedelta(hours=1),
    )
    tender_services.publish(session, lead, tender, published)

    for number, name in enumerate(BIDS):
        started = published + timedelta(days=3 + number, hours=2)
        sent = deadline - timedelta(days=3 - number, hours=1 + number)
        _bid(session, tender, organisations[name], BIDS[name], started, sent)

    opened = deadline + timedelta(hours=1)
    confirm_opening(session, lead, tender, opened)
    confirm_opening(session, second, tender, opened + timedelta(minutes=25))

    evaluation = state.load(session, tender)
    appointed = opened + timedelta(hours=1)
    for lot in evaluation.lots:
        for evaluator in evaluators:
            panel.appoint(session, lead, evaluation, lot.id, evaluator, PanelRole.QUALITY, [], appointed)
        panel.appoint(session, lead, evaluation, lot.id, lead, PanelRole.PRICE, [], appointed)
    return tender
