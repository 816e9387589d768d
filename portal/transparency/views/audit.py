"""The audit trail's pages: the published heads of the chain (public, with their JSON)
and a tender's trail for its officers (a page and a CSV download)."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, current_app, json, render_template, request, url_for

from portal import clock
from portal.audit.chain import GENESIS
from portal.auth import public, roles
from portal.db import get_session
from portal.downloads import spreadsheet_cell
from portal.pagination import page_number
from portal.tenders.models import Tender
from portal.tenders.policies import OFFICER_ROLES
from portal.transparency import audit_trail

heads_bp = Blueprint("audit_heads", __name__, url_prefix="/audit-trail")
officer_bp = Blueprint("audit_admin", __name__, url_prefix="/tenders")

FORMULA = (
    "SHA-256 of the canonical JSON array [position, occurred_at (UTC, ISO 8601 with microseconds), actor_id, "
    "action, object_type, object_id, details, prev_hash], with sorted keys and no spaces; the first record's "
    f"prev_hash is {GENESIS}."
)


@heads_bp.route("/heads")
@public
def heads():
    published, page = audit_trail.heads_page(get_session(), page_number(request.args.get("page")))
    return render_template(
        "transparency/audit_heads.html",
        heads=published,
        page=page,
        page_url=lambda number: url_for("audit_heads.heads", page=number),
    )


@heads_bp.route("/heads.json")
@public
def heads_json():
    data = {
        "description": (
            "Each day's head of the council's audit trail: how many records the trail held and the hash of the "
            "newest one. Keep a copy: if records were later changed or deleted, the trail would no longer match it."
        ),
        "formula": FORMULA,
        "heads": audit_trail.heads_as_data(get_session()),
    }
    return current_app.response_class(json.dumps(data, indent=1), mimetype="application/json")


def _tender(tender_id: int) -> Tender:
    tender = get_session().get(Tender, tender_id)
    if tender is None:
        abort(404)
    return tender


@officer_bp.route("/<int:tender_id>/audit-trail")
@roles(*OFFICER_ROLES)
def tender_trail(tender_id):
    session = get_session()
    tender = _tender(tender_id)
    now = clock.now()
    rows, page = audit_trail.tender_trail(session, tender, now, page_number(request.args.get("page")))
    return render_template(
        "transparency/audit_trail.html",
        tender=tender,
        rows=rows,
        page=page,
        sealed=audit_trail.is_sealed(tender, now),
        page_url=lambda number: url_for("audit_admin.tender_trail", tender_id=tender.id, page=number),
    )


@officer_bp.route("/<int:tender_id>/audit-trail.csv")
@roles(*OFFICER_ROLES)
def tender_trail_csv(tender_id):
    tender = _tender(tender_id)
    rows = audit_trail.whole_tender_trail(get_session(), tender, clock.now())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(audit_trail.CSV_COLUMNS)
    for row in audit_trail.trail_csv_rows(rows):
        writer.writerow([spreadsheet_cell(value) for value in row])
    filename = f"audit-trail-{tender.reference}.csv".replace('"', "")
    return Response(
        out.getvalue().encode("utf-8-sig"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"},
    )
