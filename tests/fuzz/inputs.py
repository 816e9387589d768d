"""The bad values the fuzz campaign sends: what a stranger, a broken client or a
pasted document could put in a field, a date, a file, a query string or a URL."""

from __future__ import annotations

import io

MEGABYTE = "x" * (1024 * 1024)

# name -> a value for any text-like field, select, radio or checkbox.
VALUES = {
    "NUL": "a\x00b",
    "1 MB": MEGABYTE,
    "25 digits": "1234567890123456789012345",
    "negative number": "-12.50",
    "31 February as text": "31/02/2026",
    "RTL override and Arabic": "\u202eمرحبا\u202c عالم",
    # Long, but far under the form size limit, so it reaches the columns (and their lengths, on PostgreSQL).
    "10 KB of emoji and combining marks": ("👩🏽‍💻 Z\u0324\u0354\u0367\u0311 e\u0301 " * 400)[:10_000],
}

# In a query string, the longest value a web server in front of the portal lets through (URLs of 8 KB).
QUERY_VALUES = {**{kind: value for kind, value in VALUES.items() if len(value) < 8000}, "8 KB": "q" * 8000}

# name -> (day, month, year) for a GOV.UK date input.
DATES = {
    "31 February": ("31", "2", "2026"),
    "negative year": ("1", "1", "-1"),
    "25-digit day": ("1234567890123456789012345", "1", "2026"),
    "25-digit year": ("1", "1", "1234567890123456789012345"),
    "NUL in the month": ("1", "\x00", "2026"),
    "Arabic-Indic digits": ("١٢", "٣", "٢٠٢٦"),
}

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def files() -> dict[str, tuple[io.BytesIO, str] | str]:
    """name -> what to send in a file input (fresh streams every call)."""
    return {
        "NUL in the file name": (io.BytesIO(PDF), "a\x00b.pdf"),
        "RTL override in the file name": (io.BytesIO(PDF), "\u202efdp.exe"),
        "1 MB file name": (io.BytesIO(PDF), MEGABYTE[:10_000] + ".pdf"),
        "empty file": (io.BytesIO(b""), "empty.pdf"),
        "not a PDF": (io.BytesIO(b"MZ\x90\x00" * 100), "report.pdf"),
        "1 MB of zeros": (io.BytesIO(b"\x00" * (1024 * 1024)), "zeros.pdf"),
        "text instead of a file": "just text",
    }


# Ids in URLs, for every <int:...> argument; text for every other argument.
IDS = {"0": "0", "-1": "-1", "2**31": str(2**31), "2**63": str(2**63), "10**25": str(10**25), "not a number": "abc"}
SEGMENTS = {
    "NUL": "a%00b",
    "25 digits": "1234567890123456789012345",
    "RTL": "%E2%80%AEabc",
    "emoji": "%F0%9F%91%A9",
    "10 KB": "z" * 10_000,
    "dots": "..%2F..%2Fetc",
}
