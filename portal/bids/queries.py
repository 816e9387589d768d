"""Read-only queries: the providers' bid pages, and what other domains ask of
bids through signals (``receivers.py``). Nothing here writes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from portal.bids.models import Bid, BidAnswer, BidAttachment, BidLot, BidStatus, Submission, bid_evidence
from portal.providers.models import Evidence
from portal.tenders.models import Lot, Question, Tender


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
