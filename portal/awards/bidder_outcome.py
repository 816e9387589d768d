"""What a bidder reads about its own outcome: its sent assessment summaries, the
standstill (computed from the published award notice, never typed) and what
happens next. The page and the PDF both draw from ``SummaryView``, so they carry
the same words and figures.

Summaries are private: every loader here takes the bidder's organisation and
returns only that organisation's sent summaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from portal.awards.contracts import first_contract_day
from portal.awards.models import AssessmentSummary, AwardNotice, Outcome
from portal.bids.models import Bid
from portal.filters import format_date
from portal.providers.models import Organisation
from portal.tenders.models import Tender
from portal.working_days import MANDATORY_STANDSTILL_DAYS

NOT_SCORED = "Not scored"


# --- Loading -------------------------------------------------------------------------------


# Built once, with their parameters bound at each request: building a statement costs more than running it.
_SENT = select(AssessmentSummary).where(
    AssessmentSummary.bid_id == bindparam("bid_id"),
    AssessmentSummary.organisation_id == bindparam("organisation_id"),
    AssessmentSummary.sent_at.is_not(None),
)
_NOTICE = select(AwardNotice).where(AwardNotice.tender_id == bindparam("tender_id"))


@dataclass(frozen=True)
class OutcomeTender:
    """What the outcome page and its PDF show of the tender."""

    title: str
    reference: str
    contract_start_date: date | None


@dataclass(frozen=True)
class NoticeDates:
    """What the standstill and the next steps read of the award notice (as ``AwardNotice``)."""

    published_at: datetime
    standstill_days: int | None
    standstill_ends_on: date | None


@dataclass(frozen=True)
class SentSummary:
    """A sent assessment summary: what its page and PDF draw from (as ``AssessmentSummary``)."""

    lot_id: int
    outcome: Outcome
    content: dict
    sent_at: datetime


@dataclass(frozen=True)
class BidOutcome:
    """A bid as its outcome page reads it, with the summaries sent to ``organisation_id``."""

    id: int
    organisation_id: int
    organisation_name: str
    tender: OutcomeTender
    notice: NoticeDates | None  # None until the award notice is published
    summaries: list[SentSummary]  # lowest lot number first


_bid, _tender, _organisation = Bid.__table__, Tender.__table__, Organisation.__table__
_notice, _summary = AwardNotice.__table__, AssessmentSummary.__table__
# The bid, its tender, organisation and award notice, and each summary sent to the organisation
# asking (a row per summary; one row with none): columns of tables, read without entities.
_OUTCOME = (
    select(
        _bid.c.organisation_id,
        _organisation.c.name,
        _tender.c.title,
        _tender.c.reference,
        _tender.c.contract_start_date,
        _notice.c.id.label("notice_id"),
        _notice.c.published_at,
        _notice.c.standstill_days,
        _notice.c.standstill_ends_on,
        _summary.c.lot_id,
        _summary.c.outcome,
        _summary.c.content,
        _summary.c.sent_at,
    )
    .select_from(_bid)
    .join(_tender, _tender.c.id == _bid.c.tender_id)
    .join(_organisation, _organisation.c.id == _bid.c.organisation_id)
    .outerjoin(_notice, _notice.c.tender_id == _bid.c.tender_id)
    .outerjoin(
        _summary,
        and_(
            _summary.c.bid_id == _bid.c.id,
            _summary.c.organisation_id == bindparam("organisation_id"),
            _summary.c.sent_at.is_not(None),
        ),
    )
    .where(_bid.c.id == bindparam("bid_id"))
)


def bid_outcome(session: Session, bid_id: int, organisation_id: int | None) -> BidOutcome | None:
    """The bid with its tender, organisation and award notice, and the summaries sent to
    ``organisation_id`` for it (none for another organisation): one query. None: no such bid."""
    rows = session.execute(_OUTCOME, {"bid_id": bid_id, "organisation_id": organisation_id}).all()
    if not rows:
        return None
    first = rows[0]
    summaries = [SentSummary(r.lot_id, r.outcome, r.content, r.sent_at) for r in rows if r.lot_id is not None]
    return BidOutcome(
        id=bid_id,
        organisation_id=first.organisation_id,
        organisation_name=first.name,
        tender=OutcomeTender(first.title, first.reference, first.contract_start_date),
        notice=None
        if first.notice_id is None
        else NoticeDates(first.published_at, first.standstill_days, first.standstill_ends_on),
        summaries=sorted(summaries, key=lambda s: (s.content.get("lot", {}).get("number", 0), s.lot_id)),
    )


def sent_summaries(session: Session, bid_id: int, organisation_id: int) -> list[AssessmentSummary]:
    """The bid's sent summaries, one per lot, lowest lot number first; only the organisation's own."""
    rows = session.scalars(_SENT, {"bid_id": bid_id, "organisation_id": organisation_id})
    return sorted(rows, key=lambda s: (s.content.get("lot", {}).get("number", 0), s.lot_id))


def notice_of(session: Session, tender_id: int) -> AwardNotice | None:
    return session.scalar(_NOTICE, {"tender_id": tender_id})


# --- The standstill and what happens next ---------------------------------------------------


@dataclass(frozen=True)
class Standstill:
    """The standstill as a bidder is told it: ``ends_on`` only once the notice is published."""

    is_notice_published: bool
    ends_on: date | None
    first_contract_day: date | None
    text: str


def standstill(notice: AwardNotice | None) -> Standstill:
    if notice is None:
        return Standstill(
            False,
            None,
            None,
            "After the award notice is published: the standstill then lasts "
            f"{MANDATORY_STANDSTILL_DAYS} working days, unless the council says otherwise",
        )
    if notice.standstill_ends_on is None:
        return Standstill(True, None, None, "There is no standstill period for this contract")
    return Standstill(
        True,
        notice.standstill_ends_on,
        first_contract_day(notice),
        f"End of {format_date(notice.standstill_ends_on)} "
        f"({notice.standstill_days} working days from the award notice, published {format_date(notice.published_at)})",
    )


def next_steps(tender: Tender, notice: AwardNotice | None, outcomes: list[str]) -> list[str]:
    """What happens next, in plain English, for the outcomes of the bid's lots."""
    steps = []
    held = standstill(notice)
    if notice is None:
        steps.append(
            "The council will publish a contract award notice. A standstill period then begins: the council will "
            "not enter any contract until it ends."
        )
    elif held.ends_on:
        steps.append(
            f"The award notice was published on {format_date(notice.published_at)}. The standstill ends at the end of "
            f"{format_date(held.ends_on)}: the council will not enter any contract before "
            f"{format_date(held.first_contract_day)}."
        )
    else:
        steps.append(f"The award notice was published on {format_date(notice.published_at)}.")
    if notice is None or held.ends_on:
        steps.append(
            "If you have a concern about how your bid was assessed, contact the procurement team before the "
            "standstill ends."
        )
    start = format_date(tender.contract_start_date) if tender.contract_start_date else ""
    if Outcome.AWARDED.value in outcomes:
        steps.append(
            "Once the contracts are entered, your new agreement appears on your home page"
            + (f". It starts on {start}." if start else ".")
        )
    elif start:
        steps.append(f"The new contracts start on {start}.")
    return steps


# --- One summary, as the page and the PDF show it ----------------------------------------


@dataclass
class CriterionView:
    number: str
    text: str
    weight: str
    available: str
    minimum: str | None
    score: str
    is_scored: bool
    explanation: list[str]
    winner_score: str | None = None
    winner_explanation: list[str] = field(default_factory=list)


@dataclass
class SummaryView:
    lot_id: int
    heading: str
    tender: str
    outcome: str
    is_successful: bool
    reason: str
    reason_label: str
    criteria: list[CriterionView]
    scores_note: str
    totals: list[tuple[str, str]]
    winner_heading: str | None
    winner_totals: list[tuple[str, str]]
    scale: list[tuple[str, str]]
    method: list[tuple[str, str]]
    submission_sha256: str


def paragraphs(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").replace("\r\n", "\n").split("\n\n") if p.strip()]


def _figure(value, suffix: str = "") -> str:
    return NOT_SCORED if value is None else f"{value}{suffix}"


def summary_view(summary: AssessmentSummary) -> SummaryView:
    """The summary's content (as ``portal.awards.summaries.compose`` wrote it), worded for the bidder."""
    content = summary.content
    lot, tender, method = content["lot"], content["tender"], content["method"]
    totals = content.get("totals") or {}
    outcome = content["outcome"]
    winner = content.get("winner")
    criteria = []
    for c in content.get("criteria", []):
        top = c.get("available", "0 to 5").rsplit(" ", 1)[-1]
        criteria.append(
            CriterionView(
                number=str(c["number"]),
                text=c["text"],
                weight=f"{c['weight']}%",
                available=c.get("available", ""),
                minimum=f"{c['minimum_score']} out of {top}" if c.get("minimum_score") is not None else None,
                score=NOT_SCORED if c.get("score") is None else f"{c['score']} out of {top}",
                is_scored=c.get("score") is not None,
                explanation=paragraphs(c.get("explanation")),
                winner_score=(None if c.get("winner_score") is None else f"{c['winner_score']} out of {top}")
                if winner
                else None,
                winner_explanation=paragraphs(c.get("winner_explanation")) if winner else [],
            )
        )
    rank = totals.get("rank")
    total_rows = [
        ("Quality (percentage of the quality marks)", _figure(totals.get("quality_percent"), "%")),
        (f"Quality score (out of {method['quality_weight']})", _figure(totals.get("quality_score"))),
        (f"Price score (out of {method['price_weight']})", _figure(totals.get("price_score"))),
        ("Total score (out of 100)", _figure(totals.get("total_score"))),
        ("Rank", f"{rank} of {totals.get('ranked')}" if rank is not None else "Not ranked"),
    ]
    winner_rows = []
    if winner:
        winner_rows = [
            (f"Quality score (out of {method['quality_weight']})", _figure(winner.get("quality_score"))),
            (f"Price score (out of {method['price_weight']})", _figure(winner.get("price_score"))),
            ("Total score (out of 100)", _figure(winner.get("total_score"))),
        ]
    reason_label = {
        Outcome.NOT_AWARDED.value: "Why your bid did not win",
        Outcome.FAILED_SELECTION.value: "Why your bid did not pass selection",
        Outcome.BELOW_THRESHOLD.value: "Why your bid went no further",
        Outcome.NO_AWARD.value: "Why no award was made",
    }.get(outcome, "Reason")
    return SummaryView(
        lot_id=summary.lot_id,
        heading=f"Lot {lot['number']}: {lot['title']}",
        tender=f"{tender['title']} ({tender['reference']})",
        outcome=outcome,
        is_successful=outcome == Outcome.AWARDED.value,
        reason=content.get("reason") or "",
        reason_label=reason_label,
        criteria=criteria,
        scores_note=""
        if any(c.is_scored for c in criteria)
        else (
            "Your bid was not scored against these questions because it did not pass selection."
            if outcome == Outcome.FAILED_SELECTION.value
            else "Your bid was not scored against these questions."
        ),
        totals=total_rows,
        winner_heading=f"The winning bid: {winner['organisation']}" if winner else None,
        winner_totals=winner_rows,
        scale=[(score, text) for score, text in (method.get("scale") or {}).items()],
        method=[
            ("Quality", f"{method['quality_weight']}% of the total"),
            ("Price", f"{method['price_weight']}% of the total, scored as {method['price_formula']}"),
            ("Minimum quality", f"{method['minimum_quality_score']}% of the quality marks"),
        ],
        submission_sha256=content.get("submission_sha256", ""),
    )


# --- What the bid page asks (``portal.bids.signals.outcome_requested``) -------------------


@dataclass(frozen=True)
class AwardProgress:
    standstill: Standstill
    is_summaries_sent: bool
    outcomes: list[tuple[str, str]]  # (lot heading, outcome), once the summaries are sent


def progress(session: Session, bid_id: int, organisation_id: int, tender_id: int) -> AwardProgress:
    summaries = sent_summaries(session, bid_id, organisation_id)
    return AwardProgress(
        standstill=standstill(notice_of(session, tender_id)),
        is_summaries_sent=bool(summaries),
        outcomes=[
            (f"Lot {s.content['lot']['number']}: {s.content['lot']['title']}", s.outcome.value) for s in summaries
        ],
    )
