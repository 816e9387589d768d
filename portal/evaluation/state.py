"""A tender's evaluation as pages and services see it, loaded in a fixed number
of queries whatever the number of bids, and the rules derived from it: which
bids are in each lot, what selection decided, who must score what.

Blind scoring is built in here: ``load`` for an evaluator reads that
evaluator's scores and nobody else's, so no page drawn from it can show another
evaluator's score, average, rank, order or timing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from portal.bids.models import Bid, BidStatus, Submission
from portal.evaluation.models import (
    ConflictDeclaration,
    LotEvaluation,
    LotEvaluationStatus,
    LotResult,
    ModeratedScore,
    PanelMember,
    PanelRole,
    Score,
    SelectionDecision,
)
from portal.providers.models import Organisation
from portal.tenders.models import Lot, Question, QuestionKind, Tender

PENDING, PASSED, FAILED = "pending", "passed", "failed"


@dataclass(frozen=True)
class EntrantBid:
    """A submitted bid as evaluated: its current submission, never the draft."""

    bid_id: int
    organisation_id: int
    organisation: str
    submission_id: int
    sha256: str
    submitted_at: datetime
    content: dict

    @cached_property
    def lot_ids(self) -> set[int]:
        return {item["lot_id"] for item in self.content.get("lots", [])}

    def price_for(self, lot_id: int) -> int | None:
        return next((item["price_pence"] for item in self.content.get("lots", []) if item["lot_id"] == lot_id), None)

    def answer_to(self, question_id: int) -> dict | None:
        return next((a for a in self.content.get("answers", []) if a["question_id"] == question_id), None)

    def expired_evidence(self, on: date | None) -> list[dict]:
        """Evidence that has expired by ``on`` (the contract start), for the panel to see."""
        if on is None:
            return []
        return [
            item
            for item in self.content.get("evidence", [])
            if item.get("expires_on") and date.fromisoformat(item["expires_on"]) < on
        ]


@dataclass(frozen=True)
class Selection:
    status: str  # PENDING, PASSED or FAILED
    failures: list[Question]  # pass or fail answers that did not match the answer that passes
    reason: str = ""


@dataclass
class TenderEvaluation:
    tender: Tender
    lots: list[Lot]
    questions: list[Question]
    bids: list[EntrantBid]
    members: list[PanelMember]
    declarations: list[ConflictDeclaration]
    decisions: dict[tuple[int, int], SelectionDecision]
    scores: list[Score]  # every score, or only one evaluator's (see ``load``)
    moderated: dict[tuple[int, int], ModeratedScore]
    lot_evaluations: dict[int, LotEvaluation]
    results: dict[int, list[LotResult]] = field(default_factory=dict)

    # --- The questionnaire --------------------------------------------------------------------

    @cached_property
    def pass_fail_questions(self) -> list[Question]:
        return [q for q in self.questions if q.kind is QuestionKind.PASS_FAIL]

    def quality_questions(self, lot: Lot) -> list[Question]:
        """The quality questions that count in ``lot`` (those for every lot, and those for it)."""
        return [
            q
            for q in self.questions
            if q.kind is QuestionKind.QUALITY and (not q.lots or any(x.id == lot.id for x in q.lots))
        ]

    def question_number(self, question: Question) -> int:
        return next(i for i, q in enumerate(self.questions, start=1) if q.id == question.id)

    def lot(self, lot_id: int) -> Lot | None:
        return next((lot for lot in self.lots if lot.id == lot_id), None)

    def bid(self, bid_id: int) -> EntrantBid | None:
        return next((b for b in self.bids if b.bid_id == bid_id), None)

    # --- Selection (pass or fail) ---------------------------------------------------------------

    def selection(self, bid: EntrantBid) -> Selection:
        """Marked from the submitted answers; a failure counts once an officer upholds it,
        and holds the bid back until an officer decides it."""
        failures = []
        for question in self.pass_fail_questions:
            answer = bid.answer_to(question.id)
            if answer is None:
                continue  # not asked of this bid
            if answer.get("yes_no") != question.passing_answer:
                failures.append(question)
        upheld = [q for q in failures if (d := self.decisions.get((bid.submission_id, q.id))) and d.is_upheld]
        if upheld:
            q = upheld[0]
            reason = self.decisions[(bid.submission_id, q.id)].reason
            return Selection(
                FAILED,
                failures,
                f"Failed pass or fail question {self.question_number(q)} (\u201c{q.text}\u201d): {reason}",
            )
        if any((bid.submission_id, q.id) not in self.decisions for q in failures):
            return Selection(PENDING, failures)
        return Selection(PASSED, failures)

    def bids_in(self, lot: Lot) -> list[EntrantBid]:
        return [b for b in self.bids if lot.id in b.lot_ids]

    def bids_going_forward(self, lot: Lot) -> list[EntrantBid]:
        return [b for b in self.bids_in(lot) if self.selection(b).status == PASSED]

    # --- Panels, declarations, assignments ----------------------------------------------------

    def panel(self, lot: Lot, role: PanelRole | None = None) -> list[PanelMember]:
        return [m for m in self.members if m.lot_id == lot.id and (role is None or m.role is role)]

    def memberships(self, user_id: int) -> list[PanelMember]:
        return [m for m in self.members if m.user_id == user_id]

    @cached_property
    def _declared(self) -> dict[int, dict[int, ConflictDeclaration]]:
        by_user = defaultdict(dict)
        for d in self.declarations:
            by_user[d.user_id][d.organisation_id] = d
        return by_user

    @cached_property
    def bidding_organisations(self) -> list[tuple[int, str]]:
        named = {b.organisation_id: b.organisation for b in self.bids}
        return sorted(named.items(), key=lambda item: item[1].lower())

    def has_declared(self, user_id: int) -> bool:
        """A declaration about every organisation that bid (made after the opening, when they are known)."""
        declared = self._declared.get(user_id, {})
        return all(org_id in declared for org_id, _ in self.bidding_organisations)

    def declaration(self, user_id: int, organisation_id: int) -> ConflictDeclaration | None:
        return self._declared.get(user_id, {}).get(organisation_id)

    def is_conflicted(self, user_id: int, organisation_id: int) -> bool:
        declaration = self.declaration(user_id, organisation_id)
        return declaration is not None and declaration.has_interest

    def questions_of(self, member: PanelMember) -> list[Question]:
        lot_questions = self.quality_questions(member.lot)
        if not member.questions:
            return lot_questions
        chosen = {q.id for q in member.questions}
        return [q for q in lot_questions if q.id in chosen]

    def assignments(self, member: PanelMember) -> list[tuple[EntrantBid, Question]]:
        """What a quality evaluator must score: each answer of each bid going forward in
        the lot, except bids of organisations they declared an interest in. Nothing
        until they have declared."""
        if member.role is not PanelRole.QUALITY or not self.has_declared(member.user_id):
            return []
        questions = self.questions_of(member)
        return [
            (bid, q)
            for bid in self.bids_going_forward(member.lot)
            if not self.is_conflicted(member.user_id, bid.organisation_id)
            for q in questions
        ]

    def is_assigned(self, user_id: int, lot: Lot, bid: EntrantBid, question: Question) -> bool:
        """The same answer as ``assignments`` gives, asked of one answer (without listing them all)."""
        return any(
            m.user_id == user_id
            and self.has_declared(user_id)
            and lot.id in bid.lot_ids
            and self.selection(bid).status == PASSED
            and not self.is_conflicted(user_id, bid.organisation_id)
            and any(q.id == question.id for q in self.questions_of(m))
            for m in self.panel(lot, PanelRole.QUALITY)
        )

    # --- Scores ---------------------------------------------------------------------------------

    @cached_property
    def _scores(self) -> dict[tuple[int, int, int], Score]:
        return {(s.evaluator_id, s.submission_id, s.question_id): s for s in self.scores}

    def score_of(self, user_id: int, bid: EntrantBid, question: Question) -> Score | None:
        return self._scores.get((user_id, bid.submission_id, question.id))

    def scores_for(self, bid: EntrantBid, question: Question) -> list[Score]:
        """Every loaded score for one answer (for the moderator: never loaded for an evaluator),
        except those of an evaluator who has since declared an interest in the bidder: they stay
        on record (the evaluation record lists them) but no longer count."""
        return [
            s
            for s in self.scores
            if (s.submission_id, s.question_id) == (bid.submission_id, question.id)
            and not self.is_conflicted(s.evaluator_id, bid.organisation_id)
        ]

    def scored_count(self, member: PanelMember) -> int:
        return sum(1 for bid, q in self.assignments(member) if self.score_of(member.user_id, bid, q))

    def status_of(self, lot: Lot) -> LotEvaluationStatus:
        row = self.lot_evaluations.get(lot.id)
        return row.status if row else LotEvaluationStatus.SCORING

    def answers_to_moderate(self, lot: Lot) -> list[tuple[EntrantBid, Question]]:
        return [(bid, q) for bid in self.bids_going_forward(lot) for q in self.quality_questions(lot)]

    def moderated_score(self, bid: EntrantBid, question: Question) -> ModeratedScore | None:
        return self.moderated.get((bid.submission_id, question.id))


def _entrant_bids(session: Session, tender: Tender) -> list[EntrantBid]:
    newest = (
        select(Submission.bid_id, func.max(Submission.version).label("version"))
        .join(Bid, Bid.id == Submission.bid_id)
        .where(Bid.tender_id == tender.id)
        .group_by(Submission.bid_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Bid.id,
            Bid.organisation_id,
            Organisation.name,
            Submission.id,
            Submission.sha256,
            Submission.submitted_at,
            Submission.content,
        )
        .join(Organisation, Organisation.id == Bid.organisation_id)
        .join(newest, newest.c.bid_id == Bid.id)
        .join(Submission, (Submission.bid_id == Bid.id) & (Submission.version == newest.c.version))
        .where(Bid.tender_id == tender.id, Bid.status == BidStatus.SUBMITTED)
        .order_by(func.lower(Organisation.name), Bid.id)
    ).all()
    return [EntrantBid(*row) for row in rows]


def load(session: Session, tender: Tender, *, scores_of: int | None = None, with_results: bool = False):
    """The tender's evaluation. ``scores_of`` (an evaluator's user id) loads only that
    evaluator's scores; None loads everyone's, for officers only."""
    lots = list(session.scalars(select(Lot).where(Lot.tender_id == tender.id).order_by(Lot.number)))
    questions = list(
        session.scalars(
            select(Question)
            .where(Question.tender_id == tender.id)
            .order_by(Question.position)
            .options(selectinload(Question.lots))
        )
    )
    members = list(
        session.scalars(
            select(PanelMember)
            .where(PanelMember.tender_id == tender.id)
            .order_by(PanelMember.id)
            .options(selectinload(PanelMember.user), selectinload(PanelMember.questions))
        )
    )
    declarations = list(session.scalars(select(ConflictDeclaration).where(ConflictDeclaration.tender_id == tender.id)))
    bids = _entrant_bids(session, tender)
    submission_ids = [b.submission_id for b in bids]
    decisions = {
        (d.submission_id, d.question_id): d
        for d in session.scalars(select(SelectionDecision).where(SelectionDecision.submission_id.in_(submission_ids)))
    }
    score_query = select(Score).where(Score.submission_id.in_(submission_ids))
    if scores_of is not None:
        score_query = score_query.where(Score.evaluator_id == scores_of)
    scores = list(session.scalars(score_query))
    moderated = {
        (m.submission_id, m.question_id): m
        for m in session.scalars(select(ModeratedScore).where(ModeratedScore.submission_id.in_(submission_ids)))
    }
    lot_evaluations = {
        row.lot_id: row for row in session.scalars(select(LotEvaluation).where(LotEvaluation.tender_id == tender.id))
    }
    results = defaultdict(list)
    if with_results:
        for row in session.scalars(
            select(LotResult)
            .join(Lot, Lot.id == LotResult.lot_id)
            .where(Lot.tender_id == tender.id)
            .order_by(LotResult.rank.is_(None), LotResult.rank, LotResult.id)
        ):
            results[row.lot_id].append(row)
    for member in members:  # the lot is one of those loaded: no query per member, and no change recorded
        set_committed_value(member, "lot", next(lot for lot in lots if lot.id == member.lot_id))
    return TenderEvaluation(
        tender, lots, questions, bids, members, declarations, decisions, scores, moderated, lot_evaluations, results
    )
