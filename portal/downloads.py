"""Sending a stored file back to a browser: always as an attachment, never sniffed."""

from __future__ import annotations

import io
import logging

from flask import abort, send_file

from portal import files
from portal.files import StoredFile

log = logging.getLogger(__name__)


def attachment(stored: StoredFile, private: bool = False):
    """The file as a download under its stored (sanitised) name and the type
    found from its content. ``private`` keeps it out of every cache (drafts); a public file may be
    kept briefly by the browser, never by a shared cache (the response may carry a cookie).
    """
    try:
        content = files.read(stored)
    except FileNotFoundError:
        log.error("stored file %s (%s) is missing from the upload store", stored.id, stored.sha256)
        abort(404)
    response = send_file(
        io.BytesIO(content),
        mimetype=stored.content_type,
        as_attachment=True,
        download_name=stored.filename,
        etag=False,
        conditional=False,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store" if private else "private, max-age=300"
    return response


# --- Spreadsheets -----------------------------------------------------------------------------

# A cell starting with one of these would run as a formula when the file is opened (OWASP's
# "CSV injection"): such text is written with a leading apostrophe, which shows it as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value):
    """A value safe to put in a spreadsheet cell: text never runs as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def xlsx(sheets: list[tuple[str, list[str], list[list]]]) -> bytes:
    """An Excel workbook of (sheet name, header, rows), every cell made safe."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for name, header, rows in sheets:
        sheet = workbook.create_sheet(name)
        sheet.append(header)
        for row in rows:
            sheet.append([spreadsheet_cell(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
