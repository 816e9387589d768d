"""Money: one parser and one upper bound for the whole portal.

Amounts are kept as integer pence (never float). People type pounds: "£250,000",
"1500.50", "1 500", and, as the pages write large amounts, "£1.5m" or "£250k".
The bound is far above any council contract and catches a slipped key; it keeps
every amount well inside a 64-bit column.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

MAX_PENCE = 1_000_000_000 * 100  # £1bn
MAX_POUNDS_TEXT = "£1,000,000,000"

# "£27.3m" is how the pages show money (portal/filters.py), so it is also what people type back.
_MULTIPLIERS = {
    "k": 1_000,
    "thousand": 1_000,
    "m": 1_000_000,
    "million": 1_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
}
_SUFFIX = re.compile(r"^(?P<number>.*?\d)(?P<suffix>k|thousand|m|million|bn|billion)$")


class MoneyError(ValueError):
    """Not an amount the portal accepts; ``reason`` says why."""

    NOT_MONEY = "not money"
    NEGATIVE = "negative"
    FRACTION = "fraction of a penny"
    TOO_LARGE = "too large"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def parse_pounds(text) -> int | None:
    """An amount in pounds as integer pence; None when nothing was typed.

    Raises:
        MoneyError: not a number, negative, a fraction of a penny, or over £1bn.
    """
    cleaned = str(text if text is not None else "").strip().replace(",", "").replace(" ", "").removeprefix("£").lower()
    if not cleaned:
        return None
    multiplier = 1
    suffixed = _SUFFIX.match(cleaned)
    if suffixed:
        cleaned, multiplier = suffixed["number"], _MULTIPLIERS[suffixed["suffix"]]
    if len(cleaned) > 30:  # a long string of digits is a slip, and Decimal would parse it slowly
        raise MoneyError(
            MoneyError.TOO_LARGE if cleaned.lstrip("-").replace(".", "").isdigit() else MoneyError.NOT_MONEY
        )
    try:
        pounds = Decimal(cleaned)
    except InvalidOperation as error:
        raise MoneyError(MoneyError.NOT_MONEY) from error
    if not pounds.is_finite():
        raise MoneyError(MoneyError.NOT_MONEY)
    try:
        pounds *= multiplier
    except ArithmeticError as error:  # "1e999999m": too large for the decimal context
        raise MoneyError(MoneyError.TOO_LARGE) from error
    if pounds < 0:
        raise MoneyError(MoneyError.NEGATIVE)
    if pounds > MAX_PENCE / 100:
        raise MoneyError(MoneyError.TOO_LARGE)
    if pounds != pounds.quantize(Decimal("0.01")):
        raise MoneyError(MoneyError.FRACTION)
    return int(pounds * 100)


def problem_with(label: str, error: MoneyError) -> str:
    """The message for a form field or an imported cell, in plain words."""
    return {
        MoneyError.NEGATIVE: f"{label} must not be negative",
        MoneyError.FRACTION: f"{label} must be an amount in pounds and pence, like 1500.50",
        MoneyError.TOO_LARGE: f"{label} must be {MAX_POUNDS_TEXT} or less",
    }.get(error.reason, f"{label} must be an amount in pounds, like 250000")


def pence_as_pounds_text(pence: int | None) -> str:
    """What a money field shows when it is filled from a saved amount."""
    if pence is None:
        return ""
    pounds = Decimal(pence) / 100
    return f"{pounds:.0f}" if pounds == pounds.to_integral_value() else f"{pounds:.2f}"
