"""Starting a bid and preparing it: the task list, lots, prices, supporting
documents, quality-assurance evidence and the declarations."""

from __future__ import annotations

import re

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal import clock
from portal.accounts.forms import ConfirmForm
from portal.accounts.models import Role, User
from portal.arrival import arrival_time
from portal.auth import roles
from portal.bids import display, drafting, queries
from portal.bids.content import DECLARATIONS
from portal.bids.forms import DeclarationsForm, EvidenceForm, LotsForm, UploadForm, prices_form
from portal.bids.views import award_progress, bid_or_404, bp, is_editable, overview, refused, require_editable
from portal.db import get_session
from portal.downloads import attachment as send_attachment
from portal.errors import RuleViolation
from portal.forms import choices, handle_form
from portal.tenders.models import Tender
from portal.tenders.public_policies import can_view


@bp.route("/bids")
@roles(Role.PROVIDER)
def index():
    now = clock.now()
    bids = queries.organisation_bids(get_session(), current_user.organisation_id, now)
    return render_template("bids/index.html", bids=bids, now=now)


@bp.route("/opportunities/<reference>/bid", methods=["POST"])
@roles(Role.PROVIDER)
def start(reference):
    session = get_session()
    tender = session.scalar(select(Tender).where(Tender.reference == reference))
    if tender is None or not can_view(current_user, tender):
        abort(404)
    try:
        bid = drafting.start_bid(session, current_user, tender, arrival_time())
    except RuleViolation as violation:  # the deadline too: this page's title, not the bid's
        return refused("You cannot bid for this opportunity", violation.message)
    return redirect(url_for("bids.show", bid_id=bid.id))


@bp.route("/bids/<int:bid_id>")
@roles(Role.PROVIDER)
def show(bid_id):
    bid = bid_or_404(bid_id)
    shown = overview(get_session(), bid, clock.now())
    return render_template(
        "bids/show.html",
        sections=display.task_sections(shown),
        award=award_progress(get_session(), bid),
        **shown,
    )


@bp.route("/bids/<int:bid_id>/lots", methods=["GET", "POST"])
@roles(Role.PROVIDER)
def lots(bid_id):
    bid = bid_or_404(bid_id)
    now = require_editable(bid) if request.method == "POST" else clock.now()
    form = LotsForm()
    form.lot_ids.choices = choices((lot.id, f"Lot {lot.number}: {lot.title}") for lot in bid.tender.lots)
    if request.method == "GET":
        form.lot_ids.data = [bl.lot_id for bl in bid.lots]

    def choose():
        chosen = form.lot_ids.data or []
        if not set(chosen) <= {lot.id for lot in bid.tender.lots}:
            abort(404)  # a lot of another tender: a tampered form
        drafting.choose_lots(get_session(), current_user, bid, chosen, now)

    return handle_form(
        form,
        choose,
        template="bids/lots.html",
        redirect_to=url_for("bids.show", bid_id=bid.id),
        context=lambda: {"bid": bid, "is_editable": is_editable(bid, now)},
    )


PRICE_FIELD = re.compile(r"price_(\d+)")


@bp.route("/bids/<int:bid_id>/prices", methods=["GET", "POST"])
@roles(Role.PROVIDER)
def prices(bid_id):
    bid = bid_or_404(bid_id)
    now = require_editable(bid) if request.method == "POST" else clock.now()
    bid_lots = sorted(bid.lots, key=lambda bl: bl.lot.number)
    if request.method == "POST":
        if not bid_lots:
            return redirect(url_for("bids.lots", bid_id=bid.id))
        chosen = {bl.lot_id for bl in bid_lots}
        for key in request.form:
            match = PRICE_FIELD.fullmatch(key)
            if key.startswith("price_") and (match is None or int(match.group(1)) not in chosen):
                abort(404)  # a lot not in this bid: a tampered form
    form = prices_form(bid_lots, fill_from_draft=request.method == "GET")
    return handle_form(
        form,
        lambda: drafting.save_prices(
            get_session(), current_user, bid, {bl.lot_id: form[f"price_{bl.lot_id}"].pence for bl in bid_lots}, now
        ),
        template="bids/prices.html",
        redirect_to=url_for("bids.show", bid_id=bid.id),
        context=lambda: {"bid": bid, "bid_lots": bid_lots, "is_editable": is_editable(bid, now)},
    )


@bp.route("/bids/<int:bid_id>/files", methods=["GET", "POST"])
@roles(Role.PROVIDER)
def files(bid_id):
    bid = bid_or_404(bid_id)
    now = require_editable(bid) if request.method == "POST" else clock.now()
    form = UploadForm()
    config = current_app.config

    def upload():
        # Read one byte past the limit: enough for the service to refuse a file too large.
        content = form.file.data.read(config["MAX_FILE_BYTES"] + 1)
        return drafting.attach(
            get_session(), current_user, bid, form.file.data.filename, content, form.title.data or "", now
        )

    return handle_form(
        form,
        upload,
        template="bids/files.html",
        redirect_to=url_for("bids.files", bid_id=bid.id),
        success=lambda added: f"\u201c{added.title}\u201d has been uploaded.",
        context=lambda: {
            "bid": bid,
            "remove_form": ConfirmForm(),
            "is_editable": is_editable(bid, now),
            "total_bytes": sum(a.file.size for a in bid.attachments),
            "max_file_mb": config["MAX_FILE_BYTES"] // (1024 * 1024),
            "max_bid_mb": config["MAX_BID_BYTES"] // (1024 * 1024),
        },
    )


@bp.route("/bids/<int:bid_id>/files/<int:attachment_id>")
@roles(Role.PROVIDER)
def download(bid_id, attachment_id):
    bid = bid_or_404(bid_id)
    found = next((a for a in bid.attachments if a.id == attachment_id), None)
    if found is None:
        abort(404)
    return send_attachment(found.file, private=True)


@bp.route("/bids/<int:bid_id>/files/<int:attachment_id>/remove", methods=["POST"])
@roles(Role.PROVIDER)
def remove_file(bid_id, attachment_id):
    bid = bid_or_404(bid_id)
    now = require_editable(bid)
    title = drafting.remove_attachment(get_session(), current_user, bid, attachment_id, now)  # NotPermitted: 404
    flash(f"\u201c{title}\u201d has been removed.", "success")
    return redirect(url_for("bids.files", bid_id=bid.id))


@bp.route("/bids/<int:bid_id>/evidence", methods=["GET", "POST"])
@roles(Role.PROVIDER)
def evidence(bid_id):
    bid = bid_or_404(bid_id)
    session = get_session()
    now = require_editable(bid) if request.method == "POST" else clock.now()
    form = EvidenceForm()
    if request.method == "GET":
        form.evidence_ids.data = [e.id for e in queries.chosen_evidence(session, bid)]

    def page() -> dict:
        today = clock.today()
        rows = [
            (e, display.evidence_warning(e.expires_on, today, bid.tender.contract_start_date))
            for e in queries.evidence_to_choose(session, bid)
        ]
        # The evidence pages bring the provider back to this bid once they have added something.
        manage_url = (
            url_for("evidence.index", next=url_for("bids.evidence", bid_id=bid.id))
            if "evidence.index" in current_app.view_functions
            else None
        )
        return {
            "bid": bid,
            "rows": rows,
            "chosen": set(form.evidence_ids.data or []),
            "manage_url": manage_url,
            "is_editable": is_editable(bid, now),
        }

    return handle_form(
        form,
        lambda: drafting.choose_evidence(session, current_user, bid, form.evidence_ids.data or [], now),
        template="bids/evidence.html",
        redirect_to=url_for("bids.show", bid_id=bid.id),
        context=page,
    )


@bp.route("/bids/<int:bid_id>/declarations", methods=["GET", "POST"])
@roles(Role.PROVIDER)
def declarations(bid_id):
    bid = bid_or_404(bid_id)
    session = get_session()
    now = require_editable(bid) if request.method == "POST" else clock.now()
    form = DeclarationsForm()
    if request.method == "GET":
        form.confirm.data = bid.declarations_confirmed_at is not None

    def page() -> dict:
        confirmed_by = session.get(User, bid.declarations_confirmed_by_id) if bid.declarations_confirmed_by_id else None
        return {
            "bid": bid,
            "declarations": DECLARATIONS,
            "confirmed_by": confirmed_by,
            "is_editable": is_editable(bid, now),
        }

    return handle_form(
        form,
        lambda: drafting.confirm_declarations(session, current_user, bid, bool(form.confirm.data), now),
        template="bids/declarations.html",
        redirect_to=url_for("bids.show", bid_id=bid.id),
        context=page,
    )
