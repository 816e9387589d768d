"""Read-only queries: the providers' bid pages, and what other domains ask of
bids through signals (``receivers.py``). Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from portal.bids.models import Bid, BidAnswer, BidAttachment, BidLot, BidStatus, Submission, bid_evidence
from portal.files import StoredFile
from portal.providers.models import Evidence, Organisation
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


# --- What a submission reads ------------------------------------------------------------------
# Plain rows, not entities: a submission reads the bid once, in a few statements built once
# here, and writes with statements of its own (``submission.submit``). The shapes are those
# of the mapped classes where the shared rules read them (``policies.require_editable``,
# ``drafting.missing_items`` and ``questions_for`` read ``bid.tender``, ``bid.lots`` with
# their ``lot``, ``bid.answers`` and the tender's ``questions`` with their ``lots``), so the
# check page and the submission judge a draft by the same code.


@dataclass(frozen=True, slots=True)
class LotOfBid:
    id: int
    number: int
    title: str


@dataclass(frozen=True, slots=True)
class BidLotToSubmit:
    lot_id: int
    price_pence: int | None
    lot: LotOfBid


@dataclass(frozen=True, slots=True)
class AnswerToSubmit:
    question_id: int
    text: str | None
    yes_no: bool | None
    is_complete: bool


@dataclass(frozen=True, slots=True)
class QuestionLot:
    id: int


@dataclass(frozen=True, slots=True)
class QuestionToSubmit:
    id: int
    kind: QuestionKind
    short_title: str | None
    text: str
    word_limit: int | None
    passing_answer: bool | None
    lots: tuple[QuestionLot, ...]


@dataclass(frozen=True, slots=True)
class TenderToSubmit:
    id: int
    reference: str
    title: str
    status: TenderStatus
    submission_deadline: datetime | None
    questions: tuple[QuestionToSubmit, ...]


@dataclass(frozen=True, slots=True)
class OrganisationName:
    name: str


@dataclass(slots=True)
class BidToSubmit:
    """A bid as a submission reads it, fresh under its lock (see ``bid_to_submit``).

    ``status`` and ``submitted_at`` are moved by ``BID_STATES`` like a mapped bid's, then
    written by the submission's own statement. ``latest_version`` is the newest submitted
    version (0 for none); ``current_submission_id`` the submission made from ``revision``,
    if there is one. ``attachments`` and ``evidence`` are rows of what the snapshot keeps
    of the files (by hash), in the order it lists them."""

    __tablename__ = "bid"  # what the audit trail calls it, as it does a mapped bid

    id: int
    tender_id: int
    organisation_id: int
    status: BidStatus
    revision: int
    declarations_confirmed_at: datetime | None
    submitted_at: datetime | None
    latest_version: int
    current_submission_id: int | None
    tender: TenderToSubmit
    organisation: OrganisationName
    lots: list[BidLotToSubmit]
    answers: list[AnswerToSubmit]
    attachments: list
    evidence: list


_latest_version = select(func.coalesce(func.max(Submission.version), 0)).where(Submission.bid_id == Bid.id)
_from_revision = select(Submission.id).where(Submission.bid_id == Bid.id, Submission.from_revision == Bid.revision)

# Built once, with bound parameters: every submission runs them.
_BID_TO_SUBMIT = (
    select(
        Bid.id,
        Bid.tender_id,
        Bid.organisation_id,
        Bid.status,
        Bid.revision,
        Bid.declarations_confirmed_at,
        Bid.submitted_at,
        _latest_version.scalar_subquery().label("latest_version"),
        _from_revision.scalar_subquery().label("current_submission_id"),
        Tender.reference,
        Tender.title,
        Tender.status.label("tender_status"),
        Tender.submission_deadline,
        Organisation.name.label("organisation_name"),
    )
    .join(Tender, Tender.id == Bid.tender_id)
    .join(Organisation, Organisation.id == Bid.organisation_id)
    .where(Bid.id == bindparam("bid_id"), Bid.organisation_id == bindparam("organisation_id"))
    .with_for_update(of=Bid)
)
# The tender's questions, each with its lots (a row per lot) and this bid's answer.
_QUESTIONS_TO_SUBMIT = (
    select(
        Question.id,
        Question.kind,
        Question.short_title,
        Question.text,
        Question.word_limit,
        Question.passing_answer,
        question_lot.c.lot_id,
        BidAnswer.id.label("answer_id"),
        BidAnswer.text.label("answer_text"),
        BidAnswer.yes_no,
        BidAnswer.is_complete,
    )
    .outerjoin(question_lot, question_lot.c.question_id == Question.id)
    .outerjoin(BidAnswer, (BidAnswer.question_id == Question.id) & (BidAnswer.bid_id == bindparam("bid_id")))
    .where(Question.tender_id == bindparam("tender_id"))
    .order_by(Question.position, Question.id, question_lot.c.lot_id)
)
_LOTS_TO_SUBMIT = (
    select(BidLot.lot_id, BidLot.price_pence, Lot.number, Lot.title)
    .join(Lot, Lot.id == BidLot.lot_id)
    .where(BidLot.bid_id == bindparam("bid_id"))
    .order_by(BidLot.lot_id)
)
_ATTACHMENTS_TO_SUBMIT = (
    select(BidAttachment.title, BidAttachment.file_id, StoredFile.filename, StoredFile.sha256, StoredFile.size)
    .join(StoredFile, StoredFile.id == BidAttachment.file_id)
    .where(BidAttachment.bid_id == bindparam("bid_id"))
    .order_by(BidAttachment.id)
)
_EVIDENCE_TO_SUBMIT = (
    select(Evidence.id, Evidence.kind, Evidence.title, StoredFile.sha256, Evidence.expires_on)
    .join(bid_evidence, bid_evidence.c.evidence_id == Evidence.id)
    .join(StoredFile, StoredFile.id == Evidence.file_id)
    .where(bid_evidence.c.bid_id == bindparam("bid_id"))
    .order_by(Evidence.kind, Evidence.title)
)


def _questions_and_answers(rows) -> tuple[tuple[QuestionToSubmit, ...], list[AnswerToSubmit]]:
    questions: dict[int, tuple] = {}
    lots: dict[int, list[QuestionLot]] = {}
    answers: list[AnswerToSubmit] = []
    for row in rows:
        if row.id not in questions:
            questions[row.id] = row
            lots[row.id] = []
            if row.answer_id is not None:
                answers.append(AnswerToSubmit(row.id, row.answer_text, row.yes_no, row.is_complete))
        if row.lot_id is not None:
            lots[row.id].append(QuestionLot(row.lot_id))
    return tuple(
        QuestionToSubmit(q.id, q.kind, q.short_title, q.text, q.word_limit, q.passing_answer, tuple(lots[q.id]))
        for q in questions.values()
    ), answers


def bid_to_submit(session: Session, bid_id: int, organisation_id: int | None) -> BidToSubmit | None:
    """The bid, locked until the transaction ends (one submitter at a time), with
    everything the completeness check and the snapshot read, fresh from the
    database: its tender and organisation, its submissions' newest version and the
    one made from this revision, the tender's questions with their lots and this
    bid's answers, the lots chosen with their lot, the files and the evidence by
    hash. Five queries, whatever the number of questions, lots or files. Only a
    bid of ``organisation_id`` is read (None otherwise), so a request for another
    organisation's bid locks nothing.

    ``FOR UPDATE OF bid`` locks the bid's row only: the tender is not ours to
    lock. SQLite has no row locks (it has one writer at a time instead, and the
    submission's unique revision decides a race).
    """
    row = session.execute(_BID_TO_SUBMIT, {"bid_id": bid_id, "organisation_id": organisation_id}).first()
    if row is None:
        return None
    ids = {"bid_id": bid_id, "tender_id": row.tender_id}
    questions, answers = _questions_and_answers(session.execute(_QUESTIONS_TO_SUBMIT, ids))
    lots = [
        BidLotToSubmit(r.lot_id, r.price_pence, LotOfBid(r.lot_id, r.number, r.title))
        for r in session.execute(_LOTS_TO_SUBMIT, ids)
    ]
    bid = BidToSubmit(
        id=row.id,
        tender_id=row.tender_id,
        organisation_id=row.organisation_id,
        status=row.status,
        revision=row.revision,
        declarations_confirmed_at=row.declarations_confirmed_at,
        submitted_at=row.submitted_at,
        latest_version=row.latest_version,
        current_submission_id=row.current_submission_id,
        tender=TenderToSubmit(
            row.tender_id, row.reference, row.title, row.tender_status, row.submission_deadline, questions
        ),
        organisation=OrganisationName(row.organisation_name),
        lots=lots,
        answers=answers,
        attachments=session.execute(_ATTACHMENTS_TO_SUBMIT, ids).all(),
        evidence=session.execute(_EVIDENCE_TO_SUBMIT, ids).all(),
    )
    session.info[_LOCKED] = (session.get_transaction(), bid)
    return bid


_LOCKED = "bids.locked_for_submission"


def is_loaded_to_submit(session: Session, bid) -> bool:
    """``bid`` is what ``bid_to_submit`` read in the current transaction (so it is
    locked and fresh, and need not be read again)."""
    transaction, loaded = session.info.get(_LOCKED, (None, None))
    return loaded is bid and transaction is not None and transaction is session.get_transaction()


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


def earlier_answers(session: Session, bid: Bid, limit: int = 20) -> list[dict]:
    """Quality answers this organisation gave in its other bids, newest first,
    to copy in instead of retyping."""
    rows = session.execute(
        select(BidAnswer.text, Question.text, Tender.title, BidAnswer.updated_at)
        .join(Bid, BidAnswer.bid_id == Bid.id)
        .join(Question, BidAnswer.question_id == Question.id)
        .join(Tender, Bid.tender_id == Tender.id)
        .where(
            Bid.organisation_id == bid.organisation_id,
            Bid.id != bid.id,
            BidAnswer.text.is_not(None),
            BidAnswer.text != "",
        )
        .order_by(BidAnswer.updated_at.desc())
        .limit(limit)
    ).all()
    return [{"text": text, "question": question, "tender": tender} for text, question, tender, _ in rows]


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
