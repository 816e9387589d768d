"""An opened tender ready to evaluate, built straight into the database (the
bidders' and officers' journeys that lead there are tested elsewhere).

``build_opened_tender`` is a plain function, not a fixture, so other test files
(query budgets, pages, the browser journey) can build the same world with any
number of bids. It only flushes; the caller commits.

The tender is in EVALUATION: its deadline two days before ``NOW`` (where the
tests stand the clock), opened by two officers a day before ``NOW``. Each bid
is SUBMITTED with one Submission whose ``content`` has the shape
``portal.bids.submission.snapshot`` gives, hashed with ``content_hash``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy.orm import Session

from portal.accounts.models import Role, User
from portal.bids.models import Bid, BidAnswer, BidLot, BidOpening, BidStatus, Submission
from portal.bids.submission import content_hash
from portal.providers.models import Organisation, OrganisationType
from portal.tenders.models import (
    Lot,
    Question,
    QuestionKind,
    QuestionnaireSection,
    Tender,
    TenderStatus,
    TieBreak,
)
from tests import factories
from tests.factories import NOW

DEADLINE = NOW - timedelta(days=2)
OPENED_AT = NOW - timedelta(days=1)
DEFAULT_PRICE_PENCE = 100_000_00
ANSWER_TEXT = "We visit schools, GP surgeries and food banks every week, and follow up every referral."


@dataclass
class OpenedTender:
    tender: Tender
    lots: list[Lot]
    pass_fail_questions: list[Question]
    quality_questions: list[Question]
    organisations: list[Organisation]
    bids: list[Bid]
    submissions: list[Submission]
    evaluators: list[User]
    officers: list[User]  # two: the officers who opened the bids
    extra: dict = field(default_factory=dict)

    @property
    def questions(self) -> list[Question]:
        return self.pass_fail_questions + self.quality_questions

    @property
    def officer(self) -> User:
        return self.officers[0]

    @property
    def lot(self) -> Lot:
        return self.lots[0]


def _weights(count: int) -> list[int]:
    """Weights totalling 100 over ``count`` questions (the remainder on the first)."""
    if count == 0:
        return []
    share = 100 // count
    return [share + 100 - share * count] + [share] * (count - 1)


def build_opened_tender(
    app: Flask,
    session: Session,
    *,
    bids: int = 2,
    lots: int = 1,
    quality_questions: int = 2,
    pass_fail: int = 1,
    evaluators: int = 2,
    price_weight: int = 30,
    minimum_quality_score: int = 50,
    tie_break: TieBreak | None = TieBreak.QUALITY_THEN_PRICE,
    weights: list[int] | None = None,
    minimum_scores: list[int | None] | None = None,
    prices: list[int | None] | None = None,
    passes: list[bool | None] | None = None,
    bid_overrides: dict[int, dict] | None = None,
    contract_start_date=None,
) -> OpenedTender:
    """A tender in evaluation with ``bids`` submitted bids; flushed, not committed.

    Every bid bids for every lot at ``DEFAULT_PRICE_PENCE`` and answers every pass or
    fail question "yes" (the answer that passes), unless told otherwise:

    * ``prices[i]``: bid i's price (pence) in every lot (None: no price);
    * ``passes[i]``: bid i's answer to every pass or fail question;
    * ``bid_overrides[i]``: any of ``name``, ``price_pence`` (an int, or a dict of
      lot index to price), ``yes_no`` (a bool, or a dict of pass or fail question
      index to answer), ``lots`` (the lot indexes bid for), ``evidence`` (a list of
      evidence items as the snapshot has them), ``submitted_at``.

    Bid i is submitted ``bids - i`` minutes before the deadline: earlier bids first.
    """
    weights = weights or _weights(quality_questions)
    assert len(weights) == quality_questions, "one weight per quality question"
    minimum_scores = minimum_scores or [None] * quality_questions
    bid_overrides = bid_overrides or {}

    tender = factories.make_tender(
        app,
        session,
        status=TenderStatus.EVALUATION,
        lots=lots,
        documents=0,
        submission_deadline=DEADLINE,
        clarification_deadline=DEADLINE - timedelta(days=14),
        quality_weight=100 - price_weight,
        price_weight=price_weight,
        minimum_quality_score=minimum_quality_score,
        tie_break=tie_break,
        closed_at=DEADLINE,
        evaluation_started_at=OPENED_AT,
        conflicts_assessment="No conflicts of interest were identified before publication.",
        conflicts_assessed_at=DEADLINE - timedelta(days=30),
    )
    if contract_start_date is not None:
        tender.contract_start_date = contract_start_date
    tender.published_at = DEADLINE - timedelta(days=30)
    tender.answers_by = DEADLINE - timedelta(days=10)
    lot_rows = sorted(tender.lots, key=lambda lot: lot.number)

    position = 0
    pass_fail_rows, quality_rows = [], []
    if pass_fail:
        section = QuestionnaireSection(tender_id=tender.id, position=1, title="Selection", kind=QuestionKind.PASS_FAIL)
        session.add(section)
        session.flush()
        for i in range(pass_fail):
            position += 1
            pass_fail_rows.append(
                Question(
                    tender_id=tender.id,
                    section_id=section.id,
                    position=position,
                    kind=QuestionKind.PASS_FAIL,
                    text=f"Do you hold the insurance asked for in part {i + 1}?",
                    passing_answer=True,
                )
            )
    if quality_questions:
        section = QuestionnaireSection(tender_id=tender.id, position=2, title="Quality", kind=QuestionKind.QUALITY)
        session.add(section)
        session.flush()
        for i in range(quality_questions):
            position += 1
            quality_rows.append(
                Question(
                    tender_id=tender.id,
                    section_id=section.id,
                    position=position,
                    kind=QuestionKind.QUALITY,
                    text=f"Quality question {i + 1}: how will you reach families who do not ask for help?",
                    word_limit=500,
                    weight=weights[i],
                    minimum_score=minimum_scores[i],
                )
            )  # no lots listed: the question counts in every lot
    session.add_all(pass_fail_rows + quality_rows)

    officers = [factories.make_user(session, Role.OFFICER) for _ in range(2)]
    evaluator_rows = [factories.make_user(session, Role.EVALUATOR) for _ in range(evaluators)]
    session.add_all(BidOpening(tender_id=tender.id, officer_id=o.id, confirmed_at=OPENED_AT) for o in officers)

    district = factories.make_district(session)
    organisations = []
    for i in range(bids):
        n = factories.next_number()
        organisations.append(
            Organisation(
                name=bid_overrides.get(i, {}).get("name", f"Bidder {n:05d}"),
                organisation_type=OrganisationType.REGISTERED_CHARITY,
                charity_number=f"{2100000 + n}",
                address_line_1="1 High Street",
                town="Maidstone",
                postcode="ME14 1XQ",
                districts=[district],
                registered_at=DEADLINE - timedelta(days=60),
            )
        )
    session.add_all(organisations)
    session.flush()

    bid_rows = []
    for i, organisation in enumerate(organisations):
        override = bid_overrides.get(i, {})
        submitted_at = override.get("submitted_at", DEADLINE - timedelta(minutes=bids - i))
        lot_indexes = override.get("lots", range(lots))
        price = override.get("price_pence", prices[i] if prices else DEFAULT_PRICE_PENCE)
        yes_no = override.get("yes_no", passes[i] if passes else True)
        bid = Bid(
            tender_id=tender.id,
            organisation_id=organisation.id,
            status=BidStatus.SUBMITTED,
            revision=1,
            declarations_confirmed_at=submitted_at,
            created_at=submitted_at - timedelta(days=3),
            updated_at=submitted_at,
            submitted_at=submitted_at,
        )
        bid.lots = [
            BidLot(lot_id=lot_rows[j].id, price_pence=price.get(j) if isinstance(price, dict) else price)
            for j in lot_indexes
        ]
        bid.answers = [
            BidAnswer(question_id=q.id, yes_no=yes_no.get(k, True) if isinstance(yes_no, dict) else yes_no)
            for k, q in enumerate(pass_fail_rows)
        ] + [BidAnswer(question_id=q.id, text=f"{ANSWER_TEXT} ({organisation.name})") for q in quality_rows]
        bid_rows.append(bid)
        bid.organisation = organisation
    session.add_all(bid_rows)
    session.flush()

    submissions = []
    for i, bid in enumerate(bid_rows):
        override = bid_overrides.get(i, {})
        by_lot = {lot.id: lot for lot in lot_rows}
        answers = {a.question_id: a for a in bid.answers}
        content = {
            "tender": tender.reference,
            "organisation_id": bid.organisation_id,
            "organisation": bid.organisation.name,
            "lots": [
                {
                    "lot_id": bl.lot_id,
                    "number": by_lot[bl.lot_id].number,
                    "title": by_lot[bl.lot_id].title,
                    "price_pence": bl.price_pence,
                }
                for bl in sorted(bid.lots, key=lambda b: by_lot[b.lot_id].number)
            ],
            "answers": [
                {
                    "question_id": q.id,
                    "kind": q.kind.name,
                    "text": answers[q.id].text,
                    "yes_no": answers[q.id].yes_no,
                }
                for q in pass_fail_rows + quality_rows
            ],
            "attachments": [],
            "evidence": list(override.get("evidence", [])),
            "declarations_confirmed_at": bid.declarations_confirmed_at.isoformat(),
        }
        submissions.append(
            Submission(
                bid_id=bid.id,
                version=1,
                from_revision=1,
                receipt_reference=f"{tender.reference}-{bid.id:05d}-1",
                submitted_at=bid.submitted_at,
                sha256=content_hash(content),
                content=content,
            )
        )
    session.add_all(submissions)
    session.flush()
    return OpenedTender(
        tender=tender,
        lots=lot_rows,
        pass_fail_questions=pass_fail_rows,
        quality_questions=quality_rows,
        organisations=organisations,
        bids=bid_rows,
        submissions=submissions,
        evaluators=evaluator_rows,
        officers=officers,
    )


def when(minutes: int = 0) -> datetime:
    """A moment ``minutes`` after ``NOW``, for services' ``now``."""
    return NOW + timedelta(minutes=minutes)
