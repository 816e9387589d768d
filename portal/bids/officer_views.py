"""Officers see how many bids arrived, open them with a second officer, and read them after.

The seal: until ``policies.is_opened`` (the deadline has passed and two
different officers have confirmed), these pages say how many bids arrived and
for which lots, and nothing else: no organisation, no bid id, no content. Every
page that shows a bid's content asks ``policies.can_read_content`` first and
answers 404 if it says no. Who may confirm the opening is
``policies.can_confirm_opening``, asked by this page's template and refused
again by ``opening.confirm_opening``.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import clock
from portal.accounts.forms import ConfirmForm
from portal.accounts.models import Role, User
from portal.auth import roles
from portal.bids import opening, policies, queries
from portal.bids.display import current_submission
from portal.bids.models import Bid, BidOpening, BidStatus, Submission
from portal.db import get_session
from portal.downloads import attachment
from portal.errors import RuleViolation
from portal.files import StoredFile
from portal.providers.models import Evidence, EvidenceKind
from portal.tenders.models import Tender, TenderStatus

bp = Blueprint("bid_admin", __name__, url_prefix="/tenders")

# Evaluators read bids only through their score sheets (portal/evaluation), after declaring
# their interests, and only the answers assigned to them: never whole bids, nor prices.
READERS = (Role.OFFICER, Role.ADMIN)


@bp.context_processor
def _policies():
    return {"can_confirm_opening": policies.can_confirm_opening, "is_waiting_to_open": policies.is_waiting_to_open}


def _tender(tender_id: int) -> Tender:
    tender = get_session().get(Tender, tender_id, options=[selectinload(Tender.lots)])
    if tender is None or tender.status is TenderStatus.DRAFT:
        abort(404)
    return tender


def _readable_bid(tender: Tender, bid_id: int) -> Bid:
    """The bid, if it is on this tender and the seal lets the current user read it; else 404."""
    bid = get_session().get(Bid, bid_id, options=[selectinload(Bid.submissions), selectinload(Bid.organisation)])
    if bid is None or bid.tender_id != tender.id or bid.status is BidStatus.DRAFT:
        abort(404)
    if not policies.can_read_content(current_user, bid, clock.now()):
        abort(404)
    return bid


@bp.route("/<int:tender_id>/bids")
@roles(*READERS)
def index(tender_id):
    session = get_session()
    tender = _tender(tender_id)
    now = clock.now()
    if policies.is_opened(tender, now):
        bids = session.scalars(
            select(Bid)
            .where(Bid.tender_id == tender.id, Bid.status != BidStatus.DRAFT)
            .options(selectinload(Bid.organisation), selectinload(Bid.submissions))
        ).all()
        rows = [
            {"bid": bid, "submission": current_submission(bid)}
            for bid in bids
            if policies.can_read_content(current_user, bid, now)
        ]
        rows.sort(key=lambda row: (row["bid"].status is BidStatus.WITHDRAWN, row["bid"].organisation.name.lower()))
        return render_template("bids/officer/opened.html", tender=tender, rows=rows)
    # Sealed: counts only.
    confirmations = session.execute(
        select(User.id, User.full_name, BidOpening.confirmed_at)
        .join(BidOpening, BidOpening.officer_id == User.id)
        .where(BidOpening.tender_id == tender.id)
        .order_by(BidOpening.confirmed_at)
    ).all()
    return render_template(
        "bids/officer/sealed.html",
        tender=tender,
        now=now,
        submitted=queries.submitted_count(session, tender),
        per_lot=queries.counts_per_lot(session, tender),
        deadline_passed=policies.is_past_deadline(tender, now),
        confirmations=confirmations,
        confirmed_by_me=any(c.id == current_user.id for c in confirmations),
        open_form=ConfirmForm(),
    )


@bp.route("/<int:tender_id>/bids/open", methods=["POST"], endpoint="open")
@roles(Role.OFFICER)
def confirm_opening(tender_id):
    tender = _tender(tender_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        opened = opening.confirm_opening(get_session(), current_user, tender, clock.now())
    except RuleViolation as violation:
        return render_template("errors/400.html", title="The bids cannot be opened", description=violation.message), 400
    if opened:
        flash("The bids are open. You can now read them.", "success")
    else:
        flash(
            "You have confirmed the opening. A different procurement officer must also confirm before the bids "
            "can be read.",
            "success",
        )
    return redirect(url_for("bid_admin.index", tender_id=tender.id))


def _evidence_files(session, bid: Bid, content: dict) -> dict[int, Evidence]:
    """The evidence named in a submission, by id, as long as it is still the
    same document (same organisation, same file hash) as when submitted."""
    wanted = {item["evidence_id"]: item["sha256"] for item in content.get("evidence", [])}
    if not wanted:
        return {}
    found = session.scalars(select(Evidence).where(Evidence.id.in_(wanted)).options(selectinload(Evidence.file))).all()
    return {e.id: e for e in found if e.organisation_id == bid.organisation_id and e.file.sha256 == wanted[e.id]}


@bp.route("/<int:tender_id>/bids/<int:bid_id>")
@roles(*READERS)
def show(tender_id, bid_id):
    session = get_session()
    tender = _tender(tender_id)
    bid = _readable_bid(tender, bid_id)
    submission = current_submission(bid)
    if submission is None:  # withdrawn: listed, but without content
        return render_template(
            "bids/officer/show.html", tender=tender, bid=bid, submission=None, answers=[], evidence=[]
        )
    content = submission.content
    questions = {q.id: q for q in tender.questions}
    answers = [{"question": questions.get(item["question_id"]), **item} for item in content.get("answers", [])]
    evidence_rows = _evidence_files(session, bid, content)
    evidence = [
        {
            **item,
            "kind_label": _kind_label(item["kind"]),
            "expires_on": date.fromisoformat(item["expires_on"]) if item.get("expires_on") else None,
            "file_id": evidence_rows[item["evidence_id"]].file_id if item["evidence_id"] in evidence_rows else None,
        }
        for item in content.get("evidence", [])
    ]
    return render_template(
        "bids/officer/show.html",
        tender=tender,
        bid=bid,
        submission=submission,
        content=content,
        answers=answers,
        evidence=evidence,
    )


def _kind_label(name: str) -> str:
    kind = EvidenceKind.__members__.get(name)
    return kind.value if kind else name


@bp.route("/<int:tender_id>/bids/<int:bid_id>/files/<int:file_id>")
@roles(*READERS)
def file(tender_id, bid_id, file_id):
    session = get_session()
    tender = _tender(tender_id)
    bid = _readable_bid(tender, bid_id)
    submission: Submission | None = current_submission(bid)
    if submission is None:
        abort(404)
    content = submission.content
    hashes = {item["file_id"]: item["sha256"] for item in content.get("attachments", [])}
    for evidence in _evidence_files(session, bid, content).values():
        hashes[evidence.file_id] = evidence.file.sha256
    stored = session.get(StoredFile, file_id) if file_id in hashes else None
    if stored is None or stored.sha256 != hashes[file_id]:
        abort(404)
    return attachment(stored, private=True)
