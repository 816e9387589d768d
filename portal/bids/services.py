"""Bids: drafts that colleagues share, attachments, and submissions that are
never lost and never late.

The deadline is judged by the server's clock at the last moment before the
submission commits (a ``before_commit`` check), so a bid the server accepted
was accepted in time. A submission is an immutable snapshot with a receipt;
submitting the same draft twice (a double-click, a second tab) returns the
same receipt, because each submission records the draft revision it came from
and that pair is unique in the database.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import clock, files
from portal.accounts.models import Role, User
from portal.audit.services import record
from portal.bids.models import (Bid, BidAnswer, BidAttachment, BidLot, BidOpening, BidStatus, PendingSave, Submission,
                                bid_evidence)
from portal.db import before_commit
from portal.errors import NotPermitted, RuleViolation
from portal.filters import format_datetime
from portal.notifications.services import queue_email
from portal.providers.models import Evidence
from portal.tenders import services as tender_services
from portal.tenders.models import Question, QuestionKind, Tender, TenderStatus
from portal.links import external_url

WORD = re.compile(r"\S+")


class DeadlinePassed(RuleViolation):
    """A change or submission at or after the deadline, with both times to show."""

    def __init__(self, deadline: datetime, server_time: datetime):
        super().__init__(None, f"The deadline for bids was {format_datetime(deadline)}. The server's time is now "
                               f"{format_datetime_seconds(server_time)}, so the bid cannot be changed or submitted")
        self.deadline = deadline
        self.server_time = server_time


def format_datetime_seconds(value: datetime) -> str:
    from portal.dates import LONDON

    local = value.astimezone(LONDON)
    return f"{local.day} {local:%B %Y} at {local:%H:%M:%S}"


def word_count(text: str | None) -> int:
    return len(WORD.findall(text or ""))


# --- Who may do what --------------------------------------------------------------

def is_bidder(user: User, bid: Bid) -> bool:
    return (user.is_authenticated and user.role is Role.PROVIDER and user.organisation_id is not None
            and user.organisation_id == bid.organisation_id)


def is_open(tender: Tender, now: datetime) -> bool:
    return tender.status is TenderStatus.PUBLISHED and tender.submission_deadline is not None \
        and now < tender.submission_deadline


def is_opened(tender: Tender, now: datetime) -> bool:
    """Opened by two officers, which is possible only after the deadline."""
    return tender.evaluation_started_at is not None and tender.submission_deadline is not None \
        and now >= tender.submission_deadline


def can_read_content(user: User, bid: Bid, now: datetime) -> bool:
    """The seal: before the bids are opened only the bidder can read a bid.

    Council staff (officers, evaluators, administrators alike) read it only
    after the deadline, once two officers have opened the bids.
    """
    if is_bidder(user, bid):
        return True
    return bool(user.is_authenticated and user.is_staff and is_opened(bid.tender, now))


def require_editable(bid: Bid, now: datetime) -> None:
    """Raises DeadlinePassed at or after the deadline; RuleViolation if the tender is not open."""
    tender = bid.tender
    if tender.submission_deadline is not None and now >= tender.submission_deadline:
        raise DeadlinePassed(tender.submission_deadline, now)
    if tender.status is not TenderStatus.PUBLISHED:
        raise RuleViolation(None, "This opportunity is not open for bids")


def _touch(bid: Bid, user: User, now: datetime) -> None:
    bid.revision += 1
    bid.updated_at = now


# --- Preparing a bid -----------------------------------------------------------------

def start_bid(session: Session, user: User, tender: Tender, now: datetime) -> Bid:
    """Start (or return) the organisation's bid; registers interest too.

    Raises:
        RuleViolation: not a provider, the tender not open, or past the deadline.
    """
    if user.role is not Role.PROVIDER or user.organisation_id is None:
        raise RuleViolation(None, "Only providers can bid")
    if tender.status is not TenderStatus.PUBLISHED:
        raise RuleViolation(None, "This opportunity is not open for bids")
    if now >= tender.submission_deadline:
        raise DeadlinePassed(tender.submission_deadline, now)
    bid = session.scalar(select(Bid).where(Bid.tender_id == tender.id, Bid.organisation_id == user.organisation_id))
    if bid is not None:
        return bid
    tender_services.register_interest(session, user, tender)
    bid = Bid(tender_id=tender.id, organisation_id=user.organisation_id, created_by_id=user.id, created_at=now,
              updated_at=now)
    session.add(bid)
    session.flush()
    record(session, user, "bid.started", bid, tender_id=tender.id)
    return bid


def choose_lots(session: Session, user: User, bid: Bid, lot_ids: list[int], now: datetime) -> None:
    """Raises RuleViolation: no lots, or a lot of another tender (a tampered id)."""
    require_editable(bid, now)
    lots = {lot.id: lot for lot in bid.tender.lots}
    if not lot_ids:
        raise RuleViolation("lot_ids", "Select at least one lot")
    if any(lot_id not in lots for lot_id in lot_ids):
        raise RuleViolation("lot_ids", "Select lots from this opportunity")
    kept = {bl.lot_id: bl for bl in bid.lots}
    bid.lots = [kept.get(lot_id) or BidLot(lot_id=lot_id) for lot_id in sorted(set(lot_ids))]
    _touch(bid, user, now)
    record(session, user, "bid.lots_chosen", bid, lot_ids=sorted(set(lot_ids)))


@dataclass
class SaveResult:
    saved: bool
    conflict_text: str | None = None  # the colleague's newer text, when it conflicts
    version: int = 0


def question_of(bid: Bid, question_id: int) -> Question:
    """Raises NotPermitted: the question is not part of this bid's tender (tampered id)."""
    for question in bid.tender.questions:
        if question.id == question_id:
            return question
    raise NotPermitted()


def save_answer(session: Session, user: User, bid: Bid, question: Question, text: str | None, yes_no: bool | None,
                base_version: int, now: datetime, force: bool = False) -> SaveResult:
    """Save one answer to the draft.

    If a colleague saved a different answer since this one was loaded
    (``base_version`` is older), nothing is overwritten: the result carries
    their text so both can be shown. ``force`` saves over it on purpose.

    Raises:
        DeadlinePassed, RuleViolation: past the deadline, not open, over the word
            limit, too long, or a pass or fail answer missing.
    """
    require_editable(bid, now)
    if question.kind is QuestionKind.QUALITY:
        text = (text or "").replace("\r\n", "\n")
        if len(text) > 50_000:
            raise RuleViolation("answer", "Your answer must be 50,000 characters or fewer")
        words = word_count(text)
        if question.word_limit and words > question.word_limit:
            raise RuleViolation("answer", f"Your answer is {words:,} words: it must be {question.word_limit:,} "
                                          "words or fewer")
    elif yes_no is None:
        raise RuleViolation("answer", "Select yes or no")
    answer = session.scalar(select(BidAnswer).where(BidAnswer.bid_id == bid.id, BidAnswer.question_id == question.id))
    if answer is None:
        answer = BidAnswer(bid_id=bid.id, question_id=question.id, version=0)
        session.add(answer)
    elif answer.version != base_version and not force:
        same = answer.text == text if question.kind is QuestionKind.QUALITY else answer.yes_no == yes_no
        if not same:
            return SaveResult(False, answer.text if question.kind is QuestionKind.QUALITY else
                              ("Yes" if answer.yes_no else "No"), answer.version)
    answer.text = text if question.kind is QuestionKind.QUALITY else None
    answer.yes_no = yes_no if question.kind is QuestionKind.PASS_FAIL else None
    answer.version = (answer.version or 0) + 1
    answer.updated_by_id = user.id
    answer.updated_at = now
    _touch(bid, user, now)
    session.flush()
    return SaveResult(True, None, answer.version)


def save_prices(session: Session, user: User, bid: Bid, prices: dict[int, int | None], now: datetime) -> None:
    """Raises RuleViolation: a lot not chosen (tampered), or a negative price."""
    require_editable(bid, now)
    chosen = {bl.lot_id: bl for bl in bid.lots}
    for lot_id, pence in prices.items():
        if lot_id not in chosen:
            raise NotPermitted()
        if pence is not None and pence < 0:
            raise RuleViolation(f"price_{lot_id}", "Price must not be negative")
        chosen[lot_id].price_pence = pence
    _touch(bid, user, now)


def attach(session: Session, user: User, bid: Bid, filename: str, content: bytes, title: str,
           now: datetime) -> BidAttachment:
    """Raises RuleViolation: wrong type by content, too large, or over the bid's total."""
    require_editable(bid, now)
    config = current_app.config
    total = sum(a.file.size for a in bid.attachments)
    if total + len(content) > config["MAX_BID_BYTES"]:
        raise RuleViolation("file", f"The files for one bid must total {config['MAX_BID_BYTES'] // (1024 * 1024)}MB "
                                    "or less: remove a file or make this one smaller")
    stored = files.store(session, user, filename, content, config["MAX_FILE_BYTES"])
    attachment = BidAttachment(bid_id=bid.id, file_id=stored.id, file=stored,
                               title=(title or "").strip()[:200] or stored.filename, uploaded_by_id=user.id,
                               uploaded_at=now)
    session.add(attachment)
    bid.attachments.append(attachment)
    _touch(bid, user, now)
    record(session, user, "bid.file_attached", bid, filename=stored.filename, sha256=stored.sha256)
    return attachment


def remove_attachment(session: Session, user: User, bid: Bid, attachment_id: int, now: datetime) -> None:
    require_editable(bid, now)
    attachment = next((a for a in bid.attachments if a.id == attachment_id), None)
    if attachment is None:
        raise NotPermitted()
    bid.attachments.remove(attachment)
    _touch(bid, user, now)
    record(session, user, "bid.file_removed", bid, attachment_id=attachment_id)


def choose_evidence(session: Session, user: User, bid: Bid, evidence_ids: list[int], now: datetime) -> None:
    """Raises NotPermitted: evidence of another organisation (tampered id)."""
    require_editable(bid, now)
    owned = set(session.scalars(select(Evidence.id).where(Evidence.organisation_id == bid.organisation_id,
                                                          Evidence.archived_at.is_(None))))
    if not set(evidence_ids) <= owned:
        raise NotPermitted()
    session.execute(bid_evidence.delete().where(bid_evidence.c.bid_id == bid.id))
    if evidence_ids:
        session.execute(bid_evidence.insert(), [{"bid_id": bid.id, "evidence_id": e} for e in sorted(set(evidence_ids))])
    _touch(bid, user, now)


def chosen_evidence(session: Session, bid: Bid) -> list[Evidence]:
    return list(session.scalars(select(Evidence).join(bid_evidence, bid_evidence.c.evidence_id == Evidence.id)
                                .where(bid_evidence.c.bid_id == bid.id).order_by(Evidence.kind, Evidence.title)))


def confirm_declarations(session: Session, user: User, bid: Bid, confirmed: bool, now: datetime) -> None:
    require_editable(bid, now)
    if not confirmed:
        raise RuleViolation("confirm", "Confirm the declarations to continue")
    bid.declarations_confirmed_at = now
    bid.declarations_confirmed_by_id = user.id
    _touch(bid, user, now)


def questions_for(bid: Bid) -> list[Question]:
    """The questions this bid must answer: every selection question, and the
    quality questions for the lots chosen (or for every lot)."""
    chosen = {bl.lot_id for bl in bid.lots}
    needed = []
    for question in bid.tender.questions:
        if question.kind is QuestionKind.PASS_FAIL:
            needed.append(question)
        elif not question.lots or chosen & {lot.id for lot in question.lots}:
            needed.append(question)
    return needed


def missing_items(session: Session, bid: Bid) -> list[str]:
    """What stops the bid being submitted, in plain words."""
    missing = []
    if not bid.lots:
        missing.append("Choose at least one lot")
    answers = {a.question_id: a for a in bid.answers}
    for number, question in enumerate(questions_for(bid), start=1):
        answer = answers.get(question.id)
        label = question.text.split(".")[0][:80]
        if question.kind is QuestionKind.PASS_FAIL:
            if answer is None or answer.yes_no is None:
                missing.append(f"Answer the selection question \u201c{label}\u201d")
        elif answer is None or not (answer.text or "").strip():
            missing.append(f"Answer the quality question \u201c{label}\u201d")
        elif question.word_limit and word_count(answer.text) > question.word_limit:
            missing.append(f"Shorten your answer to \u201c{label}\u201d to {question.word_limit:,} words or fewer")
    for bid_lot in bid.lots:
        if bid_lot.price_pence is None:
            missing.append(f"Give a price for lot {bid_lot.lot.number}, {bid_lot.lot.title}")
    if bid.declarations_confirmed_at is None:
        missing.append("Confirm the declarations")
    return missing


def failed_selection_questions(bid: Bid) -> list[Question]:
    """Selection questions answered with the answer that fails (shown as a warning)."""
    answers = {a.question_id: a for a in bid.answers}
    return [q for q in bid.tender.questions if q.kind is QuestionKind.PASS_FAIL and q.id in answers
            and answers[q.id].yes_no is not None and answers[q.id].yes_no != q.passing_answer]


# --- Submitting ------------------------------------------------------------------------

class Incomplete(RuleViolation):
    def __init__(self, missing: list[str]):
        super().__init__(None, "Your bid is not complete")
        self.missing = missing


def snapshot(session: Session, bid: Bid) -> dict:
    """The bid as submitted: everything needed to evaluate it, files by hash."""
    answers = {a.question_id: a for a in bid.answers}
    return {
        "tender": bid.tender.reference,
        "organisation_id": bid.organisation_id,
        "organisation": bid.organisation.name,
        "lots": [{"lot_id": bl.lot_id, "number": bl.lot.number, "title": bl.lot.title,
                  "price_pence": bl.price_pence} for bl in sorted(bid.lots, key=lambda b: b.lot.number)],
        "answers": [{"question_id": q.id, "kind": q.kind.name,
                     "text": answers[q.id].text if q.id in answers else None,
                     "yes_no": answers[q.id].yes_no if q.id in answers else None} for q in questions_for(bid)],
        "attachments": [{"title": a.title, "filename": a.file.filename, "sha256": a.file.sha256, "size": a.file.size,
                         "file_id": a.file_id} for a in bid.attachments],
        "evidence": [{"evidence_id": e.id, "kind": e.kind.name, "title": e.title, "sha256": e.file.sha256,
                      "expires_on": e.expires_on.isoformat() if e.expires_on else None}
                     for e in chosen_evidence(session, bid)],
        "declarations_confirmed_at": bid.declarations_confirmed_at.isoformat() if bid.declarations_confirmed_at
        else None,
    }


def content_hash(content: dict) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def submit(session: Session, user: User, bid: Bid) -> tuple[Submission, bool]:
    """Submit the draft as a new immutable version; returns (submission, is_new).

    The same draft submitted again (double-click, second tab) returns the
    existing submission. The deadline is checked now and again at the moment
    of commit, by the server's clock.

    Raises:
        DeadlinePassed: at or after the deadline (nothing is written).
        Incomplete: with the list of what is missing.
        RuleViolation: the tender is not open.
    """
    session.execute(select(Bid.id).where(Bid.id == bid.id).with_for_update())  # one submitter at a time
    session.refresh(bid)
    now = clock.now()
    require_editable(bid, now)
    existing = session.scalar(select(Submission).where(Submission.bid_id == bid.id,
                                                       Submission.from_revision == bid.revision))
    if existing is not None and bid.status is BidStatus.SUBMITTED:
        return existing, False
    missing = missing_items(session, bid)
    if missing:
        raise Incomplete(missing)
    content = snapshot(session, bid)
    version = (session.scalar(select(func.max(Submission.version)).where(Submission.bid_id == bid.id)) or 0) + 1
    content["version"] = version
    submission = Submission(
        bid_id=bid.id, version=version, from_revision=bid.revision, submitted_at=now, submitted_by_id=user.id,
        receipt_reference=f"{bid.tender.reference}-{bid.organisation_id:04d}-{version}",
        sha256=content_hash(content), content=content)
    session.add(submission)
    bid.status = BidStatus.SUBMITTED
    bid.submitted_at = now
    bid.withdrawn_at = None
    session.flush()
    deadline = bid.tender.submission_deadline

    def still_before_deadline():
        moment = clock.now()
        if moment >= deadline:
            raise DeadlinePassed(deadline, moment)

    before_commit(session, still_before_deadline)
    record(session, user, "bid.submitted", bid, version=version, receipt=submission.receipt_reference,
           sha256=submission.sha256)
    receipt_url = external_url("bids.receipt", bid_id=bid.id, version=version)
    for email in organisation_emails(session, bid.organisation_id):
        queue_email(session, email, "bid_receipt", bid=bid, submission=submission, receipt_url=receipt_url,
                    submitted_at=format_datetime_seconds(now))
    return submission, True


def withdraw(session: Session, user: User, bid: Bid) -> None:
    """Withdraw a submitted bid before the deadline; its versions are kept.

    Raises:
        DeadlinePassed, RuleViolation: after the deadline, or nothing submitted.
    """
    now = clock.now()
    require_editable(bid, now)
    if bid.status is not BidStatus.SUBMITTED:
        raise RuleViolation(None, "Only a submitted bid can be withdrawn")
    bid.status = BidStatus.WITHDRAWN
    bid.withdrawn_at = now
    _touch(bid, user, now)  # a later submission is a new version, even unchanged
    deadline = bid.tender.submission_deadline

    def still_before_deadline():
        if clock.now() >= deadline:
            raise DeadlinePassed(deadline, clock.now())

    before_commit(session, still_before_deadline)
    record(session, user, "bid.withdrawn", bid)
    for email in organisation_emails(session, bid.organisation_id):
        queue_email(session, email, "bid_withdrawn", bid=bid, withdrawn_at=format_datetime_seconds(now))


def organisation_emails(session: Session, organisation_id: int) -> list[str]:
    return list(session.scalars(select(User.email).where(
        User.organisation_id == organisation_id, User.deactivated_at.is_(None), User.email_verified_at.is_not(None))))


def current_submission(bid: Bid) -> Submission | None:
    if bid.status is not BidStatus.SUBMITTED or not bid.submissions:
        return None
    return bid.submissions[-1]


# --- Earlier answers ------------------------------------------------------------------

def earlier_answers(session: Session, bid: Bid, limit: int = 20) -> list[dict]:
    """Quality answers this organisation gave in its other bids, newest first,
    to copy in instead of retyping."""
    rows = session.execute(
        select(BidAnswer.text, Question.text, Tender.title, BidAnswer.updated_at)
        .join(Bid, BidAnswer.bid_id == Bid.id).join(Question, BidAnswer.question_id == Question.id)
        .join(Tender, Bid.tender_id == Tender.id)
        .where(Bid.organisation_id == bid.organisation_id, Bid.id != bid.id, BidAnswer.text.is_not(None),
               BidAnswer.text != "")
        .order_by(BidAnswer.updated_at.desc()).limit(limit)).all()
    return [{"text": text, "question": question, "tender": tender} for text, question, tender, _ in rows]


# --- Timed-out sessions -------------------------------------------------------------------

def stash(session: Session, user_id: int, bid_id: int, question_id: int | None, data: dict, token: str) -> None:
    """Keep a save that arrived after the session ended, for after sign-in."""
    session.add(PendingSave(token=token, user_id=user_id, bid_id=bid_id, question_id=question_id, data=data))


def take_pending(session: Session, user: User, token: str) -> PendingSave | None:
    pending = session.scalar(select(PendingSave).where(PendingSave.token == token, PendingSave.user_id == user.id,
                                                       PendingSave.applied_at.is_(None)))
    if pending is not None:
        pending.applied_at = clock.now()
    return pending


# --- Opening, after the deadline -----------------------------------------------------------

def confirm_opening(session: Session, officer: User, tender: Tender) -> bool:
    """One officer's confirmation; the second different officer's opens the bids.

    Returns True when the bids are now open. Raises RuleViolation: not an
    officer, before the deadline, or the same officer confirming twice.
    """
    now = clock.now()
    if officer.role is not Role.OFFICER:
        raise RuleViolation(None, "Only procurement officers can open bids")
    if tender.submission_deadline is None or now < tender.submission_deadline:
        raise RuleViolation(None, f"Bids cannot be opened before the deadline, {format_datetime(tender.submission_deadline)}")
    tender_services.close_if_due(session, tender, now)
    if tender.status is not TenderStatus.CLOSED:
        raise RuleViolation(None, "The bids for this tender have already been opened" if tender.evaluation_started_at
                            else "This tender is not waiting to be opened")
    if session.scalar(select(BidOpening.id).where(BidOpening.tender_id == tender.id,
                                                  BidOpening.officer_id == officer.id)):
        raise RuleViolation(None, "You have already confirmed. A different officer must confirm to open the bids")
    session.add(BidOpening(tender_id=tender.id, officer_id=officer.id, confirmed_at=now))
    session.flush()
    officers = list(session.scalars(select(BidOpening.officer_id).where(BidOpening.tender_id == tender.id)))
    record(session, officer, "tender.opening_confirmed", tender, confirmations=len(officers))
    if len(set(officers)) >= 2:
        tender_services.start_evaluation(session, officer, tender, now)
        record(session, officer, "tender.bids_opened", tender, officer_ids=sorted(set(officers)))
        return True
    return False


def counts_per_lot(session: Session, tender: Tender) -> dict[int, int]:
    """How many submitted bids include each lot: all that anyone sees before opening."""
    rows = session.execute(
        select(BidLot.lot_id, func.count(Bid.id)).join(Bid, BidLot.bid_id == Bid.id)
        .where(Bid.tender_id == tender.id, Bid.status == BidStatus.SUBMITTED).group_by(BidLot.lot_id)).all()
    counts = {lot.id: 0 for lot in tender.lots}
    counts.update({lot_id: n for lot_id, n in rows})
    return counts


def submitted_count(session: Session, tender: Tender) -> int:
    return session.scalar(select(func.count(Bid.id)).where(Bid.tender_id == tender.id,
                                                           Bid.status == BidStatus.SUBMITTED))


def bidding_organisations(session: Session) -> set[int]:
    """Organisations with a submitted bid, for the agreements dashboard."""
    return set(session.scalars(select(Bid.organisation_id).where(Bid.status == BidStatus.SUBMITTED)))

