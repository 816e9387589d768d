"""Submitting and withdrawing: submissions that are never lost and never late.

A bid is judged by the moment its request reached the portal (``now``, from
``portal.arrival``: the trusted proxy's ``X-Request-Start``, else the moment
the app began handling it), not by when a worker got round to it: a provider
who pressed "Submit bid" in time, and waited behind others in the last-second
rush, has bid in time. That arrival is judged against the deadline when the
request starts and again at the last moment before the submission commits (a
``before_commit`` check, re-reading the deadline, which an amendment may have
moved meanwhile), so a bid the server accepted reached it in time. The receipt
records the arrival.

A submission is an immutable snapshot with a receipt; submitting the same
draft twice (a double-click, a second tab) returns the same receipt, because
each submission records the draft revision it came from and that pair is
unique in the database. It reads the bid in a fixed number of queries, however
many questions, lots and files it has (``queries.bid_to_submit``).

A bid's status changes only through ``BID_STATES`` (the shared state machine):
a draft is submitted; a submitted bid is submitted again (a newer version) or
withdrawn; a withdrawn bid may be submitted again before the deadline.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import bindparam, exists, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.session import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from portal.accounts.models import User
from portal.accounts.queries import active_emails
from portal.bids.display import format_datetime_seconds
from portal.bids.drafting import mark_changed, missing_items, questions_for
from portal.bids.models import Bid, BidStatus, Submission
from portal.bids.policies import DeadlinePassed, require_editable
from portal.bids.queries import BidToSubmit, bid_to_submit, is_loaded_to_submit
from portal.clock import now as clock_now
from portal.db import before_commit
from portal.errors import RuleViolation
from portal.links import external_url
from portal.notifications.services import (
    queue_email,
    queue_rendered,
    queue_rendered_parameters,
    queue_rendered_when,
    render_email,
)
from portal.states import StateMachine
from portal.tenders.models import Tender


def _refusal(current: BidStatus, to: BidStatus) -> str:
    if to is BidStatus.WITHDRAWN:
        return "Only a submitted bid can be withdrawn"
    return f"A {current.value.lower()} bid cannot become {to.value.lower()}"


BID_STATES = StateMachine(
    audit_prefix="bid",
    transitions={
        BidStatus.DRAFT: frozenset({BidStatus.SUBMITTED}),
        # Submitting again makes a newer version; the bid stays submitted.
        BidStatus.SUBMITTED: frozenset({BidStatus.SUBMITTED, BidStatus.WITHDRAWN}),
        BidStatus.WITHDRAWN: frozenset({BidStatus.SUBMITTED}),
    },
    stamps={BidStatus.SUBMITTED: "submitted_at", BidStatus.WITHDRAWN: "withdrawn_at"},
    refusal=_refusal,
)


class Incomplete(RuleViolation):
    """The bid cannot be submitted yet; ``missing`` says what it lacks, in plain words."""

    def __init__(self, missing: list[str]):
        super().__init__(None, "Your bid is not complete")
        self.missing = missing


def snapshot(bid: BidToSubmit) -> dict:
    """The bid as submitted: everything needed to evaluate it, files by hash."""
    answers = {a.question_id: a for a in bid.answers}
    return {
        "tender": bid.tender.reference,
        "organisation_id": bid.organisation_id,
        "organisation": bid.organisation.name,
        "lots": [
            {"lot_id": bl.lot_id, "number": bl.lot.number, "title": bl.lot.title, "price_pence": bl.price_pence}
            for bl in sorted(bid.lots, key=lambda b: b.lot.number)
        ],
        "answers": [
            {
                "question_id": q.id,
                "kind": q.kind.name,
                "text": answers[q.id].text if q.id in answers else None,
                "yes_no": answers[q.id].yes_no if q.id in answers else None,
            }
            for q in questions_for(bid)
        ],
        "attachments": [
            {"title": a.title, "filename": a.filename, "sha256": a.sha256, "size": a.size, "file_id": a.file_id}
            for a in bid.attachments
        ],
        "evidence": [
            {
                "evidence_id": e.id,
                "kind": e.kind.name,
                "title": e.title,
                "sha256": e.sha256,
                "expires_on": e.expires_on.isoformat() if e.expires_on else None,
            }
            for e in bid.evidence
        ],
        "declarations_confirmed_at": bid.declarations_confirmed_at.isoformat()
        if bid.declarations_confirmed_at
        else None,
    }


def content_hash(content: dict) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _judge_the_deadline_again_at_commit(session: Session, tender_id: int, arrived_at: datetime) -> None:
    def still_before_deadline():
        # The request's arrival, not the clock now: a press that reached the portal in
        # time counts, however long it waited for a worker. The deadline is read again,
        # as it stands at commit: an amendment committed meanwhile may have moved it.
        deadline = session.scalar(_DEADLINE, {"tender_id": tender_id})
        if deadline is not None and arrived_at >= deadline:
            raise DeadlinePassed(deadline, arrived_at)

    before_commit(session, still_before_deadline)


# Built once: every submission runs them. The submission is written only if no submission
# was made from this revision yet (``ON CONFLICT DO NOTHING``: a race lost to another tab is
# told by no id coming back, with no error to undo); any other unique key (the version)
# still fails as an error.
_tender = Tender.__table__.c
_DEADLINE = select(_tender.submission_deadline).where(_tender.id == bindparam("tender_id"))
_submission = Submission.__table__
_INSERT_SUBMISSION = (
    sqlite_insert(_submission)
    .on_conflict_do_nothing(index_elements=["bid_id", "from_revision"])
    .returning(_submission.c.id)
)
_SUBMISSION_FROM_REVISION = select(Submission).where(
    Submission.bid_id == bindparam("bid_id"), Submission.from_revision == bindparam("revision")
)
_bid = Bid.__table__
_MARK_SUBMITTED = (
    update(_bid)
    .where(_bid.c.id == bindparam("bid_id"))
    .values(status=bindparam("status"), submitted_at=bindparam("submitted_at"), withdrawn_at=None)
)


# What a submission's row is written with (the rest are the table's defaults).
_SUBMISSION_COLUMNS = (
    "bid_id",
    "version",
    "from_revision",
    "submitted_at",
    "submitted_by_id",
    "receipt_reference",
    "sha256",
    "content",
)


def _submit_in_one_statement():
    """PostgreSQL: the submission, the bid's new status and the receipts to queue, written in
    one statement (one round trip instead of three), as data-modifying CTEs. The bid and the
    emails are written only if the submission was (no race lost to another tab); the
    submission's id comes back, or none."""
    new_submission = (
        postgresql_insert(_submission)
        .values({name: bindparam(name, type_=_submission.c[name].type) for name in _SUBMISSION_COLUMNS})
        .on_conflict_do_nothing(index_elements=["bid_id", "from_revision"])
        .returning(_submission.c.id)
        .cte("new_submission")
    )
    written = exists(select(literal(1)).select_from(new_submission))
    mark_submitted = _MARK_SUBMITTED.where(written).cte("mark_submitted")
    receipts = queue_rendered_when(written).cte("receipts")
    return select(new_submission.c.id).add_cte(mark_submitted, receipts)


_SUBMIT_ON_POSTGRESQL = _submit_in_one_statement()


def _the_bid_as_written(session: Session, bid: BidToSubmit) -> None:
    """A mapped copy of the bid already in the session (a caller's, not the view's) is
    told what the statement wrote, as if it had been read again."""
    loaded = session.identity_map.get(identity_key(Bid, bid.id))
    if loaded is None:
        return
    set_committed_value(loaded, "status", bid.status)
    set_committed_value(loaded, "submitted_at", bid.submitted_at)
    set_committed_value(loaded, "withdrawn_at", None)
    session.expire(loaded, ["submissions"])


def submit(session: Session, user: User, bid: Bid | BidToSubmit, now: datetime) -> tuple[Submission, bool]:
    """Submit the draft as a new immutable version; returns (submission, is_new).

    ``now`` is when the request reached the portal (``portal.arrival``): the
    deadline is judged by it, here and again at the moment of commit (against
    the deadline as it then stands), and the receipt records it. The same
    draft submitted again (double-click, second tab, a colleague at the same
    moment) returns the existing submission. The organisation's people are
    emailed the receipt (queued, sent by the worker after the commit).

    ``bid`` is read again, locked, unless it is what ``queries.bid_to_submit``
    read in this transaction (as the view does), with the addresses the receipt
    goes to. The bid, its submission, audit event and emails are written by
    statements, not through mapped objects (on PostgreSQL the submission, the
    bid's status and the emails in one): a mapped copy of the bid already in the
    session is updated to match.

    Raises:
        DeadlinePassed: the request arrived at or after the deadline (nothing is written).
        Incomplete: with the list of what is missing.
        RuleViolation: the tender is not open.
    """
    # One submitter at a time, and everything the checks and the snapshot read, fresh
    # under the lock, in a fixed number of queries (once: the view may have read it so).
    if not is_loaded_to_submit(session, bid):
        locked = bid_to_submit(session, bid.id, bid.organisation_id)
        if locked is None:  # bids are never deleted; said plainly all the same
            raise RuleViolation(None, "This bid no longer exists")
        bid = locked
    require_editable(bid, now)
    if bid.current_submission_id is not None and bid.status is BidStatus.SUBMITTED:
        return session.get(Submission, bid.current_submission_id), False
    missing = missing_items(bid)
    if missing:
        raise Incomplete(missing)
    BID_STATES.check(bid, BidStatus.SUBMITTED)  # before anything is written
    content = snapshot(bid)
    version = bid.latest_version + 1
    content["version"] = version
    submission = Submission(
        bid_id=bid.id,
        version=version,
        from_revision=bid.revision,
        submitted_at=now,
        submitted_by_id=user.id,
        receipt_reference=f"{bid.tender.reference}-{bid.organisation_id:04d}-{version}",
        sha256=content_hash(content),
        content=content,
    )
    # Everything that takes time is done before the first write: on SQLite the first write
    # takes the database's one write lock, which every other writer then waits for.
    receipt = render_email(
        "bid_receipt",
        bid=bid,
        submission=submission,
        receipt_url=external_url("bids.receipt", bid_id=bid.id, version=version),
        submitted_at=format_datetime_seconds(now),
    )
    row = {name: getattr(submission, name) for name in _SUBMISSION_COLUMNS}
    in_one_statement = session.get_bind().dialect.name == "postgresql"
    if in_one_statement:  # the bid as BID_STATES.move leaves it below: submitted, stamped ``now``
        row |= {"status": BidStatus.SUBMITTED} | queue_rendered_parameters(bid.recipients, receipt, clock_now())
        written = session.execute(_SUBMIT_ON_POSTGRESQL, row).scalar()
    else:
        written = session.execute(_INSERT_SUBMISSION, row).scalar()
    if written is None:
        # Another tab (or a colleague) submitted this same draft a moment earlier:
        # theirs is the submission, and its receipt is this one's too.
        return session.scalars(_SUBMISSION_FROM_REVISION, {"bid_id": bid.id, "revision": bid.revision}).one(), False
    submission.id = written
    make_transient_to_detached(submission)  # the row just written, as if read back
    session.add(submission)
    # The audit event waits in the session (no flush) to be inserted once, sealed, as the
    # transaction commits (``audit.chain.seal``).
    with session.no_autoflush:
        BID_STATES.move(
            session,
            user,
            bid,
            BidStatus.SUBMITTED,
            now,
            version=version,
            receipt=submission.receipt_reference,
            sha256=submission.sha256,
        )
        if not in_one_statement:  # SQLite: the bid and the receipts, written separately
            session.execute(_MARK_SUBMITTED, {"bid_id": bid.id, "status": bid.status, "submitted_at": bid.submitted_at})
            queue_rendered(session, bid.recipients, receipt)
        _the_bid_as_written(session, bid)
    _judge_the_deadline_again_at_commit(session, bid.tender_id, now)
    return submission, True


def withdraw(session: Session, user: User, bid: Bid, now: datetime) -> None:
    """Withdraw a submitted bid before the deadline; its versions are kept, and
    the organisation's people are told. ``now`` is when the request reached
    the portal, as for ``submit``.

    Raises:
        DeadlinePassed: the request arrived at or after the deadline (judged again at commit).
        RuleViolation: the tender is not open, or the bid is not submitted.
    """
    require_editable(bid, now)
    BID_STATES.move(session, user, bid, BidStatus.WITHDRAWN, now)
    mark_changed(session, bid, now)  # a later submission is a new version, even unchanged
    session.flush()
    _judge_the_deadline_again_at_commit(session, bid.tender_id, now)
    for email in active_emails(session, bid.organisation_id):
        queue_email(session, email, "bid_withdrawn", bid=bid, withdrawn_at=format_datetime_seconds(now))
