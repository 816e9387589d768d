"""The one money parser: what people type, as the pages write money ("£27.3m")."""

from __future__ import annotations

import pytest

from portal.filters import format_money
from portal.money import MoneyError, parse_pounds


@pytest.mark.parametrize(
    "typed, pence",
    [
        ("", None),
        ("   ", None),
        (None, None),
        ("1500000", 1_500_000_00),
        ("£250,000", 250_000_00),
        ("1 500", 1_500_00),
        ("1500.50", 1_500_50),
        ("£1.5m", 1_500_000_00),
        ("1.5M", 1_500_000_00),
        ("£1.5 m", 1_500_000_00),
        ("2m", 2_000_000_00),
        ("£27.3m", 27_300_000_00),
        ("£250k", 250_000_00),
        ("250K", 250_000_00),
        ("12.5k", 12_500_00),
        ("£1.5 million", 1_500_000_00),
        ("3 thousand", 3_000_00),
        ("1bn", 1_000_000_000_00),
        ("£0.0015m", 1_500_00),
    ],
)
def test_amounts_are_read_as_people_type_them(typed, pence):
    assert parse_pounds(typed) == pence


@pytest.mark.parametrize("pence", [15_900_000_00, 27_300_000_00, 1_000_000_00, 250_000_00, 99_999_00])
def test_what_the_pages_show_reads_back(pence):
    """Every amount a page shows reads back (rounded as shown) to the same text."""
    shown = format_money(pence)
    assert format_money(parse_pounds(shown)) == shown


@pytest.mark.parametrize(
    "typed, reason",
    [
        ("lots", MoneyError.NOT_MONEY),
        ("m", MoneyError.NOT_MONEY),
        ("£m", MoneyError.NOT_MONEY),
        ("1.5mm", MoneyError.NOT_MONEY),
        ("1.5x", MoneyError.NOT_MONEY),
        ("k1", MoneyError.NOT_MONEY),
        ("NaN", MoneyError.NOT_MONEY),
        ("nanm", MoneyError.NOT_MONEY),
        ("infm", MoneyError.NOT_MONEY),
        ("-5", MoneyError.NEGATIVE),
        ("-1.5m", MoneyError.NEGATIVE),
        ("1.5bn", MoneyError.TOO_LARGE),
        ("1001m", MoneyError.TOO_LARGE),
        ("9e99m", MoneyError.TOO_LARGE),
        ("9e99", MoneyError.TOO_LARGE),
        ("1e999999m", MoneyError.TOO_LARGE),  # beyond the decimal context once multiplied
        ("1.000000001m", MoneyError.FRACTION),
        ("1.001", MoneyError.FRACTION),
        ("1" * 40 + "m", MoneyError.TOO_LARGE),
    ],
)
def test_what_is_not_an_amount_says_why(typed, reason):
    with pytest.raises(MoneyError) as raised:
        parse_pounds(typed)
    assert raised.value.reason == reason
