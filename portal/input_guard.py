"""Input no page could use is refused at the door, so it never reaches the database.

- Ids in URLs are whole numbers that fit the database's integer columns: a
  larger one matches no route (404) instead of failing inside PostgreSQL.
- A NUL character in the path, the query string or a form (names, values or
  uploaded file names) is a 400: no text the portal keeps may contain one, and
  PostgreSQL refuses it in a string.
"""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL's integer


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` limited to the range of an integer column."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max, signed=signed)


def as_id(value) -> int | None:
    """An id typed into a query string (a filter's choice): a whole number that
    fits the database's integer columns, else None (no such choice)."""
    text = str(value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def _has_nul(values) -> bool:
    return any("\x00" in value for value in values)


def refuse_nul() -> None:
    """before_request: answer 400 to a NUL anywhere a person's text comes in."""
    if "\x00" in request.path or "\x00" in request.query_string.decode("utf-8", "replace").replace("%00", "\x00"):
        abort(400)
    args = request.args
    if _has_nul(args.keys()) or _has_nul(args.values()):
        abort(400)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        form = request.form
        if _has_nul(form.keys()) or _has_nul(form.values()):
            abort(400)
        if any("\x00" in (upload.filename or "") or "\x00" in name for name, upload in request.files.items()):
            abort(400)


def init_app(app: Flask) -> None:
    """Install the converter (before any route is registered) and the NUL check."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_nul)
