"""The officers' tender blueprint and what its journeys share: loading a
tender whole, the policies every page's template asks, and where each
checklist problem is fixed."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, g, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal import clock
from portal.db import get_session
from portal.tenders import checks, policies
from portal.tenders.checks import TIMETABLE_FIELDS
from portal.tenders.models import Lot, Question, Tender, TenderDocument, TenderStatus

bp = Blueprint("tender_admin", __name__, url_prefix="/tenders")

OFFICERS = policies.OFFICER_ROLES

# Where an officer fixes each problem on the publication checklist.
FIX_ENDPOINTS = {
    "lots": "tender_admin.lots",
    "questions": "tender_admin.questionnaire",
    "quality_weight": "tender_admin.evaluation_method",
    "score_descriptors": "tender_admin.evaluation_method",
    "tie_break": "tender_admin.evaluation_method",
    "decision_id": "tender_admin.decision",
    "conflicts_assessment": "tender_admin.conflicts",
}


# Where each task of the draft's task list (``checks.builder_tasks``) is done.
TASK_ENDPOINTS = {
    "details": "tender_admin.details",
    "lots": "tender_admin.lots",
    "timetable": "tender_admin.timetable",
    "evaluation_method": "tender_admin.evaluation_method",
    "questionnaire": "tender_admin.questionnaire",
    "documents": "tender_admin.documents",
    "conflicts": "tender_admin.conflicts",
    "decision": "tender_admin.decision",
    "agreements": "tender_admin.agreements",
    "check": "tender_admin.check",
}


def now() -> datetime:
    """The request's one reading of the clock: the view, the service and the
    template judge the deadline at the same moment."""
    if "tender_now" not in g:
        g.tender_now = clock.now()
    return g.tender_now


@bp.context_processor
def _policies():
    """Every officer page's template asks the same policy functions as the views and services."""
    return {"policies": policies, "now": now()}


def fix_url(tender: Tender, field: str | None) -> str:
    endpoint = FIX_ENDPOINTS.get(
        field or "", "tender_admin.timetable" if field in TIMETABLE_FIELDS else "tender_admin.show"
    )
    return url_for(endpoint, tender_id=tender.id)


def bid_window_warnings(tender: Tender) -> list[str]:
    """The timetable's warnings (``checks.timetable_warnings``) while they can still be acted
    on: for a draft, and for a tender open for bids (its deadline can be extended)."""
    if tender.status_at(now()) not in (TenderStatus.DRAFT, TenderStatus.PUBLISHED):
        return []
    return checks.timetable_warnings(tender, now())


def task_url(tender: Tender, key: str) -> str:
    return url_for(TASK_ENDPOINTS[key], tender_id=tender.id)


def show_url(tender: Tender, endpoint: str = "tender_admin.show") -> str:
    return url_for(endpoint, tender_id=tender.id)


def load_tender(tender_id: int) -> Tender:
    """The tender with everything its pages show, loaded in a fixed number of queries."""
    tender = (
        get_session()
        .scalars(
            select(Tender)
            .where(Tender.id == tender_id)
            .options(
                joinedload(Tender.category),
                joinedload(Tender.decision),
                selectinload(Tender.lots).options(selectinload(Lot.districts), selectinload(Lot.delivery_mode_rows)),
                selectinload(Tender.documents).joinedload(TenderDocument.file),
                selectinload(Tender.amendments),
                selectinload(Tender.sections),
                selectinload(Tender.questions).options(selectinload(Question.lots)),
            )
        )
        .unique()
        .one_or_none()
    )
    if tender is None:
        abort(404)
    return tender


def part_of(items, item_id: int):
    """One of the tender's lots, sections, questions or documents; 404 for another tender's."""
    found = next((item for item in items if item.id == item_id), None)
    if found is None:
        abort(404)
    return found
