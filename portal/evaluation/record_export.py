"""The evaluation record as an Excel workbook, for the officer (s.98 records):
individual scores, moderated scores with reasons, each lot's results and
ranking, selection decisions and the conflict declarations. Text cells are
written so that none runs as a formula."""

from __future__ import annotations

from flask import Response
from sqlalchemy import select
from sqlalchemy.orm import object_session

from portal.accounts.models import User
from portal.downloads import xlsx
from portal.evaluation import arithmetic, moderation
from portal.evaluation.state import TenderEvaluation
from portal.filters import format_datetime

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _when(moment) -> str:
    return format_datetime(moment) if moment else ""


def sheets(state: TenderEvaluation) -> list[tuple[str, list[str], list[list]]]:
    names = {m.user_id: m.user.full_name for m in state.members}
    # The moderator, the officers who decided selection or handled conflicts are rarely on the panel.
    others = {m.moderator_id for m in state.moderated.values()} | {d.decided_by_id for d in state.decisions.values()}
    others |= {d.handled_by_id for d in state.declarations}
    others -= {None, *names}
    if others:
        session = object_session(state.tender)
        names.update(session.execute(select(User.id, User.full_name).where(User.id.in_(others))).all())
    bids = {b.submission_id: b for b in state.bids}
    questions = {q.id: q for q in state.questions}

    def question_label(question_id: int) -> str:
        q = questions.get(question_id)
        return f"{state.question_number(q)}. {q.text}" if q else str(question_id)

    individual = [
        [
            bids[s.submission_id].organisation if s.submission_id in bids else "",
            question_label(s.question_id),
            names.get(s.evaluator_id, f"User {s.evaluator_id}"),
            s.score,
            s.explanation,
            s.improvement,
            _when(s.saved_at),
            _when(s.locked_at),
            s.submission_sha256,
        ]
        for s in sorted(state.scores, key=lambda s: (s.submission_id, s.question_id, s.evaluator_id))
    ]
    moderated = [
        [
            bids[m.submission_id].organisation if m.submission_id in bids else "",
            question_label(m.question_id),
            m.score,
            m.reason,
            names.get(m.moderator_id, "") if m.moderator_id else "",
            _when(m.moderated_at),
        ]
        for m in sorted(state.moderated.values(), key=lambda m: (m.submission_id, m.question_id))
    ]
    results = []
    for lot in state.lots:
        stored = state.results.get(lot.id)
        by_bid = {b.bid_id: b for b in state.bids}
        if stored:
            for r in stored:
                results.append(
                    [
                        f"Lot {lot.number}",
                        by_bid[r.bid_id].organisation if r.bid_id in by_bid else "",
                        r.rank or "",
                        r.quality_percent,
                        r.quality_score,
                        (r.price_pence or 0) / 100 if r.price_pence is not None else "",
                        r.price_score,
                        r.total_score,
                        r.reason,
                        "Final",
                    ]
                )
        else:
            for r in moderation.results(state, lot):
                results.append(
                    [
                        f"Lot {lot.number}",
                        by_bid[r.bid_id].organisation if r.bid_id in by_bid else "",
                        r.rank or "",
                        arithmetic.stored(r.quality_percent),
                        arithmetic.stored(r.quality_score),
                        r.price_pence / 100 if r.price_pence is not None else "",
                        arithmetic.stored(r.price_score),
                        arithmetic.stored(r.total_score),
                        r.reason,
                        "Provisional (evaluation not complete)",
                    ]
                )
    organisations = dict(state.bidding_organisations)
    selection_rows = [
        [
            bids[d.submission_id].organisation if d.submission_id in bids else "",
            question_label(d.question_id),
            "Failure upheld" if d.is_upheld else "Failure overridden",
            d.reason,
            names.get(d.decided_by_id, "") if d.decided_by_id else "",
            _when(d.decided_at),
        ]
        for d in state.decisions.values()
    ]
    declarations = [
        [
            names.get(d.user_id, f"User {d.user_id}"),
            organisations.get(d.organisation_id, ""),
            "Yes" if d.has_interest else "No",
            d.details,
            _when(d.declared_at),
            d.handling or "",
            _when(d.handled_at),
        ]
        for d in sorted(state.declarations, key=lambda d: (d.user_id, d.organisation_id))
    ]
    return [
        (
            "Individual scores",
            [
                "Bidder",
                "Question",
                "Evaluator",
                "Score",
                "Explanation",
                "What would score higher",
                "Saved",
                "Submitted",
                "Submission SHA-256",
            ],
            individual,
        ),
        ("Moderated scores", ["Bidder", "Question", "Agreed score", "Reason", "Moderator", "Recorded"], moderated),
        (
            "Results",
            [
                "Lot",
                "Bidder",
                "Rank",
                "Quality (% of marks)",
                "Quality score",
                "Annual price (£)",
                "Price score",
                "Total score",
                "Why not ranked",
                "Status",
            ],
            results,
        ),
        ("Selection", ["Bidder", "Question", "Decision", "Reason", "Decided by", "Decided"], selection_rows),
        (
            "Declarations",
            ["Evaluator", "Organisation", "Interest", "Details", "Declared", "How handled", "Handled"],
            declarations,
        ),
    ]


def response(state: TenderEvaluation) -> Response:
    """The workbook as a private download."""
    response = Response(xlsx(sheets(state)), mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="evaluation-record-{state.tender.reference}.xlsx"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
