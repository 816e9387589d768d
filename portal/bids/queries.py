"""Read-only queries: the providers' bid pages, and what other domains ask of
bids through signals (``receivers.py``). Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from portal.accounts.models import User
from portal.bids.models import Bid, BidAnswer, BidAttachment, BidLot, BidStatus, Submission, bid_evidence
from portal.providers.models import Evidence
from portal.tenders.models import Lot, Question, QuestionKind, Tender, TenderStatus, question_lot


def bid_for_pages(session: Session, bid_id: int) -> Bid | None:
    """A bid with everything its provider's pages show, in a fixed number of
    queries whatever the number of files, lots or questions: files, lots, the
    tender's questions with their lots, and the submissions without their
    (large) content, which these pages never show."""
    return session.get(
        Bid,
        bid_id,
        options=[
            selectinload(Bid.attachments).joinedload(BidAttachment.file),
            selectinload(Bid.lots).joinedload(BidLot.lot),
            joinedload(Bid.tender).selectinload(Tender.questions).selectinload(Question.lots),
            selectinload(Bid.submissions).defer(Submission.content),
        ],
    )


# Built once, with a bound parameter: every question page runs it, and its loader options
# cost more to build than the queries take to run.
_BID_FOR_QUESTION_PAGE = (
    select(Bid)
    .where(Bid.id == bindparam("bid_id"))
    .options(
        joinedload(Bid.tender)
        .selectinload(Tender.questions)
        .selectinload(Question.lots)
        .load_only(Lot.id, Lot.number, Lot.tender_id),
        selectinload(Bid.lots),
    )
)


def bid_for_question_page(session: Session, bid_id: int) -> Bid | None:
    """The bid with what its question pages read, in three queries: its tender, the
    tender's questions with their lots' numbers, and the lots chosen (its files and
    submissions, which these pages never show, load only if a save needs them)."""
    return session.scalars(_BID_FOR_QUESTION_PAGE, {"bid_id": bid_id}).one_or_none()


# Built once: every submission runs it, and a statement with six loader options costs more
# to build and to key for the compiled-SQL cache than to run.
_BID_TO_SUBMIT = (
    select(Bid)
    .where(Bid.id == bindparam("bid_id"), Bid.organisation_id == bindparam("organisation_id"))
    .options(
        joinedload(Bid.tender, innerjoin=True).selectinload(Tender.questions).selectinload(Question.lots),
        joinedload(Bid.organisation, innerjoin=True),
        selectinload(Bid.lots).joinedload(BidLot.lot, innerjoin=True),
        selectinload(Bid.answers),
        selectinload(Bid.attachments).joinedload(BidAttachment.file, innerjoin=True),
        selectinload(Bid.submissions).defer(Submission.content),
    )
    .with_for_update(of=Bid)
    .execution_options(populate_existing=True)
)


def bid_to_submit(session: Session, bid_id: int, organisation_id: int | None) -> Bid | None:
    """The bid, locked until the transaction ends (one submitter at a time),
    with everything the completeness check and the snapshot read, fresh from
    the database (``populate_existing``: a colleague may have changed it since
    the request loaded it): its tender and organisation, lots with their lot,
    answers, files, the tender's questions with their lots, and its
    submissions without their content (for the version and the revision they
    came from). Seven queries, whatever the number of questions, lots or files.
    Only a bid of ``organisation_id`` is read (None otherwise), so a request for
    another organisation's bid locks nothing.

    ``FOR UPDATE OF bid`` locks the bid's row only: PostgreSQL cannot lock the
    rows of a joined table that may be missing, and the tender is not ours to
    lock. SQLite has no row locks (it has one writer at a time instead).
    """
    bid = session.scalars(_BID_TO_SUBMIT, {"bid_id": bid_id, "organisation_id": organisation_id}).one_or_none()
    if bid is not None:
        session.info[_LOCKED] = (session.get_transaction(), bid_id)
    return bid


_LOCKED = "bids.locked_for_submission"


def is_loaded_to_submit(session: Session, bid: Bid) -> bool:
    """``bid_to_submit`` has read this bid already in the current transaction
    (so it is locked and fresh, and need not be read again)."""
    transaction, bid_id = session.info.get(_LOCKED, (None, None))
    return bid_id == bid.id and transaction is not None and transaction is session.get_transaction()


# Built once, with a bound parameter: the provider's home and bids pages run it on every visit.
_ORGANISATION_BIDS = (
    select(Bid)
    .join(Bid.tender)
    .options(contains_eager(Bid.tender), joinedload(Bid.submissions).defer(Submission.content))
    .where(Bid.organisation_id == bindparam("organisation_id"))
    .order_by(Tender.submission_deadline, Bid.id)
)


def organisation_bids(session: Session, organisation_id: int | None, now: datetime) -> list[Bid]:
    """The organisation's bids with their tender and submissions, in one query:
    open ones first, soonest deadline first; then closed ones, latest first."""
    if organisation_id is None:
        return []
    bids = list(session.scalars(_ORGANISATION_BIDS, {"organisation_id": organisation_id}).unique())
    is_open = [b for b in bids if b.tender.submission_deadline is None or now < b.tender.submission_deadline]
    closed = [b for b in bids if b not in is_open]
    return is_open + closed[::-1]


def answers_by_question(session: Session, bid: Bid) -> dict[int, BidAnswer]:
    return {a.question_id: a for a in session.scalars(select(BidAnswer).where(BidAnswer.bid_id == bid.id))}


def chosen_evidence(session: Session, bid: Bid) -> list[Evidence]:
    """The organisation's QA evidence this bid refers to, with its files (one query)."""
    return list(
        session.scalars(
            select(Evidence)
            .join(bid_evidence, bid_evidence.c.evidence_id == Evidence.id)
            .options(joinedload(Evidence.file, innerjoin=True))
            .where(bid_evidence.c.bid_id == bid.id)
            .order_by(Evidence.kind, Evidence.title)
        )
    )


def evidence_to_choose(session: Session, bid: Bid) -> list[Evidence]:
    """The organisation's current QA evidence, that the bid may refer to."""
    return list(
        session.scalars(
            select(Evidence)
            .where(Evidence.organisation_id == bid.organisation_id, Evidence.archived_at.is_(None))
            .order_by(Evidence.kind, Evidence.title)
        )
    )


# --- The question page, as columns ------------------------------------------------------------------
# Drawing a question page reads a handful of columns of the bid, its tender, the question and
# its answer: read as rows by statements built once, not as the bid's entities and relationships
# (loading those cost more than the rest of the page). Saving an answer still loads the bid
# (``bid_for_question_page``): the services work on entities.

_bid, _tender, _question, _answer = Bid.__table__, Tender.__table__, Question.__table__, BidAnswer.__table__
_user, _lot = User.__table__, Lot.__table__

_QUESTION_PAGE = (
    select(
        _bid.c.organisation_id,
        _tender.c.status,
        _tender.c.submission_deadline,
        _tender.c.quality_weight,
        _tender.c.price_weight,
        _tender.c.score_descriptors,
        _question.c.id.label("question_id"),
        _question.c.kind,
        _question.c.short_title,
        _question.c.text,
        _question.c.guidance,
        _question.c.word_limit,
        _question.c.weight,
        _question.c.passing_answer,
        _question.c.minimum_score,
        _answer.c.id.label("answer_id"),
        _answer.c.text.label("answer_text"),
        _answer.c.yes_no,
        _answer.c.is_complete,
        _answer.c.version,
        _answer.c.updated_by_id,
        _answer.c.updated_at,
        _user.c.full_name.label("saved_by"),
    )
    .select_from(_bid)
    .join(_tender, _tender.c.id == _bid.c.tender_id)
    .outerjoin(_question, and_(_question.c.tender_id == _tender.c.id, _question.c.id == bindparam("question_id")))
    .outerjoin(_answer, and_(_answer.c.bid_id == _bid.c.id, _answer.c.question_id == _question.c.id))
    .outerjoin(_user, _user.c.id == _answer.c.updated_by_id)
    .where(_bid.c.id == bindparam("bid_id"))
)

# Every question of the tender in order, with its lots and whether the bid chose each: the
# question's number among those the bid must answer (``drafting.questions_for``).
_QUESTION_LOTS = (
    select(_question.c.id, _question.c.kind, _lot.c.number, BidLot.__table__.c.lot_id.is_not(None))
    .select_from(_bid)
    .join(_question, _question.c.tender_id == _bid.c.tender_id)
    .outerjoin(question_lot, question_lot.c.question_id == _question.c.id)
    .outerjoin(_lot, _lot.c.id == question_lot.c.lot_id)
    .outerjoin(
        BidLot.__table__,
        and_(BidLot.__table__.c.bid_id == _bid.c.id, BidLot.__table__.c.lot_id == question_lot.c.lot_id),
    )
    .where(_bid.c.id == bindparam("bid_id"))
    .order_by(_question.c.position, _question.c.id, _lot.c.number)
)

_EARLIER_ANSWERS = (
    select(_answer.c.text, _question.c.text, _tender.c.title)
    .select_from(_answer)
    .join(_bid, _answer.c.bid_id == _bid.c.id)
    .join(_question, _answer.c.question_id == _question.c.id)
    .join(_tender, _bid.c.tender_id == _tender.c.id)
    .where(
        _bid.c.organisation_id == bindparam("organisation_id"),
        _bid.c.id != bindparam("bid_id"),
        _answer.c.text.is_not(None),
        _answer.c.text != "",
    )
    .order_by(_answer.c.updated_at.desc())
    .limit(bindparam("limit"))
)


@dataclass(frozen=True)
class PageQuestion:
    """What a question page shows of its question (read as ``Question`` is, by ``bids.display``)."""

    id: int
    kind: QuestionKind
    short_title: str | None
    text: str
    guidance: str
    word_limit: int | None
    weight: int
    passing_answer: bool | None
    minimum_score: int | None
    lot_numbers: list[int]  # the lots it is asked for (none: every lot)


@dataclass(frozen=True)
class PageAnswer:
    """The saved answer as the page shows it (read as ``BidAnswer`` is, by ``bids.display``)."""

    text: str | None
    yes_no: bool | None
    is_complete: bool
    version: int
    updated_at: datetime
    saved_by: str | None  # the name of who saved it last


@dataclass(frozen=True)
class QuestionPage:
    """Everything a question page shows but the form, for a bid of ``organisation_id``."""

    bid_id: int
    organisation_id: int
    status: TenderStatus
    submission_deadline: datetime | None
    quality_weight: int
    price_weight: int
    score_descriptors: dict
    question: PageQuestion | None  # None: the question is not one of the tender's
    answer: PageAnswer | None
    number: int | None  # the question's number among those the bid must answer
    total: int


def question_page(session: Session, bid_id: int, question_id: int) -> QuestionPage | None:
    """The question page of a bid in two queries (the bid, tender, question and its answer
    with who saved it; then the tender's questions with their lots, for the question's number),
    or None where there is no such bid. Its ``question`` is None (and nothing more is read)
    where the question is not one of the bid's tender's: the caller refuses it."""
    row = session.execute(_QUESTION_PAGE, {"bid_id": bid_id, "question_id": question_id}).first()
    if row is None:
        return None
    if row.question_id is None:
        return QuestionPage(
            bid_id,
            row.organisation_id,
            row.status,
            row.submission_deadline,
            row.quality_weight,
            row.price_weight,
            row.score_descriptors,
            question=None,
            answer=None,
            number=None,
            total=0,
        )
    lots: dict[int, list[int]] = {}
    kinds: dict[int, QuestionKind] = {}
    chosen: set[int] = set()
    for q_id, kind, lot_number, is_chosen in session.execute(_QUESTION_LOTS, {"bid_id": bid_id}):
        kinds[q_id] = kind
        numbers = lots.setdefault(q_id, [])
        if lot_number is not None:
            numbers.append(lot_number)
        if is_chosen:
            chosen.add(q_id)
    # As ``drafting.questions_for``: every selection question, and the quality questions for a lot
    # chosen or for every lot.
    asked = [q for q, kind in kinds.items() if kind is QuestionKind.PASS_FAIL or not lots[q] or q in chosen]
    number = asked.index(question_id) + 1 if question_id in asked else None
    question = PageQuestion(
        id=question_id,
        kind=row.kind,
        short_title=row.short_title,
        text=row.text,
        guidance=row.guidance,
        word_limit=row.word_limit,
        weight=row.weight,
        passing_answer=row.passing_answer,
        minimum_score=row.minimum_score,
        lot_numbers=lots.get(question_id, []),
    )
    answer = (
        None
        if row.answer_id is None
        else PageAnswer(row.answer_text, row.yes_no, row.is_complete, row.version, row.updated_at, row.saved_by)
    )
    return QuestionPage(
        bid_id=bid_id,
        organisation_id=row.organisation_id,
        status=row.status,
        submission_deadline=row.submission_deadline,
        quality_weight=row.quality_weight,
        price_weight=row.price_weight,
        score_descriptors=row.score_descriptors,
        question=question,
        answer=answer,
        number=number,
        total=len(asked),
    )


def earlier_answers(session: Session, organisation_id: int, bid_id: int, limit: int = 20) -> list[dict]:
    """Quality answers this organisation gave in its other bids, newest first,
    to copy in instead of retyping (one statement, built once)."""
    rows = session.execute(_EARLIER_ANSWERS, {"organisation_id": organisation_id, "bid_id": bid_id, "limit": limit})
    return [{"text": text, "question": question, "tender": tender} for text, question, tender in rows]


# --- What other domains ask (see receivers.py) --------------------------------------------------


def counts_per_lot(session: Session, tender: Tender) -> dict[int, int]:
    """How many submitted bids include each lot: all that anyone sees before opening."""
    rows = session.execute(
        select(BidLot.lot_id, func.count(Bid.id))
        .join(Bid, BidLot.bid_id == Bid.id)
        .where(Bid.tender_id == tender.id, Bid.status == BidStatus.SUBMITTED)
        .group_by(BidLot.lot_id)
    ).all()
    counts = {lot.id: 0 for lot in tender.lots}
    counts.update(dict(rows))
    return counts


def submitted_count(session: Session, tender: Tender) -> int:
    return session.scalar(
        select(func.count(Bid.id)).where(Bid.tender_id == tender.id, Bid.status == BidStatus.SUBMITTED)
    )


def own_bid(session: Session, tender: Tender, organisation_id: int | None) -> Bid | None:
    """The organisation's bid for the tender, if it has started one."""
    if organisation_id is None:
        return None
    return session.scalar(select(Bid).where(Bid.tender_id == tender.id, Bid.organisation_id == organisation_id))


def bidding_organisations(session: Session) -> set[int]:
    """Organisations with a submitted bid, for the agreements dashboard."""
    return set(session.scalars(select(Bid.organisation_id).where(Bid.status == BidStatus.SUBMITTED)))


def bid_stages(session: Session) -> dict[tuple[int, int], str]:
    """{(organisation, tender): "started" or "submitted"} for every bid not withdrawn,
    for the agreements transition dashboard. One query, whatever the size."""
    rows = session.execute(
        select(Bid.organisation_id, Bid.tender_id, Bid.status).where(Bid.status != BidStatus.WITHDRAWN)
    )
    return {
        (organisation_id, tender_id): "submitted" if status is BidStatus.SUBMITTED else "started"
        for organisation_id, tender_id, status in rows
    }
