"""The arithmetic of a lot's results, against figures worked out by hand.

E8 (../shared/docs/reviews/evaluation-award-research.md §4): price weight 30,
quality weight 70. A: quality 60 of 70, £100,000; B: quality 52, £70,000.
By hand: A's price score = 70,000 ÷ 100,000 × 30 = 21, total 81; B's = 30,
total 82; B ranks first. A cheap bid C (£35,000) that fails selection or falls
below the quality threshold must change neither; were C eligible it would set
the lowest price: A = 35/100 × 30 = 10.5 → 70.5, B = 35/70 × 30 = 15 → 67.

The questions' weights here are 20 and 50 (70 in all) so that whole scores
give quality 60 and 52 exactly: A (5, 4) wins 20 + 40 = 60 of 70 weighted
marks = 6/7 of the quality marks, 6/7 × 70 = 60; B (3, 4) wins 12 + 40 = 52.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from portal.evaluation import arithmetic
from portal.evaluation.arithmetic import Candidate, Criterion, rank_lot, two_places
from portal.tenders import price_rule
from portal.tenders.models import TieBreak

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
Q1, Q2 = 101, 102
CRITERIA = [Criterion(Q1, "question 1", 20), Criterion(Q2, "question 2", 50)]

A = Candidate(1, 11, T0, 100_000_00, {Q1: 5, Q2: 4})
B = Candidate(2, 12, T0 + timedelta(minutes=1), 70_000_00, {Q1: 3, Q2: 4})
C_SCORES = {Q1: 1, Q2: 1}  # 1×20 + 1×50 = 70 of 350 weighted marks: 20% of the quality marks, 14 quality points


def rank(candidates, criteria=CRITERIA, *, minimum=50, tie_break=TieBreak.QUALITY_THEN_PRICE, price_weight=30):
    results = rank_lot(
        candidates,
        criteria,
        quality_weight=100 - price_weight,
        price_weight=price_weight,
        minimum_quality_percent=minimum,
        tie_break=tie_break,
    )
    return results, {r.bid_id: r for r in results}


# --- E8 ----------------------------------------------------------------------------------------


def test_e8_two_bids_by_hand():
    results, by_bid = rank([A, B])
    a, b = by_bid[1], by_bid[2]
    assert a.quality_score == 60 and b.quality_score == 52
    assert a.price_score == 21 and b.price_score == 30
    assert a.total_score == 81 and b.total_score == 82
    assert [r.bid_id for r in results] == [2, 1]
    assert (b.rank, a.rank) == (1, 2)
    assert two_places(a.total_score) == "81.00" and two_places(b.total_score) == "82.00"


@pytest.mark.parametrize(
    "c",
    [
        Candidate(3, 13, T0 + timedelta(minutes=2), 35_000_00, {Q1: 5, Q2: 5}, failed_selection="Failed question 1"),
        Candidate(3, 13, T0 + timedelta(minutes=2), 35_000_00, C_SCORES),  # 20% < 50%
    ],
    ids=["failing selection", "below the quality threshold"],
)
def test_e8_a_cheap_bid_that_goes_no_further_changes_nothing(c):
    results, by_bid = rank([A, B, c])
    assert (by_bid[1].price_score, by_bid[1].total_score) == (21, 81)
    assert (by_bid[2].price_score, by_bid[2].total_score) == (30, 82)
    assert [r.bid_id for r in results] == [2, 1, 3]
    dropped = by_bid[3]
    assert dropped.rank is None and not dropped.is_eligible
    assert dropped.price_score is None and dropped.total_score is None
    assert dropped.reason


def test_e8_the_same_cheap_bid_made_eligible_sets_the_lowest_price_to_the_penny():
    c = Candidate(3, 13, T0 + timedelta(minutes=2), 35_000_00, C_SCORES)
    results, by_bid = rank([A, B, c], minimum=0)
    assert by_bid[1].price_score == Fraction(21, 2) and by_bid[1].total_score == Fraction(141, 2)
    assert by_bid[2].price_score == 15 and by_bid[2].total_score == 67
    assert by_bid[3].quality_score == 14 and by_bid[3].price_score == 30 and by_bid[3].total_score == 44
    assert [r.bid_id for r in results] == [1, 2, 3]  # with C in, A now ranks above B
    assert [two_places(by_bid[i].total_score) for i in (1, 2, 3)] == ["70.50", "67.00", "44.00"]


# --- Quality -----------------------------------------------------------------------------------


def test_quality_percent_is_the_weighted_share_of_the_marks():
    criteria = [Criterion(1, "question 1", 60), Criterion(2, "question 2", 40)]
    assert arithmetic.quality_percent(criteria, {1: 5, 2: 5}) == 100
    assert arithmetic.quality_percent(criteria, {1: 3, 2: 4}) == Fraction(3 * 60 + 4 * 40, 5 * 100) * 100  # 68
    assert arithmetic.quality_percent(criteria, {1: 3, 2: 4}) == 68
    assert arithmetic.quality_percent(criteria, {1: 4}) == 48  # an unscored answer counts 0
    assert arithmetic.quality_percent([], {1: 5}) == 0


def test_a_score_below_a_questions_minimum_drops_the_bid_with_the_reason():
    criteria = [Criterion(Q1, "question 1", 20, minimum_score=3), Criterion(Q2, "question 2", 50)]
    low = Candidate(3, 13, T0, 10_000_00, {Q1: 2, Q2: 5})  # 85.71%, far above the threshold, and the cheapest
    _, by_bid = rank([A, B, low], criteria)
    assert by_bid[3].rank is None
    assert by_bid[3].reason == "Scored 2 on question 1, below its minimum score of 3"
    assert by_bid[3].price_score is None
    assert (by_bid[1].total_score, by_bid[2].total_score) == (81, 82)  # the cheap dropped bid set no lowest price


def test_a_score_at_the_minimum_is_enough():
    criteria = [Criterion(Q1, "question 1", 20, minimum_score=3), Criterion(Q2, "question 2", 50)]
    _, by_bid = rank([B], criteria)  # B scored exactly 3 on question 1
    assert by_bid[2].rank == 1 and by_bid[2].reason == ""


def test_below_the_minimum_quality_score_drops_the_bid_with_the_reason():
    _, by_bid = rank([A, B], minimum=80)  # B: 52/70 = 74.29% of the quality marks
    assert by_bid[2].rank is None
    assert by_bid[2].reason == "Below the minimum quality score (74.29% of the quality marks, where 80% is needed)"
    assert by_bid[1].rank == 1 and by_bid[1].price_score == 30  # A is now the lowest eligible price


def test_exactly_the_minimum_quality_score_stays_in():
    criteria = [Criterion(1, "question 1", 100)]
    _, by_bid = rank([Candidate(1, 11, T0, 5_000_00, {1: 3})], criteria, minimum=60)  # 3/5 = 60%
    assert by_bid[1].rank == 1


# --- Price ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("price", [0, None])
def test_no_price_or_a_zero_price_goes_no_further(price):
    _, by_bid = rank([A, B, Candidate(3, 13, T0, price, {Q1: 5, Q2: 5})])
    assert by_bid[3].rank is None and by_bid[3].price_score is None
    assert by_bid[3].reason == "No price above £0 was given for this lot"
    assert (by_bid[1].total_score, by_bid[2].total_score) == (81, 82)  # no division by zero, no lowest price of 0


def test_price_score_is_exact():
    assert arithmetic.price_score(1, 3, 30) == Fraction(10)  # never 9.999…
    assert arithmetic.price_score(7_000_000, 9_000_000, 30) == Fraction(70, 3)
    assert two_places(arithmetic.price_score(7_000_000, 9_000_000, 30)) == "23.33"


def test_the_published_worked_example_is_what_evaluation_computes():
    for weight in (0, 10, 30, 45, 60):
        assert price_rule.example_score(weight) == arithmetic.price_score(8_000_000, 10_000_000, weight)
    assert price_rule.example_score(30) == 24


# --- Ties ----------------------------------------------------------------------------------------

# One question weighted 100, quality weight 70, price weight 30. Equal totals of 86:
# X scores 5 (quality 70) at £187,500: 100,000 ÷ 187,500 × 30 = 16, total 86;
# Y scores 4 (quality 56) at £100,000, the lowest: 30, total 86.
# The bid the rule favours is always the later submission, so the rule, not the fallback, decides.
ONE = [Criterion(1, "question 1", 100)]


def tie_pair(x_minute: int, y_minute: int):
    x = Candidate(1, 11, T0 + timedelta(minutes=x_minute), 187_500_00, {1: 5})
    y = Candidate(2, 12, T0 + timedelta(minutes=y_minute), 100_000_00, {1: 4})
    return x, y


def test_a_tie_quality_then_price_ranks_the_higher_quality_first():
    x, y = tie_pair(x_minute=5, y_minute=1)
    results, by_bid = rank([x, y], ONE, tie_break=TieBreak.QUALITY_THEN_PRICE)
    assert by_bid[1].total_score == by_bid[2].total_score == 86
    assert [r.bid_id for r in results] == [1, 2]


def test_a_tie_price_then_quality_ranks_the_lower_price_first():
    x, y = tie_pair(x_minute=1, y_minute=5)
    results, by_bid = rank([x, y], ONE, tie_break=TieBreak.PRICE_THEN_QUALITY)
    assert by_bid[1].total_score == by_bid[2].total_score == 86
    assert [r.bid_id for r in results] == [2, 1]


@pytest.mark.parametrize("tie_break", [TieBreak.QUALITY_THEN_PRICE, TieBreak.PRICE_THEN_QUALITY, None])
def test_still_equal_after_the_rule_the_earlier_submission_ranks_first(tie_break):
    later = Candidate(1, 11, T0 + timedelta(minutes=9), 100_000_00, {1: 4})
    earlier = Candidate(2, 12, T0 + timedelta(minutes=3), 100_000_00, {1: 4})
    results, _ = rank([later, earlier], ONE, tie_break=tie_break)
    assert [r.bid_id for r in results] == [2, 1]
    assert [r.rank for r in results] == [1, 2]


def test_ranking_does_not_depend_on_the_order_given():
    c = Candidate(3, 13, T0 + timedelta(minutes=2), 35_000_00, C_SCORES)
    forwards, _ = rank([A, B, c], minimum=0)
    backwards, _ = rank([c, B, A], minimum=0)
    assert [r.bid_id for r in forwards] == [r.bid_id for r in backwards] == [1, 2, 3]


# --- Rounding ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Fraction(1, 200), "0.01"),  # 0.005 → up
        (Fraction(-1, 200), "-0.01"),  # half away from zero
        (Fraction(1249, 100), "12.49"),
        (Fraction(12345, 1000), "12.35"),  # 12.345 → 12.35 (not banker's 12.34)
        (Fraction(12325, 1000), "12.33"),  # 12.325 → 12.33 (not banker's 12.32)
        (Fraction(2, 3), "0.67"),
        (Fraction(141, 2), "70.50"),
        (Fraction(67), "67.00"),
        (Fraction(1234499, 100000), "12.34"),  # rounded once, from the exact figure (not 12.3450 → 12.35)
        (Fraction(-1234499, 100000), "-12.34"),
        (Decimal("84.0000"), "84.00"),  # a stored figure shows as well
    ],
)
def test_two_places_rounds_half_up(value, shown):
    assert two_places(value) == shown


def test_nothing_to_show_is_blank_and_stored_keeps_four_places():
    assert two_places(None) == "" and arithmetic.stored(None) is None
    assert arithmetic.stored(Fraction(2, 3)) == Decimal("0.67")
    assert arithmetic.stored(Fraction(600, 7)) == Decimal("85.71")
    # Recorded as shown, from the exact figure: never a rounded figure rounded again.
    assert arithmetic.stored(Fraction(2469495, 100000)) == Decimal("24.69")
