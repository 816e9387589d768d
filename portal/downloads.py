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
