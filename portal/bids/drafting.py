"""Preparing a bid: the draft an organisation's people share, until it is submitted.

Every change is refused if its request reached the portal at or after the
deadline (``policies.require_editable``, given that arrival as ``now`` by the
views: ``portal.arrival``) and raises the bid's ``revision``, so a
submission knows which draft it was made from. Services flush, so a unique
constraint lost to a colleague at the same moment fails here, inside a
savepoint, and the colleague's row is used instead: they never commit.

Colleagues work on one draft at the same moment, so the database decides
every race here, never a value read earlier in Python: the revision is raised
by ``revision = revision + 1``, and an answer is saved only by an
``UPDATE ... WHERE version = <the version read>`` that changes exactly one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import files
from portal.accounts.models import Role, User
from portal.audit.services import record
from portal.bids.display import fails_selection, is_answered, is_over_limit, is_written, question_title, word_count
from portal.bids.models import Bid, BidAnswer, BidAttachment, BidLot, bid_evidence
from portal.bids.policies import DeadlinePassed, require_editable
from portal.db import savepoint
from portal.errors import NotPermitted, RuleViolation
from portal.providers.models import Evidence
from portal.tenders import services as tender_services
from portal.tenders.models import Question, QuestionKind, Tender, TenderStatus

MAX_ANSWER_CHARACTERS = 50_000


def mark_changed(session: Session, bid: Bid, now: datetime) -> None:
    """A change to the draft: a submission made after it is a new version.

    The database adds one (``revision = revision + 1``, flushed now): a value
    read earlier and written back would lose a colleague's increment made at
    the same moment, and a receipt would then look current after a later
    change. The new value is read back from the row.
    """
    bid.revision = Bid.revision + 1
    bid.updated_at = now
    session.flush()
    session.refresh(bid, ["revision"])


# --- Starting ------------------------------------------------------------------------------


def start_bid(session: Session, user: User, tender: Tender, now: datetime) -> Bid:
    """Start (or return) the organisation's bid; registers interest too.

    A colleague starting the organisation's bid at the same moment is not an
    error: one bid per organisation is a unique key, and the loser gets the
    winner's bid.

    Raises:
        RuleViolation: not a provider, or the tender not open.
        DeadlinePassed: at or after the deadline.
    """
    if user.role is not Role.PROVIDER or user.organisation_id is None:
        raise RuleViolation(None, "Only providers can bid")
    if tender.status is not TenderStatus.PUBLISHED:
        raise RuleViolation(None, "This opportunity is not open for bids")
    if now >= tender.submission_deadline:
        raise DeadlinePassed(tender.submission_deadline, now)

    def existing() -> Bid | None:
        return session.scalar(
            select(Bid).where(Bid.tender_id == tender.id, Bid.organisation_id == user.organisation_id)
        )

    bid = existing()
    if bid is not None:
        return bid
    try:
        with savepoint(session):
            tender_services.register_interest(session, user, tender)
            bid = Bid(
                tender_id=tender.id,
                organisation_id=user.organisation_id,
                created_by_id=user.id,
                created_at=now,
                updated_at=now,
            )
            session.add(bid)
            session.flush()
    except IntegrityError:
        # A colleague started the organisation's bid at the same moment: use theirs.
        bid = existing()
        if bid is None:
            raise
        return bid
    record(session, user, "bid.started", bid, tender_id=tender.id)
    return bid


def choose_lots(session: Session, user: User, bid: Bid, lot_ids: list[int], now: datetime) -> None:
    """Choose the lots the bid is for; prices already given for kept lots stay.

    Raises:
        DeadlinePassed, RuleViolation: past the deadline or not open; no lots,
            or a lot of another tender (a tampered id).
    """
    require_editable(bid, now)
    lots = {lot.id: lot for lot in bid.tender.lots}
    if not lot_ids:
        raise RuleViolation("lot_ids", "Select at least one lot")
    if any(lot_id not in lots for lot_id in lot_ids):
        raise RuleViolation("lot_ids", "Select lots from this opportunity")
    kept = {bl.lot_id: bl for bl in bid.lots}
    bid.lots = [kept.get(lot_id) or BidLot(lot_id=lot_id) for lot_id in sorted(set(lot_ids))]
    mark_changed(session, bid, now)
    record(session, user, "bid.lots_chosen", bid, lot_ids=sorted(set(lot_ids)))
    session.flush()


# --- Answers ---------------------------------------------------------------------------------


@dataclass
class SaveResult:
    saved: bool
    conflict_text: str | None = None  # the colleague's newer text, when it conflicts
    version: int = 0


def question_of(bid: Bid, question_id: int) -> Question:
    """The tender's question with this id.

    Raises:
        NotPermitted: the question is not part of this bid's tender (a tampered id).
    """
    for question in bid.tender.questions:
        if question.id == question_id:
            return question
    raise NotPermitted()


def _check_answer(question: Question, text: str | None, yes_no: bool | None, complete: bool) -> str | None:
    """The answer as it will be kept (line endings made one), or a RuleViolation.

    An answer saved to come back to later may be over the word limit (it is
    kept, not thrown away, and shows "In progress" until it is shortened)."""
    if question.kind is QuestionKind.QUALITY:
        text = (text or "").replace("\r\n", "\n")
        if len(text) > MAX_ANSWER_CHARACTERS:
            raise RuleViolation("answer", "Your answer must be 50,000 characters or fewer")
        words = word_count(text)
        if complete and question.word_limit and words > question.word_limit:
            raise RuleViolation(
                "answer", f"Your answer is {words:,} words: it must be {question.word_limit:,} words or fewer"
            )
    elif yes_no is None:
        raise RuleViolation("answer", "Select yes or no")
    return text


def _written(
    question: Question, text: str | None, yes_no: bool | None, complete: bool, user: User, now: datetime
) -> dict:
    """The columns a save writes (besides the version)."""
    return {
        "text": text if question.kind is QuestionKind.QUALITY else None,
        "yes_no": yes_no if question.kind is QuestionKind.PASS_FAIL else None,
        "is_complete": complete,
        "updated_by_id": user.id,
        "updated_at": now,
    }


def _says_the_same(question: Question, answer: BidAnswer, text: str | None, yes_no: bool | None) -> bool:
    return answer.text == text if question.kind is QuestionKind.QUALITY else answer.yes_no == yes_no


def _conflict(question: Question, answer: BidAnswer) -> SaveResult:
    theirs = answer.text if question.kind is QuestionKind.QUALITY else ("Yes" if answer.yes_no else "No")
    return SaveResult(False, theirs, answer.version)


def save_answer(
    session: Session,
    user: User,
    bid: Bid,
    question: Question,
    text: str | None,
    yes_no: bool | None,
    base_version: int,
    now: datetime,
    force: bool = False,
    complete: bool = True,
) -> SaveResult:
    """Save one answer to the draft: done (``complete``, "Save and continue"),
    or partly written, to come back to later (then it may be over the word
    limit, and the bid cannot be submitted until it is saved as done).

    If a colleague saved a different answer since this one was loaded
    (``base_version`` is older), nothing is overwritten: the result carries
    their text so both can be shown. ``force`` saves over the version read
    here on purpose. A colleague saving the *first* answer to the question at
    the same moment wins the unique key, and one saving over the same version
    at the same moment wins the conditional update: either way this save is
    then judged against their answer, so it is a conflict, never a silent loss.

    Raises:
        DeadlinePassed, RuleViolation: past the deadline, not open, over the word
            limit, too long, or a pass or fail answer missing.
    """
    require_editable(bid, now)
    text = _check_answer(question, text, yes_no, complete)

    def saved_answer() -> BidAnswer | None:
        return session.scalar(
            select(BidAnswer)
            .where(BidAnswer.bid_id == bid.id, BidAnswer.question_id == question.id)
            .execution_options(populate_existing=True)
        )

    answer = saved_answer()
    if answer is None:
        try:
            with savepoint(session):
                answer = BidAnswer(
                    bid_id=bid.id,
                    question_id=question.id,
                    version=1,
                    **_written(question, text, yes_no, complete, user, now),
                )
                session.add(answer)
                session.flush()
        except IntegrityError:
            answer = saved_answer()  # a colleague's first answer, saved at the same moment
            if answer is None:
                raise
        else:
            mark_changed(session, bid, now)
            return SaveResult(True, None, answer.version)
    if answer.version != base_version and not force and not _says_the_same(question, answer, text, yes_no):
        return _conflict(question, answer)
    # The database decides between saves made at the same moment over the same version: the
    # first to update the row moves it on, and every other matches no row (on PostgreSQL it
    # waits for the first to commit, then finds the version changed; SQLite has one writer).
    won = (
        session.execute(
            update(BidAnswer)
            .where(BidAnswer.id == answer.id, BidAnswer.version == answer.version)
            .values(version=answer.version + 1, **_written(question, text, yes_no, complete, user, now))
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    session.refresh(answer)
    if not won:
        if _says_the_same(question, answer, text, yes_no):
            return SaveResult(True, None, answer.version)  # a colleague saved this very answer first
        return _conflict(question, answer)
    mark_changed(session, bid, now)
    return SaveResult(True, None, answer.version)


# --- Prices, files, evidence and declarations -----------------------------------------------------


def save_prices(session: Session, user: User, bid: Bid, prices: dict[int, int | None], now: datetime) -> None:
    """Give (or clear, with None) the price in pence for each chosen lot.

    Raises:
        DeadlinePassed, RuleViolation: past the deadline or not open; a negative price.
        NotPermitted: a price for a lot the bid is not for (a tampered form).
    """
    require_editable(bid, now)
    chosen = {bl.lot_id: bl for bl in bid.lots}
    for lot_id, pence in prices.items():
        if lot_id not in chosen:
            raise NotPermitted()
        if pence is not None and pence < 0:
            raise RuleViolation(f"price_{lot_id}", "Price must not be negative")
        chosen[lot_id].price_pence = pence
    mark_changed(session, bid, now)
    session.flush()


def attach(
    session: Session, user: User, bid: Bid, filename: str, content: bytes, title: str, now: datetime
) -> BidAttachment:
    """Add a supporting document, checked by its content and kept with its SHA-256.

    Raises:
        DeadlinePassed, RuleViolation: past the deadline or not open; empty, the
            wrong type by content, too large, or over the bid's total.
    """
    require_editable(bid, now)
    config = current_app.config
    total = sum(a.file.size for a in bid.attachments)
    if total + len(content) > config["MAX_BID_BYTES"]:
        raise RuleViolation(
            "file",
            f"The files for one bid must total {config['MAX_BID_BYTES'] // (1024 * 1024)}MB "
            "or less: remove a file or make this one smaller",
        )
    stored = files.store(session, user, filename, content, config["MAX_FILE_BYTES"])
    attachment = BidAttachment(
        bid_id=bid.id,
        file_id=stored.id,
        file=stored,
        title=(title or "").strip()[:200] or stored.filename,
        uploaded_by_id=user.id,
        uploaded_at=now,
    )
    session.add(attachment)
    bid.attachments.append(attachment)
    mark_changed(session, bid, now)
    record(session, user, "bid.file_attached", bid, filename=stored.filename, sha256=stored.sha256)
    session.flush()
    return attachment


def remove_attachment(session: Session, user: User, bid: Bid, attachment_id: int, now: datetime) -> str:
    """Remove a supporting document from the draft; returns its title.

    Raises:
        DeadlinePassed, RuleViolation: past the deadline or not open.
        NotPermitted: the file is not one of this bid's (a tampered id).
    """
    require_editable(bid, now)
    attachment = next((a for a in bid.attachments if a.id == attachment_id), None)
    if attachment is None:
        raise NotPermitted()
    bid.attachments.remove(attachment)
    mark_changed(session, bid, now)
    record(session, user, "bid.file_removed", bid, attachment_id=attachment_id)
    session.flush()
    return attachment.title


def choose_evidence(session: Session, user: User, bid: Bid, evidence_ids: list[int], now: datetime) -> None:
    """Refer to the organisation's current QA evidence (replacing the choice made before).

    Raises:
        DeadlinePassed, RuleViolation: past the deadline or not open.
        NotPermitted: evidence of another organisation, or archived (a tampered id).
    """
    require_editable(bid, now)
    owned = set(
        session.scalars(
            select(Evidence.id).where(Evidence.organisation_id == bid.organisation_id, Evidence.archived_at.is_(None))
        )
    )
    if not set(evidence_ids) <= owned:
        raise NotPermitted()
    session.execute(bid_evidence.delete().where(bid_evidence.c.bid_id == bid.id))
    if evidence_ids:
        session.execute(
            bid_evidence.insert(), [{"bid_id": bid.id, "evidence_id": e} for e in sorted(set(evidence_ids))]
        )
    mark_changed(session, bid, now)
    session.flush()


def confirm_declarations(session: Session, user: User, bid: Bid, confirmed: bool, now: datetime) -> None:
    """Confirm the declarations on behalf of the organisation, by this user, now.

    Raises:
        DeadlinePassed, RuleViolation: past the deadline or not open; the box not ticked.
    """
    require_editable(bid, now)
    if not confirmed:
        raise RuleViolation("confirm", "Confirm the declarations to continue")
    bid.declarations_confirmed_at = now
    bid.declarations_confirmed_by_id = user.id
    mark_changed(session, bid, now)
    session.flush()


# --- What the bid still needs ---------------------------------------------------------------


def questions_for(bid: Bid) -> list[Question]:
    """The questions this bid must answer: every selection question, and the
    quality questions for the lots chosen (or for every lot)."""
    chosen = {bl.lot_id for bl in bid.lots}
    return [
        question
        for question in bid.tender.questions
        if question.kind is QuestionKind.PASS_FAIL or not question.lots or chosen & {lot.id for lot in question.lots}
    ]


@dataclass(frozen=True)
class Missing:
    """One thing that stops the bid being submitted: what to do, in plain words,
    and the task (an endpoint of the bids blueprint and its arguments) that does it."""

    text: str
    endpoint: str
    args: tuple[tuple[str, int], ...]

    def __str__(self) -> str:
        return self.text


def missing_items(bid: Bid) -> list[Missing]:
    """What stops the bid being submitted, each with the task that fixes it."""
    missing = []

    def need(text: str, endpoint: str, **args: int) -> None:
        missing.append(Missing(text, endpoint, tuple({"bid_id": bid.id, **args}.items())))

    if not bid.lots:
        need("Choose at least one lot", "bids.lots")
    answers = {a.question_id: a for a in bid.answers}
    for question in questions_for(bid):
        answer = answers.get(question.id)
        label = question_title(question)
        if is_answered(question, answer):
            continue
        if question.kind is QuestionKind.PASS_FAIL:
            need(f"Answer the selection question \u201c{label}\u201d", "bids.question", question_id=question.id)
        elif not is_written(question, answer):
            need(f"Answer the quality question \u201c{label}\u201d", "bids.question", question_id=question.id)
        elif is_over_limit(question, answer):
            need(
                f"Shorten your answer to \u201c{label}\u201d to {question.word_limit:,} words or fewer",
                "bids.question",
                question_id=question.id,
            )
        else:
            need(f"Finish your answer to \u201c{label}\u201d", "bids.question", question_id=question.id)
    for bid_lot in sorted(bid.lots, key=lambda bl: bl.lot.number):
        if bid_lot.price_pence is None:
            need(f"Give a price for lot {bid_lot.lot.number}, {bid_lot.lot.title}", "bids.prices")
    if bid.declarations_confirmed_at is None:
        need("Confirm the declarations", "bids.declarations")
    return missing


def failed_selection_questions(bid: Bid) -> list[Question]:
    """Selection questions answered with the answer that fails (shown as a warning)."""
    answers = {a.question_id: a for a in bid.answers}
    return [q for q in bid.tender.questions if fails_selection(q, answers.get(q.id))]
