"""A tender whose evaluation is complete, ready to award, built through the
evaluation services (so every lot has its ``LotResult`` rows with ranks), and the
award taken as far as the summaries being sent.

``build_evaluated_tender`` and ``award_through_summaries_sent`` are plain
functions, not fixtures, so other test files (award pages, query budgets, the
browser journey) can build the same world with any number of bids. They only
flush; the caller commits. Call them inside an app context (services read the
app's config and clock), e.g. ``with app.app_context():``.

Everything happens at ``tests.factories.NOW`` unless told otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import Flask
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.agreements.models import Agreement, AgreementDeliveryMode, DeliveryMode
from portal.awards import decisions, summaries
from portal.awards.models import LotAward
from portal.bids.models import Bid, Submission
from portal.evaluation import conflicts, moderation, panel, scoring, selection
from portal.evaluation.models import PanelRole
from portal.evaluation.state import PENDING, load
from portal.providers.models import Organisation
from portal.tenders.models import Lot, Question, Tender
from tests import factories
from tests.evaluation.world import build_opened_tender
from tests.factories import NOW

EXPLANATION = "The bid names the schools and surgeries it visits each week and how it follows up referrals."
IMPROVEMENT = "Say how families who do not ask for help are found and followed up."
FAILURE_REASON = "The bid does not hold the insurance the tender requires."
REPLACED_END = date(2027, 3, 31)


@dataclass
class EvaluatedTender:
    tender: Tender
    lots: list[Lot]
    bids: list[Bid]
    submissions: list[Submission]
    organisations: list[Organisation]  # the bidders', in bid order
    officers: list[User]  # two: officer 1 proposes, officer 2 approves (and checks prices)
    evaluators: list[User]
    pass_fail_questions: list[Question]
    quality_questions: list[Question]
    replaced_agreements: list[Agreement]  # one per bidder (bid order), then the non-bidder's
    non_bidder: Organisation | None  # an incumbent that did not bid
    scores: list[list[int]]  # the agreed score of each bid (bid order) for each quality question
    extra: dict = field(default_factory=dict)

    @property
    def officer(self) -> User:
        return self.officers[0]

    @property
    def approver(self) -> User:
        return self.officers[1]

    @property
    def lot(self) -> Lot:
        return self.lots[0]

    def replaced_of(self, organisation: Organisation) -> Agreement:
        return next(a for a in self.replaced_agreements if a.organisation_id == organisation.id)


def _default_scores(bids: int) -> list[int]:
    """Bid 0 best, then bid 1, then the rest level (ranked by the tie break)."""
    return [max(5 - i, 3) for i in range(bids)]


def _score_table(scores, bids: int, questions: int) -> list[list[int]]:
    scores = scores if scores is not None else _default_scores(bids)
    assert len(scores) == bids, "one score (or list of scores) per bid"
    table = []
    for entry in scores:
        row = [entry] * questions if isinstance(entry, int) else list(entry)
        assert len(row) == questions, "one score per quality question"
        table.append(row)
    return table


def build_evaluated_tender(
    app: Flask,
    session: Session,
    *,
    bids: int = 3,
    lots: int = 1,
    passes: list[bool | None] | None = None,
    prices: list[int | None] | None = None,
    scores: list[int | list[int]] | None = None,
    max_providers: int = 1,
    is_light_touch: bool = True,
    replaced_agreements: bool = True,
    quality_questions: int = 2,
    price_weight: int = 30,
    minimum_quality_score: int = 50,
    contract_start_date: date | None = None,
    now: datetime = NOW,
    **opened_options,
) -> EvaluatedTender:
    """A tender in evaluation with every lot complete; flushed, not committed.

    * ``passes[i]``: bid i's pass or fail answers (False: it fails them and the
      failure is upheld, with ``FAILURE_REASON``);
    * ``prices[i]``: bid i's price in every lot (pence);
    * ``scores[i]``: the score (0 to 5) both evaluators give, and the moderator
      agrees, for bid i's answers: an int for every question, or a list with one
      per quality question. Default: bid 0 scores 5, bid 1 scores 4, the rest 3,
      so bid 0 ranks first (below 50% quality, e.g. 2, is below the threshold);
    * ``max_providers``: every lot's number of places;
    * ``replaced_agreements``: an agreement for each bidder and for one
      organisation that did not bid, each to be replaced by this tender.

    Other keyword arguments go to ``tests.evaluation.world.build_opened_tender``.
    """
    opened = build_opened_tender(
        app,
        session,
        bids=bids,
        lots=lots,
        passes=passes,
        prices=prices,
        quality_questions=quality_questions,
        price_weight=price_weight,
        minimum_quality_score=minimum_quality_score,
        contract_start_date=contract_start_date,
        **opened_options,
    )
    tender = opened.tender
    tender.is_light_touch = is_light_touch
    for lot in opened.lots:
        lot.max_providers = max_providers
    session.flush()
    officer, price_checker = opened.officers
    table = _score_table(scores, bids, len(opened.quality_questions))

    with app.app_context():
        state = load(session, tender)
        for lot in opened.lots:
            for evaluator in opened.evaluators:
                panel.appoint(session, officer, state, lot.id, evaluator, PanelRole.QUALITY, [], now)
            panel.appoint(session, officer, state, lot.id, price_checker, PanelRole.PRICE, [], now)
        no_interests = {org.id: (False, "") for org in opened.organisations}
        for user in [*opened.evaluators, price_checker]:
            conflicts.declare(session, user, load(session, tender), no_interests, now)

        state = load(session, tender)
        for bid in state.bids:
            if state.selection(bid).status == PENDING:
                for question in state.selection(bid).failures:
                    selection.decide(session, officer, state, bid, question, True, FAILURE_REASON, now)

        position = {b.id: i for i, b in enumerate(opened.bids)}
        number = {q.id: k for k, q in enumerate(opened.quality_questions)}
        for evaluator in opened.evaluators:
            state = load(session, tender, scores_of=evaluator.id)
            for member in state.memberships(evaluator.id):
                for bid, question in state.assignments(member):
                    score = table[position[bid.bid_id]][number[question.id]]
                    scoring.save_score(
                        session, evaluator, state, member.lot, bid, question, score, EXPLANATION, IMPROVEMENT,
                        bid.sha256, now,
                    )  # fmt: skip
            state = load(session, tender, scores_of=evaluator.id)
            for member in state.memberships(evaluator.id):
                scoring.submit_scores(session, evaluator, state, member.lot, now)

        state = load(session, tender)
        for lot in state.lots:
            moderation.start(session, officer, state, lot, now)
            scoring.confirm_prices(session, price_checker, state, lot, now)
        state = load(session, tender)
        agreed = set()
        for lot in state.lots:
            for bid, question in state.answers_to_moderate(lot):
                if (bid.submission_id, question.id) in agreed:
                    continue  # a question counting in two lots has one agreed score
                agreed.add((bid.submission_id, question.id))
                score = table[position[bid.bid_id]][number[question.id]]
                moderation.moderate(session, officer, state, lot, bid, question, score, "", now)
        state = load(session, tender)
        for lot in state.lots:
            moderation.complete(session, officer, state, lot, now)

    replaced, non_bidder = [], None
    if replaced_agreements:
        non_bidder = factories.make_organisation(session, name=f"Incumbent {factories.next_number():05d}")
        district = opened.lots[0].districts[0]
        for organisation in [*opened.organisations, non_bidder]:
            agreement = Agreement(
                reference=f"AG-{factories.next_number():06d}",
                organisation_id=organisation.id,
                service_name="Family support (ending)",
                category_id=tender.category_id,
                annual_value_pence=80_000_00,
                start_date=date(2023, 4, 1),
                original_end_date=REPLACED_END,
                end_date=REPLACED_END,
                replacement_tender_id=tender.id,
                districts=[district],
                delivery_mode_rows=[AgreementDeliveryMode(mode=DeliveryMode.FACE_TO_FACE)],
            )
            session.add(agreement)
            replaced.append(agreement)
        session.flush()

    return EvaluatedTender(
        tender=tender,
        lots=opened.lots,
        bids=opened.bids,
        submissions=opened.submissions,
        organisations=opened.organisations,
        officers=opened.officers,
        evaluators=opened.evaluators,
        pass_fail_questions=opened.pass_fail_questions,
        quality_questions=opened.quality_questions,
        replaced_agreements=replaced,
        non_bidder=non_bidder,
        scores=table,
    )


def top_ranked(session: Session, lot: Lot, places: int | None = None) -> list[int]:
    """The ids of the lot's highest-ranked bids, up to ``places`` (default: the lot's)."""
    ranked = [r for r in decisions.ranking(session, lot) if r.rank is not None]
    return [r.bid_id for r in ranked[: places if places is not None else lot.max_providers]]


def award_through_summaries_sent(session: Session, world: EvaluatedTender, now: datetime = NOW) -> list[LotAward]:
    """Officer 1 proposes the top-ranked bid(s) of every lot (no award, where none
    is ranked), officer 2 approves, officer 1 prepares and sends the summaries.
    Needs an app context. Returns the awards, in lot order."""
    awards = []
    for lot in world.lots:
        winners = top_ranked(session, lot)
        award = decisions.propose(
            session, world.officer, world.tender, lot, winners, "" if winners else "No bid was ranked.", now
        )
        decisions.approve(session, world.approver, world.tender, award, None, now)
        awards.append(award)
    summaries.prepare(session, world.officer, world.tender, now)
    summaries.send(session, world.officer, world.tender, now)
    return awards
