"""An assessment summary as a PDF (fpdf2, pure Python): the same words and figures
as the bidder's page, drawn from the same ``SummaryView``.

The PDF uses the core Helvetica font, so nothing depends on a font being
installed. It holds latin-1 only: "£", "÷" and "×" are latin-1 and print as they
are; typographic characters outside it are written as their plain equivalents
("–" as "-", curly quotes as straight ones) and accented letters outside latin-1
lose their accents, so no character is ever dropped silently or refused."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from fpdf import FPDF

from portal.awards.bidder_outcome import Standstill, SummaryView
from portal.filters import format_date, format_datetime
from portal.tenders.models import Tender

PLAIN = {
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2012": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\u2212": "-",  # minus sign
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2033": '"',
    "\u2026": "...",
    "\u2022": "-",  # bullet
    "\u2023": "-",
    "\u2043": "-",
    "\u20ac": "EUR",
    "\u2122": "(TM)",
    "\u2009": " ",
    "\u200a": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u202f": " ",
    "\u200b": "",
    "\u200d": "",
    "\ufeff": "",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u2192": "->",
    "\u0141": "L",  # letters that do not decompose to a latin-1 letter and an accent
    "\u0142": "l",
    "\u0110": "D",
    "\u0111": "d",
    "\u0131": "i",
    "\u0152": "OE",
    "\u0153": "oe",
    "\u2713": "Yes",
    "\u2717": "No",
}


def latin1(text: str) -> str:
    """The text in latin-1, as the core PDF fonts hold it (see the module's note)."""
    out = []
    for char in str(text):
        if char in PLAIN:
            out.append(PLAIN[char])
            continue
        try:
            char.encode("latin-1")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFKD", char)
            kept = "".join(c for c in decomposed if not unicodedata.combining(c))
            try:
                kept.encode("latin-1")
            except UnicodeEncodeError:
                kept = "?"
            out.append(kept or "?")
            continue
        if char == "\t":
            out.append("    ")
        elif unicodedata.category(char) == "Cc" and char != "\n":
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


class _Document(FPDF):
    def footer(self):
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.cell(0, 10, f"Page {self.page_no()} of {{nb}}", align="C")


class _Writer:
    def __init__(self, title: str, author: str):
        self.pdf = _Document(format="A4")
        self.pdf.set_title(latin1(title))
        self.pdf.set_author(latin1(author))
        self.pdf.set_auto_page_break(auto=True, margin=20)
        self.pdf.set_margins(18, 18, 18)
        self.pdf.add_page()

    def text(self, text: str, size: int = 11, bold: bool = False, gap: float = 2):
        self.pdf.set_font("Helvetica", style="B" if bold else "", size=size)
        self.pdf.multi_cell(0, size * 0.5, latin1(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(gap)

    def heading(self, text: str, size: int = 14):
        self.pdf.ln(2)
        self.text(text, size=size, bold=True, gap=1)

    def pair(self, label: str, value: str):
        self.text(label, size=10, bold=True, gap=0.5)
        self.text(value, size=11, gap=2)

    def paragraphs(self, label: str, paragraphs: list[str]):
        self.text(label, size=10, bold=True, gap=0.5)
        for paragraph in paragraphs or ["None given"]:
            self.text(paragraph, size=11, gap=1.5)
        self.pdf.ln(1)

    def rule(self):
        y = self.pdf.get_y()
        self.pdf.line(self.pdf.l_margin, y, self.pdf.w - self.pdf.r_margin, y)
        self.pdf.ln(3)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def summary_pdf(
    view: SummaryView,
    *,
    standstill: Standstill,
    next_steps: list[str],
    sent_at: datetime,
    tender: Tender,
    council: str,
    compress: bool = True,
) -> bytes:
    """The summary as PDF bytes."""
    w = _Writer(f"Assessment summary: {view.tender}, {view.heading}", council)
    w.pdf.set_compression(compress)
    w.text(f"{council}: assessment summary", size=10)
    w.text(view.tender, size=18, bold=True)
    w.text(view.heading, size=14, bold=True)
    w.pair("Outcome", view.outcome)
    if view.reason:
        w.pair(view.reason_label, view.reason)
    w.pair("Sent", format_datetime(sent_at))
    w.rule()

    w.heading("Your scores")
    if view.scores_note:
        w.text(view.scores_note)
    for c in view.criteria:
        w.heading(f"Question {c.number}: {c.text}", size=12)
        w.pair("Weighting", c.weight)
        w.pair("Scores available", c.available)
        if c.minimum:
            w.pair("Minimum score", c.minimum)
        w.pair("Your score", c.score)
        if c.is_scored:
            w.paragraphs("Why your bid got this score", c.explanation)
        if c.winner_score is not None or c.winner_explanation:
            w.pair("The winning bid's score", c.winner_score or "Not scored")
            w.paragraphs("Why the winning bid got this score", c.winner_explanation)

    w.heading("Your totals")
    for label, value in view.totals:
        w.pair(label, value)
    if view.winner_heading:
        w.heading(view.winner_heading)
        for label, value in view.winner_totals:
            w.pair(label, value)

    w.heading("How bids were scored")
    for label, value in view.method:
        w.pair(label, value)
    w.text("Scores available for each question", size=10, bold=True, gap=0.5)
    for score, descriptor in view.scale:
        w.text(f"{score}: {descriptor}", size=11, gap=1)
    w.pdf.ln(2)

    w.heading("What happens next")
    w.pair("Standstill ends", standstill.text)
    if tender.contract_start_date:
        w.pair("Contract start", format_date(tender.contract_start_date))
    for step in next_steps:
        w.text(step)
    w.rule()
    w.text(f"Fingerprint (SHA-256) of the bid assessed: {view.submission_sha256}", size=8)
    return w.output()
