"""Links that leave the site (in emails), built from the configured ``BASE_URL``.

They never depend on a request: a ``flask`` command or the worker builds the
same link as a page would, and a forged ``Host`` header cannot change where an
emailed link points.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint`` on the portal's public address."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path.rstrip("/") or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)
