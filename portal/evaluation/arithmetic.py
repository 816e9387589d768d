"""The arithmetic of a lot's results: weighted quality, thresholds, price scores,
totals and the ranking with its tie-break. Pure functions of plain values, so the
published formula can be checked against figures worked out by hand.

Every figure is an exact ``Fraction``; rounding happens only when a figure is
shown or recorded (2 decimal places, half up). The order matters and is the one the
tender publishes (``portal.tenders.price_rule``):

1. a bid that failed selection (pass or fail) goes no further;
2. a moderated score below a question's minimum, or a quality percentage below
   the tender's minimum quality score, drops the bid before price is scored;
3. the lowest price is taken among the bids still in, so a cheap bid that
   failed cannot shrink everyone else's price score;
4. price score = lowest price ÷ this price × price weight; total = quality + price;
5. ranked by total, then by the tender's tie-break rule, then the earlier submission.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from portal.evaluation.models import SCALE_TOP
from portal.tenders.models import TieBreak


@dataclass(frozen=True)
class Criterion:
    """A quality question as it counts in one lot."""

    question_id: int
    label: str  # "question 3"
    weight: int
    minimum_score: int | None = None


@dataclass(frozen=True)
class Candidate:
    """A submitted bid in one lot, as evaluation left it."""

    bid_id: int
    submission_id: int
    submitted_at: datetime
    price_pence: int | None
    moderated: dict[int, int] = field(default_factory=dict)  # question id -> moderated score
    failed_selection: str | None = None  # the reason, when a pass or fail answer was upheld as a failure


@dataclass
class Result:
    bid_id: int
    submission_id: int
    price_pence: int | None
    quality_percent: Fraction | None = None
    quality_score: Fraction | None = None
    price_score: Fraction | None = None
    total_score: Fraction | None = None
    rank: int | None = None
    reason: str = ""

    @property
    def is_eligible(self) -> bool:
        return self.rank is not None


_HUNDREDTH, _ZERO = Decimal("0.01"), Decimal("0.00")


def two_places(value: Fraction | Decimal | None) -> str:
    """A figure as shown: 2 decimal places, half up."""
    if value is None:
        return ""
    if isinstance(value, Decimal) and value.is_finite():
        # A Decimal is exact already: rounded half up (away from zero) in one step, as below.
        rounded = value.quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)
        return str(rounded if rounded else _ZERO)  # never "-0.00", as below
    # From the exact figure, not the stored one: rounding 12.34499 to 4 places first would show 12.35.
    hundredths = Fraction(value) * 100
    whole = math.floor(abs(hundredths) + Fraction(1, 2))  # half up (away from zero)
    return str((Decimal(-whole if hundredths < 0 else whole) / 100).quantize(Decimal("0.01")))


def shown(value) -> str:
    """A figure (exact, or as recorded) on a page: 2 decimal places, half up; a dash for none."""
    return "–" if value is None else two_places(value)


def stored(value: Fraction | None) -> Decimal | None:
    """A figure as recorded once a lot is complete: exactly what is shown (2 decimal
    places, half up, from the exact figure), so a page drawn from the record never
    rounds a rounded figure again (24.69495 stored as 24.6950 would show as 24.70).
    The ranking is decided on the exact figures before they are recorded."""
    if value is None:
        return None
    return Decimal(two_places(value))


def quality_percent(criteria: list[Criterion], moderated: dict[int, int]) -> Fraction:
    """The share of the available quality marks won, as a percentage (0 to 100)."""
    total_weight = sum(c.weight for c in criteria)
    if total_weight == 0:
        return Fraction(0)
    won = sum(Fraction(moderated.get(c.question_id, 0), SCALE_TOP) * c.weight for c in criteria)
    return won / total_weight * 100


def price_score(lowest_pence: int, price_pence: int, price_weight: int) -> Fraction:
    """Lowest price ÷ this price × the price weight (the formula the tender publishes)."""
    return Fraction(lowest_pence, price_pence) * price_weight


def rank_lot(
    candidates: list[Candidate],
    criteria: list[Criterion],
    *,
    quality_weight: int,
    price_weight: int,
    minimum_quality_percent: int,
    tie_break: TieBreak | None,
) -> list[Result]:
    """Every candidate's result, ranked ones first (rank 1 is the best), then those
    that went no further, each with its reason."""
    results = []
    for candidate in candidates:
        result = Result(candidate.bid_id, candidate.submission_id, candidate.price_pence)
        results.append(result)
        if candidate.failed_selection:
            result.reason = candidate.failed_selection
            continue
        result.quality_percent = quality_percent(criteria, candidate.moderated)
        result.quality_score = result.quality_percent * quality_weight / 100
        below = [
            c
            for c in criteria
            if c.minimum_score is not None and candidate.moderated.get(c.question_id, 0) < c.minimum_score
        ]
        if below:
            c = below[0]
            result.reason = (
                f"Scored {candidate.moderated.get(c.question_id, 0)} on {c.label}, below its minimum score of "
                f"{c.minimum_score}"
            )
        elif result.quality_percent < minimum_quality_percent:
            result.reason = (
                f"Below the minimum quality score ({two_places(result.quality_percent)}% of the quality marks, "
                f"where {minimum_quality_percent}% is needed)"
            )
        elif not candidate.price_pence or candidate.price_pence <= 0:
            result.reason = "No price above £0 was given for this lot"
    still_in = [r for r in results if not r.reason]
    if still_in:
        lowest = min(r.price_pence for r in still_in)
        for r in still_in:
            r.price_score = price_score(lowest, r.price_pence, price_weight)
            r.total_score = r.quality_score + r.price_score
    submitted = {c.bid_id: c.submitted_at for c in candidates}

    def order(r: Result):
        if tie_break is TieBreak.PRICE_THEN_QUALITY:
            rule = (r.price_pence, -r.quality_score)
        else:
            rule = (-r.quality_score, r.price_pence)
        return (-r.total_score, *rule, submitted[r.bid_id], r.bid_id)

    for rank, r in enumerate(sorted(still_in, key=order), start=1):
        r.rank = rank
    return sorted(results, key=lambda r: (r.rank is None, r.rank or 0, r.bid_id))
