"""Read-only queries: the providers' bid pages, and what other domains ask of
bids through signals (``receivers.py``). Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, bindparam, cast, func, literal, null, select, type_coerce, union_all
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from portal.accounts.models import User
from portal.accounts.queries import is_active_member_of
from portal.bids.models import Bid, BidAnswer, BidAttachment, BidLot, BidStatus, Submission, bid_evidence
from portal.files import StoredFile
from portal.providers.models import Evidence, EvidenceKind, Organisation
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
class FileToSubmit:
    title: str
    file_id: int
    filename: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class EvidenceToSubmit:
    id: int
    kind: EvidenceKind
    title: str
    sha256: str
    expires_on: date | None


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
    of the files (by hash), in the order it lists them. ``recipients`` are the addresses
    the receipt is emailed to (the organisation's active, verified people, in order)."""

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
    attachments: list[FileToSubmit]
    evidence: list[EvidenceToSubmit]
    recipients: list[str]


# The tables' own columns, not the mapped attributes: a statement of plain columns skips the
# ORM's compiling and reading of rows, which costs as much again as running it.
_bid_table, _tender_table, _organisation_table, _question_table, _answer_table = (
    Bid.__table__,
    Tender.__table__,
    Organisation.__table__,
    Question.__table__,
    BidAnswer.__table__,
)
_bid_lot_table, _lot_table, _attachment_table, _file_table, _evidence_table, _submission_table = (
    BidLot.__table__,
    Lot.__table__,
    BidAttachment.__table__,
    StoredFile.__table__,
    Evidence.__table__,
    Submission.__table__,
)
_bid, _tender, _organisation, _question, _answer = (
    t.c for t in (_bid_table, _tender_table, _organisation_table, _question_table, _answer_table)
)
_bid_lot, _lot, _attachment, _file, _evidence, _submission = (
    t.c for t in (_bid_lot_table, _lot_table, _attachment_table, _file_table, _evidence_table, _submission_table)
)
_account_table = User.__table__
_account = _account_table.c
_latest_version = select(func.coalesce(func.max(_submission.version), 0)).where(_submission.bid_id == _bid.id)
_from_revision = select(_submission.id).where(_submission.bid_id == _bid.id, _submission.from_revision == _bid.revision)

# Built once, with bound parameters: every submission runs them.
_BID_TO_SUBMIT = (
    select(
        _bid.id,
        _bid.tender_id,
        _bid.organisation_id,
        _bid.status,
        _bid.revision,
        _bid.declarations_confirmed_at,
        _bid.submitted_at,
        _latest_version.scalar_subquery().label("latest_version"),
        _from_revision.scalar_subquery().label("current_submission_id"),
        _tender.reference,
        _tender.title,
        _tender.status.label("tender_status"),
        _tender.submission_deadline,
        _organisation.name.label("organisation_name"),
    )
    .join(_tender_table, _tender.id == _bid.tender_id)
    .join(_organisation_table, _organisation.id == _bid.organisation_id)
    .where(_bid.id == bindparam("bid_id"), _bid.organisation_id == bindparam("organisation_id"))
    .with_for_update(of=_bid_table)
)
# Everything else a submission reads, in one statement (one round trip): a UNION ALL of
# five parts, told apart by ``part`` and in order within each by ``seq``. Each part fills
# its own columns and leaves the others NULL (the first part's cast to their type, which
# the database gives the UNION's columns, so every row is read as its column says): the
# tender's questions (a row per lot, with this bid's answer), the lots chosen, the files,
# the evidence, and the addresses the receipt goes to.
_QUESTION, _LOT, _FILE, _EVIDENCE, _RECIPIENT = 1, 2, 3, 4, 5
_DETAIL_COLUMNS = {
    "question_id": _question.id,
    "kind": _question.kind,
    "short_title": _question.short_title,
    "question_text": _question.text,
    "word_limit": _question.word_limit,
    "passing_answer": _question.passing_answer,
    "question_lot_id": question_lot.c.lot_id,
    "answer_id": _answer.id,
    "answer_text": _answer.text,
    "yes_no": _answer.yes_no,
    "is_complete": _answer.is_complete,
    "lot_id": _bid_lot.lot_id,
    "price_pence": _bid_lot.price_pence,
    "lot_number": _lot.number,
    "lot_title": _lot.title,
    "file_title": _attachment.title,
    "file_id": _attachment.file_id,
    "filename": _file.filename,
    "sha256": _file.sha256,
    "size": _file.size,
    "evidence_id": _evidence.id,
    "evidence_kind": _evidence.kind,
    "evidence_title": _evidence.title,
    "expires_on": _evidence.expires_on,
    "recipient": _account.email,
}


def _part(number: int, order_by: tuple, *, first: bool = False, **filled):
    """One part of the details: its own columns filled, every other one NULL. The first
    part's NULLs are cast to their columns' types, which PostgreSQL then gives the NULLs of
    the parts after it (a plain NULL in two parts before a typed value would be text);
    theirs are plain NULLs, which keeps the statement short enough for the driver to keep
    it parsed."""
    null_of = (lambda type_: cast(null(), type_)) if first else (lambda type_: type_coerce(null(), type_))
    columns = [
        (filled[name] if name in filled else null_of(column.type)).label(name)
        for name, column in _DETAIL_COLUMNS.items()
    ]
    return select(literal(number).label("part"), func.row_number().over(order_by=order_by).label("seq"), *columns)


_BID_DETAILS = union_all(
    _part(
        _QUESTION,
        (_question.position, _question.id, question_lot.c.lot_id),
        first=True,
        question_id=_question.id,
        kind=_question.kind,
        short_title=_question.short_title,
        question_text=_question.text,
        word_limit=_question.word_limit,
        passing_answer=_question.passing_answer,
        question_lot_id=question_lot.c.lot_id,
        answer_id=_answer.id,
        answer_text=_answer.text,
        yes_no=_answer.yes_no,
        is_complete=_answer.is_complete,
    )
    .select_from(_question_table)
    .outerjoin(question_lot, question_lot.c.question_id == _question.id)
    .outerjoin(_answer_table, (_answer.question_id == _question.id) & (_answer.bid_id == bindparam("bid_id")))
    .where(_question.tender_id == bindparam("tender_id")),
    _part(
        _LOT,
        (_bid_lot.lot_id,),
        lot_id=_bid_lot.lot_id,
        price_pence=_bid_lot.price_pence,
        lot_number=_lot.number,
        lot_title=_lot.title,
    )
    .select_from(_bid_lot_table)
    .join(_lot_table, _lot.id == _bid_lot.lot_id)
    .where(_bid_lot.bid_id == bindparam("bid_id")),
    _part(
        _FILE,
        (_attachment.id,),
        file_title=_attachment.title,
        file_id=_attachment.file_id,
        filename=_file.filename,
        sha256=_file.sha256,
        size=_file.size,
    )
    .select_from(_attachment_table)
    .join(_file_table, _file.id == _attachment.file_id)
    .where(_attachment.bid_id == bindparam("bid_id")),
    _part(
        _EVIDENCE,
        (_evidence.kind, _evidence.title),
        sha256=_file.sha256,
        evidence_id=_evidence.id,
        evidence_kind=_evidence.kind,
        evidence_title=_evidence.title,
        expires_on=_evidence.expires_on,
    )
    .select_from(_evidence_table)
    .join(bid_evidence, bid_evidence.c.evidence_id == _evidence.id)
    .join(_file_table, _file.id == _evidence.file_id)
    .where(bid_evidence.c.bid_id == bindparam("bid_id")),
    _part(_RECIPIENT, (_account.email,), recipient=_account.email)
    .select_from(_account_table)
    .where(is_active_member_of(bindparam("organisation_id"))),
).order_by("part", "seq")


@dataclass(slots=True)
class _Details:
    questions: tuple[QuestionToSubmit, ...]
    answers: list[AnswerToSubmit]
    lots: list[BidLotToSubmit]
    attachments: list[FileToSubmit]
    evidence: list[EvidenceToSubmit]
    recipients: list[str]


def _details(rows) -> _Details:
    questions: dict[int, tuple] = {}
    question_lots: dict[int, list[QuestionLot]] = {}
    answers, lots, attachments, evidence, recipients = [], [], [], [], []
    for row in rows:
        if row.part == _QUESTION:
            if row.question_id not in questions:
                questions[row.question_id] = row
                question_lots[row.question_id] = []
                if row.answer_id is not None:
                    answers.append(AnswerToSubmit(row.question_id, row.answer_text, row.yes_no, row.is_complete))
            if row.question_lot_id is not None:
                question_lots[row.question_id].append(QuestionLot(row.question_lot_id))
        elif row.part == _LOT:
            lots.append(
                BidLotToSubmit(row.lot_id, row.price_pence, LotOfBid(row.lot_id, row.lot_number, row.lot_title))
            )
        elif row.part == _FILE:
            attachments.append(FileToSubmit(row.file_title, row.file_id, row.filename, row.sha256, row.size))
        elif row.part == _RECIPIENT:
            recipients.append(row.recipient)
        else:
            evidence.append(
                EvidenceToSubmit(row.evidence_id, row.evidence_kind, row.evidence_title, row.sha256, row.expires_on)
            )
    return _Details(
        questions=tuple(
            QuestionToSubmit(
                q.question_id,
                q.kind,
                q.short_title,
                q.question_text,
                q.word_limit,
                q.passing_answer,
                tuple(question_lots[q.question_id]),
            )
            for q in questions.values()
        ),
        answers=answers,
        lots=lots,
        attachments=attachments,
        evidence=evidence,
        recipients=recipients,
    )


def bid_to_submit(session: Session, bid_id: int, organisation_id: int | None) -> BidToSubmit | None:
    """The bid, locked until the transaction ends (one submitter at a time), with
    everything the completeness check and the snapshot read, fresh from the
    database: its tender and organisation, its submissions' newest version and the
    one made from this revision; then the tender's questions with their lots and
    this bid's answers, the lots chosen with their lot, the files and the evidence
    by hash, and the organisation's people the receipt is emailed to. Two queries,
    whatever the number of questions, lots or files. Only a bid of
    ``organisation_id`` is read (None otherwise), so a request for another
    organisation's bid locks nothing.

    ``FOR UPDATE OF bid`` locks the bid's row only: the tender is not ours to
    lock. SQLite has no row locks (it has one writer at a time instead, and the
    submission's unique revision decides a race).
    """
    row = session.execute(_BID_TO_SUBMIT, {"bid_id": bid_id, "organisation_id": organisation_id}).first()
    if row is None:
        return None
    details = _details(
        session.execute(
            _BID_DETAILS, {"bid_id": bid_id, "tender_id": row.tender_id, "organisation_id": row.organisation_id}
        )
    )
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
            row.tender_id, row.reference, row.title, row.tender_status, row.submission_deadline, details.questions
        ),
        organisation=OrganisationName(row.organisation_name),
        lots=details.lots,
        answers=details.answers,
        attachments=details.attachments,
        evidence=details.evidence,
        recipients=details.recipients,
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
