"""The price formula a tender publishes, with a worked example in its own figures.

Evaluation applies the formula (``portal.evaluation.arithmetic``); this module
only words it for bidders and officers, so what is published and what is
computed are tested against each other (tests/evaluation/test_arithmetic.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from portal.tenders.models import Tender

# The example's prices: a lowest eligible price of £80,000 and this bid's £100,000.
EXAMPLE_LOWEST_PENCE = 8_000_000
EXAMPLE_PRICE_PENCE = 10_000_000


@dataclass(frozen=True)
class PriceRule:
    formula: str
    exclusions: str
    example: str
    rounding: str
    tie_break: str


def example_score(price_weight: int) -> Fraction:
    """The worked example's price score: lowest ÷ this price × the price weight."""
    return Fraction(EXAMPLE_LOWEST_PENCE, EXAMPLE_PRICE_PENCE) * price_weight


def price_rule(tender: Tender) -> PriceRule:
    """The words bidders read about how price is scored and ties are broken."""
    weight = tender.price_weight
    score = example_score(weight)
    return PriceRule(
        formula=f"Price score = lowest price ÷ your price × {weight} (the price weight).",
        exclusions=(
            "The lowest price is the lowest annual price for the lot among bids still in the evaluation: bids that "
            "failed a pass or fail question, or scored below a minimum quality score, are not scored on price and "
            "do not set the lowest price. A price must be more than £0."
        ),
        example=(
            f"For example, if the lowest price is £80,000 and your price is £100,000, your price score is "
            f"80,000 ÷ 100,000 × {weight} = {float(score):.2f}."
        ),
        rounding=(
            "Scores are calculated exactly and rounded to 2 decimal places only when shown. The total score is the "
            "weighted quality score plus the price score."
        ),
        tie_break=(
            f"If two bids have the same total score: {tender.tie_break.value[0].lower()}{tender.tie_break.value[1:]}. "
            "Bids still equal after that are ranked by the earlier submission."
            if tender.tie_break
            else "The tie-break rule has not been chosen yet."
        ),
    )
