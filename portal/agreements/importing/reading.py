"""Reading an uploaded register: CSV or Excel, judged by its content, not its name."""

from __future__ import annotations

import csv
import io
import zipfile

from portal import files
from portal.errors import RuleViolation

MAX_IMPORT_BYTES = 10 * 1024 * 1024
NOT_A_TABLE = "The selected file must be a CSV or Excel (.xlsx) file"


class ImportRefused(RuleViolation):
    """The file as a whole cannot be read: wrong type, empty, too big, wrong columns.

    It is a RuleViolation on the form's file field."""

    def __init__(self, message: str):
        super().__init__("file", message)


def read_table(filename: str, content: bytes) -> list[list]:
    """Rows of cells from a CSV or .xlsx file, judged by content, not by name
    (``filename`` is only for the record). Blank rows are left out.

    Raises:
        ImportRefused: empty, too large, or neither CSV nor Excel.
    """
    if not content:
        raise ImportRefused("The selected file is empty")
    if len(content) > MAX_IMPORT_BYTES:
        raise ImportRefused(f"The selected file must be smaller than {MAX_IMPORT_BYTES // (1024 * 1024)}MB")
    if content[:4] == b"PK\x03\x04":
        return _read_xlsx(content)
    if b"\x00" in content[:4096]:
        raise ImportRefused(NOT_A_TABLE)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportRefused(NOT_A_TABLE)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect) if any(cell.strip() for cell in row)]


def _read_xlsx(content: bytes) -> list[list]:
    from openpyxl import load_workbook

    # openpyxl decompresses what it reads whole: an archive declaring a bomb's sizes is refused unread.
    if not files.zip_looks_safe(content):
        raise ImportRefused(NOT_A_TABLE)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise ImportRefused(NOT_A_TABLE)
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise ImportRefused(NOT_A_TABLE) from error
    sheet = workbook.worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True) if any(cell not in (None, "") for cell in row)]
    workbook.close()
    return rows
