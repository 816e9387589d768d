"""One pagination helper for every list page, drawn by ``templates/_pagination.html``."""

from __future__ import annotations

from dataclasses import dataclass

MAX_PAGE = 100_000  # a page number past this is a typing slip or a probe, not a real page


def page_number(raw) -> int:
    """The page asked for in the query string: a whole number from 1, else 1."""
    text = str(raw or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6:  # "²" is a digit to Python, not to int()
        return 1
    return min(max(int(text), 1), MAX_PAGE)


@dataclass(frozen=True)
class Page:
    """Which slice of ``total`` rows a page shows."""

    number: int
    size: int
    total: int

    @property
    def count(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (min(self.number, self.count) - 1) * self.size

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.count

    @property
    def first_row(self) -> int:
        return 0 if self.total == 0 else self.offset + 1

    @property
    def last_row(self) -> int:
        return min(self.offset + self.size, self.total)

    def numbers(self) -> list[int | None]:
        """Page numbers to offer, with None for a gap ("…"), as GOV.UK pagination shows them."""
        shown = sorted({1, self.count, self.number - 1, self.number, self.number + 1} & set(range(1, self.count + 1)))
        out: list[int | None] = []
        for n in shown:
            if out and n - out[-1] > 1:
                out.append(None)
            out.append(n)
        return out
