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

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from portal.accounts.models import User
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
    panel_member_question,
)
from portal.providers.models import Organisation
from portal.tenders.models import Lot, Question, QuestionKind, Tender, question_lot

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

    @cached_property
    def _quality_questions(self) -> dict[int, list[Question]]:
        return {}

    def quality_questions(self, lot: Lot) -> list[Question]:
        """The quality questions that count in ``lot`` (those for every lot, and those for it)."""
        found = self._quality_questions.get(lot.id)
        if found is None:
            found = self._quality_questions[lot.id] = [
                q
                for q in self.questions
                if q.kind is QuestionKind.QUALITY and (not q.lots or any(x.id == lot.id for x in q.lots))
            ]
        return list(found)

    @cached_property
    def _numbers(self) -> dict[int, int]:
        return {q.id: i for i, q in enumerate(self.questions, start=1)}

    def question_number(self, question: Question) -> int:
        return self._numbers[question.id]

    def lot(self, lot_id: int) -> Lot | None:
        return next((lot for lot in self.lots if lot.id == lot_id), None)

    def bid(self, bid_id: int) -> EntrantBid | None:
        return next((b for b in self.bids if b.bid_id == bid_id), None)

    # --- Selection (pass or fail) ---------------------------------------------------------------

    @cached_property
    def _selections(self) -> dict[int, Selection]:
        return {}

    def selection(self, bid: EntrantBid) -> Selection:
        """Marked from the submitted answers; a failure counts once an officer upholds it,
        and holds the bid back until an officer decides it. Marked once per bid (pages ask
        it of each bid many times; nothing changes the loaded decisions)."""
        marked = self._selections.get(bid.submission_id)
        if marked is None:
            marked = self._selections[bid.submission_id] = self._select(bid)
        return marked

    def _select(self, bid: EntrantBid) -> Selection:
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

    @cached_property
    def _going_forward(self) -> dict[int, list[EntrantBid]]:
        return {}

    def bids_going_forward(self, lot: Lot) -> list[EntrantBid]:
        going = self._going_forward.get(lot.id)
        if going is None:
            going = self._going_forward[lot.id] = [b for b in self.bids_in(lot) if self.selection(b).status == PASSED]
        return list(going)

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

    @cached_property
    def _has_declared(self) -> dict[int, bool]:
        return {}

    def has_declared(self, user_id: int) -> bool:
        """A declaration about every organisation that bid (made after the opening, when they are known)."""
        answer = self._has_declared.get(user_id)
        if answer is None:
            declared = self._declared.get(user_id, {})
            answer = self._has_declared[user_id] = all(org_id in declared for org_id, _ in self.bidding_organisations)
        return answer

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
            for s in self._scores_by_answer.get((bid.submission_id, question.id), [])
            if not self.is_conflicted(s.evaluator_id, bid.organisation_id)
        ]

    @cached_property
    def _scores_by_answer(self) -> dict[tuple[int, int], list[Score]]:
        by_answer = defaultdict(list)
        for s in self.scores:
            by_answer[(s.submission_id, s.question_id)].append(s)
        return by_answer

    def scored_count(self, member: PanelMember) -> int:
        return sum(1 for bid, q in self.assignments(member) if self.score_of(member.user_id, bid, q))

    def status_of(self, lot: Lot) -> LotEvaluationStatus:
        row = self.lot_evaluations.get(lot.id)
        return row.status if row else LotEvaluationStatus.SCORING

    def answers_to_moderate(self, lot: Lot) -> list[tuple[EntrantBid, Question]]:
        return [(bid, q) for bid in self.bids_going_forward(lot) for q in self.quality_questions(lot)]

    def moderated_score(self, bid: EntrantBid, question: Question) -> ModeratedScore | None:
        return self.moderated.get((bid.submission_id, question.id))


# ``load``'s statements are built once, with their parameters bound at each request:
# building a statement costs more than running it.
_NEWEST = (
    select(Submission.bid_id, func.max(Submission.version).label("version"))
    .join(Bid, Bid.id == Submission.bid_id)
    .where(Bid.tender_id == bindparam("tender_id"))
    .group_by(Submission.bid_id)
    .subquery()
)
_BIDS = (
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
    .join(_NEWEST, _NEWEST.c.bid_id == Bid.id)
    .join(Submission, (Submission.bid_id == Bid.id) & (Submission.version == _NEWEST.c.version))
    .where(Bid.tender_id == bindparam("tender_id"), Bid.status == BidStatus.SUBMITTED)
    .order_by(func.lower(Organisation.name), Bid.id)
)
_LOTS = (  # with each lot's evaluation row, if it has one
    select(Lot, LotEvaluation)
    .outerjoin(LotEvaluation, LotEvaluation.lot_id == Lot.id)
    .where(Lot.tender_id == bindparam("tender_id"))
    .order_by(Lot.number)
)
_QUESTIONS = (  # a row for each lot a question is for (one row, with no lot, if it is for every lot)
    select(Question, question_lot.c.lot_id)
    .outerjoin(question_lot, question_lot.c.question_id == Question.id)
    .where(Question.tender_id == bindparam("tender_id"))
    .order_by(Question.position, Question.id)
)
_MEMBERS = (  # a row for each question a member is given (one row, with none, if they score every question)
    select(PanelMember, User, panel_member_question.c.question_id)
    .join(User, User.id == PanelMember.user_id)
    .outerjoin(panel_member_question, panel_member_question.c.panel_member_id == PanelMember.id)
    .where(PanelMember.tender_id == bindparam("tender_id"))
    .order_by(PanelMember.id)
)
_DECLARATIONS = select(ConflictDeclaration).where(ConflictDeclaration.tender_id == bindparam("tender_id"))
_SUBMISSIONS = bindparam("submission_ids", expanding=True)
_DECISIONS = select(SelectionDecision).where(SelectionDecision.submission_id.in_(_SUBMISSIONS))
_SCORES = select(Score).where(Score.submission_id.in_(_SUBMISSIONS))
_SCORES_OF = _SCORES.where(Score.evaluator_id == bindparam("evaluator_id"))
_MODERATED = select(ModeratedScore).where(ModeratedScore.submission_id.in_(_SUBMISSIONS))
_RESULTS = (
    select(LotResult)
    .join(Lot, Lot.id == LotResult.lot_id)
    .where(Lot.tender_id == bindparam("tender_id"))
    .order_by(LotResult.rank.is_(None), LotResult.rank, LotResult.id)
)


def _entrant_bids(session: Session, tender: Tender) -> list[EntrantBid]:
    return [EntrantBid(*row) for row in session.execute(_BIDS, {"tender_id": tender.id})]


def _set_loaded(obj, key: str, value) -> None:
    """``value`` as the relationship loaded from the database (as an eager load would,
    it leaves a relationship already loaded in the session as it is)."""
    if key not in obj.__dict__:
        set_committed_value(obj, key, value)


def load(
    session: Session,
    tender: Tender,
    *,
    scores_of: int | None = None,
    with_results: bool = False,
    read_only: bool = False,
):
    """The tender's evaluation. ``scores_of`` (an evaluator's user id) loads only that
    evaluator's scores, and no moderated scores; None loads everyone's, for officers only.
    ``read_only`` reads plain rows in place of entities (lots, questions, members,
    declarations, decisions, scores, results), for pages that change nothing: faster, with
    the same attributes, and the same rule on whose scores are read."""
    if read_only:
        return _load_rows(session, tender, scores_of, with_results)
    by_tender = {"tender_id": tender.id}
    lots, lot_evaluations = [], {}
    for lot, lot_evaluation in session.execute(_LOTS, by_tender):
        lots.append(lot)
        if lot_evaluation is not None:
            lot_evaluations[lot.id] = lot_evaluation
    lot_by_id = {lot.id: lot for lot in lots}
    questions, lots_of = [], defaultdict(set)
    for question, lot_id in session.execute(_QUESTIONS, by_tender):
        if not questions or questions[-1] is not question:
            questions.append(question)
        if lot_id is not None:
            lots_of[question.id].add(lot_id)
    for q in questions:  # in lot number order, as the relationship orders them
        _set_loaded(q, "lots", [lot for lot in lots if lot.id in lots_of[q.id]])
    members, questions_of = [], defaultdict(set)
    for member, user, question_id in session.execute(_MEMBERS, by_tender):
        if not members or members[-1] is not member:
            members.append(member)
            _set_loaded(member, "user", user)
        if question_id is not None:
            questions_of[member.id].add(question_id)
    for member in members:  # in position order, as the relationship orders them
        _set_loaded(member, "questions", [q for q in questions if q.id in questions_of[member.id]])
        # the lot is one of those loaded: no query per member, and no change recorded
        set_committed_value(member, "lot", lot_by_id[member.lot_id])
    declarations = list(session.scalars(_DECLARATIONS, by_tender))
    bids = _entrant_bids(session, tender)
    by_submission = {"submission_ids": [b.submission_id for b in bids]}
    decisions = {(d.submission_id, d.question_id): d for d in session.scalars(_DECISIONS, by_submission)}
    if scores_of is None:
        scores = list(session.scalars(_SCORES, by_submission))
    else:
        scores = list(session.scalars(_SCORES_OF, {**by_submission, "evaluator_id": scores_of}))
    moderated = {}
    if scores_of is None:  # agreed from everyone's scores: not for an evaluator's eyes either
        moderated = {(m.submission_id, m.question_id): m for m in session.scalars(_MODERATED, by_submission)}
    results = defaultdict(list)
    if with_results:
        for row in session.scalars(_RESULTS, by_tender):
            results[row.lot_id].append(row)
    return TenderEvaluation(
        tender, lots, questions, bids, members, declarations, decisions, scores, moderated, lot_evaluations, results
    )


# --- Read-only: the pages' rows ---------------------------------------------------------------
#
# The progress, moderation and evaluator's lot pages change nothing, so ``load(read_only=True)``
# reads plain rows (with the attribute names of the entities they stand for) instead of
# entities: loading entities costs more than running the statements. Services are given
# entities, which they may change.


class _Question:
    """A question as the pages read it."""

    __slots__ = ("id", "kind", "lots", "minimum_score", "passing_answer", "position", "text", "weight")

    def __init__(self, id, kind, position, text, weight, minimum_score, passing_answer):
        self.id, self.kind, self.position, self.text = id, kind, position, text
        self.weight, self.minimum_score, self.passing_answer = weight, minimum_score, passing_answer
        self.lots = []


class _Named:
    """A panel member's user: the name the pages show."""

    __slots__ = ("full_name", "id")

    def __init__(self, id, full_name):
        self.id, self.full_name = id, full_name


class _Member:
    """A panel member as the pages read it, with their user, lot and questions."""

    __slots__ = ("id", "lot", "lot_id", "questions", "role", "submitted_at", "user", "user_id")

    def __init__(self, id, lot_id, user_id, role, submitted_at, user, lot):
        self.id, self.lot_id, self.user_id, self.role, self.submitted_at = id, lot_id, user_id, role, submitted_at
        self.user, self.lot, self.questions = user, lot, []


_tender = Tender.__table__
# What the read-only pages, the policies and the blockers read of the tender (not its long texts)
TENDER_SHOWN = (
    _tender.c.id,
    _tender.c.reference,
    _tender.c.title,
    _tender.c.status,
    _tender.c.evaluation_started_at,
    _tender.c.contract_start_date,
    _tender.c.decision_id,
    _tender.c.quality_weight,
    _tender.c.price_weight,
    _tender.c.minimum_quality_score,
    _tender.c.tie_break,
)
_TENDER_ROW = select(*TENDER_SHOWN).where(_tender.c.id == bindparam("tender_id"))


def tender_row(session: Session, tender_id: int):
    """The tender as a row of the columns ``TENDER_SHOWN`` (None if there is none), for a page
    that changes nothing: the attributes of a Tender the pages and the policies read, not its
    relationships."""
    return session.connection().execute(_TENDER_ROW, {"tender_id": tender_id}).one_or_none()


_lot, _lot_evaluation, _question = Lot.__table__, LotEvaluation.__table__, Question.__table__
_member, _user = PanelMember.__table__, User.__table__
_bid, _organisation, _submission = Bid.__table__, Organisation.__table__, Submission.__table__
_LOT_ROWS = (  # a lot's status is None until its evaluation has a row
    select(_lot.c.id, _lot.c.tender_id, _lot.c.number, _lot.c.title, _lot.c.max_providers, _lot_evaluation.c.status)
    .outerjoin(_lot_evaluation, _lot_evaluation.c.lot_id == _lot.c.id)
    .where(_lot.c.tender_id == bindparam("tender_id"))
    .order_by(_lot.c.number)
)
_QUESTION_ROWS = (
    select(
        _question.c.id,
        _question.c.kind,
        _question.c.position,
        _question.c.text,
        _question.c.weight,
        _question.c.minimum_score,
        _question.c.passing_answer,
        question_lot.c.lot_id,
    )
    .outerjoin(question_lot, question_lot.c.question_id == _question.c.id)
    .where(_question.c.tender_id == bindparam("tender_id"))
    .order_by(_question.c.position, _question.c.id)
)
_MEMBER_ROWS = (
    select(
        _member.c.id,
        _member.c.lot_id,
        _member.c.user_id,
        _member.c.role,
        _member.c.submitted_at,
        _user.c.full_name,
        panel_member_question.c.question_id,
    )
    .join(_user, _user.c.id == _member.c.user_id)
    .outerjoin(panel_member_question, panel_member_question.c.panel_member_id == _member.c.id)
    .where(_member.c.tender_id == bindparam("tender_id"))
    .order_by(_member.c.id)
)
_DECLARATION_ROWS = select(ConflictDeclaration.__table__).where(
    ConflictDeclaration.__table__.c.tender_id == bindparam("tender_id")
)
_newest = (
    select(_submission.c.bid_id, func.max(_submission.c.version).label("version"))
    .join(_bid, _bid.c.id == _submission.c.bid_id)
    .where(_bid.c.tender_id == bindparam("tender_id"))
    .group_by(_submission.c.bid_id)
    .subquery()
)
_BID_ROWS = (
    select(
        _bid.c.id,
        _bid.c.organisation_id,
        _organisation.c.name,
        _submission.c.id,
        _submission.c.sha256,
        _submission.c.submitted_at,
        _submission.c.content,
    )
    .join(_organisation, _organisation.c.id == _bid.c.organisation_id)
    .join(_newest, _newest.c.bid_id == _bid.c.id)
    .join(_submission, (_submission.c.bid_id == _bid.c.id) & (_submission.c.version == _newest.c.version))
    .where(_bid.c.tender_id == bindparam("tender_id"), _bid.c.status == BidStatus.SUBMITTED)
    .order_by(func.lower(_organisation.c.name), _bid.c.id)
)
_decision, _score, _moderated = SelectionDecision.__table__, Score.__table__, ModeratedScore.__table__
_DECISION_ROWS = select(_decision).where(_decision.c.submission_id.in_(_SUBMISSIONS))
_SCORE_ROWS = select(_score).where(_score.c.submission_id.in_(_SUBMISSIONS))
_SCORE_ROWS_OF = _SCORE_ROWS.where(_score.c.evaluator_id == bindparam("evaluator_id"))
_MODERATED_ROWS = select(_moderated).where(_moderated.c.submission_id.in_(_SUBMISSIONS))
_RESULT_ROWS = (
    select(LotResult.__table__)
    .join(_lot, _lot.c.id == LotResult.__table__.c.lot_id)
    .where(_lot.c.tender_id == bindparam("tender_id"))
    .order_by(LotResult.__table__.c.rank.is_(None), LotResult.__table__.c.rank, LotResult.__table__.c.id)
)


def _load_rows(session: Session, tender: Tender, scores_of: int | None, with_results: bool) -> TenderEvaluation:
    """``load`` as rows: the same statements, read without entities (on the session's
    connection: a Core statement needs nothing of the session but its transaction)."""
    by_tender = {"tender_id": tender.id}
    connection = session.connection()
    lots = connection.execute(_LOT_ROWS, by_tender).all()
    lot_evaluations = {lot.id: lot for lot in lots if lot.status is not None}  # what status_of asks: .status
    lot_by_id = {lot.id: lot for lot in lots}
    questions, by_id = [], {}
    for question_id, kind, position, text, weight, minimum_score, passing_answer, lot_id in connection.execute(
        _QUESTION_ROWS, by_tender
    ):
        question = by_id.get(question_id)
        if question is None:
            question = by_id[question_id] = _Question(
                question_id, kind, position, text, weight, minimum_score, passing_answer
            )
            questions.append(question)
        if lot_id is not None:
            question.lots.append(lot_id)
    for question in questions:  # in lot number order, as the relationship orders them
        if question.lots:
            ids = set(question.lots)
            question.lots = [lot for lot in lots if lot.id in ids]
    members, member_by_id = [], {}
    for member_id, lot_id, user_id, role, submitted_at, full_name, question_id in connection.execute(
        _MEMBER_ROWS, by_tender
    ):
        member = member_by_id.get(member_id)
        if member is None:
            member = member_by_id[member_id] = _Member(
                member_id, lot_id, user_id, role, submitted_at, _Named(user_id, full_name), lot_by_id[lot_id]
            )
            members.append(member)
        if question_id is not None:
            member.questions.append(question_id)
    for member in members:  # in position order, as the relationship orders them
        if member.questions:
            ids = set(member.questions)
            member.questions = [q for q in questions if q.id in ids]
    declarations = connection.execute(_DECLARATION_ROWS, by_tender).all()
    bids = [EntrantBid(*row) for row in connection.execute(_BID_ROWS, by_tender)]
    by_submission = {"submission_ids": [b.submission_id for b in bids]}
    decisions = {(d.submission_id, d.question_id): d for d in connection.execute(_DECISION_ROWS, by_submission)}
    if scores_of is None:
        scores = connection.execute(_SCORE_ROWS, by_submission).all()
    else:
        scores = connection.execute(_SCORE_ROWS_OF, {**by_submission, "evaluator_id": scores_of}).all()
    moderated = {}
    if scores_of is None:  # agreed from everyone's scores: not for an evaluator's eyes either
        moderated = {(m.submission_id, m.question_id): m for m in connection.execute(_MODERATED_ROWS, by_submission)}
    results = defaultdict(list)
    if with_results:
        for row in connection.execute(_RESULT_ROWS, by_tender):
            results[row.lot_id].append(row)
    return TenderEvaluation(
        tender, lots, questions, bids, members, declarations, decisions, scores, moderated, lot_evaluations, results
    )
