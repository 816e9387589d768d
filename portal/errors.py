"""Errors the services raise, and the error pages in the service's own style."""

from __future__ import annotations

import logging

from flask import Flask, current_app, render_template
from werkzeug.exceptions import HTTPException

from portal.db import discard

log = logging.getLogger(__name__)


class RuleViolation(Exception):
    """A business rule refused the change. ``field`` names the form field to
    attach the message to (None for the whole form)."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class RuleViolations(RuleViolation):
    """Every problem a service found at once, so a form can show them all.

    It is a RuleViolation (the first problem) for code that shows only one."""

    def __init__(self, violations: list[RuleViolation]):
        if not violations:
            raise ValueError("RuleViolations needs at least one violation")
        super().__init__(violations[0].field, violations[0].message)
        self.violations = list(violations)

    @staticmethod
    def raise_any(violations: list[RuleViolation]) -> None:
        """Raise the problems found, if there are any."""
        if violations:
            raise RuleViolations(violations)


def each_violation(error: RuleViolation) -> list[RuleViolation]:
    """The problems carried by a RuleViolation or a RuleViolations."""
    return list(getattr(error, "violations", [error]))


class NotPermitted(Exception):
    """The acting user may not do this to this object (shown as 404)."""


# Every error page is drawn by one template, which keeps each one's advice by its title.
PAGES = {
    400: ("There is a problem with your request", "errors/page.html"),
    403: ("You do not have permission to see this page", "errors/page.html"),
    404: ("Page not found", "errors/page.html"),
    405: ("Page not found", "errors/page.html"),
    413: ("The file is too large", "errors/page.html"),
    429: ("Too many attempts", "errors/page.html"),
    500: ("Sorry, there is a problem with the service", "errors/page.html"),
}


def error_page(code: int, error=None):
    """The portal's page for an HTTP status, after undoing whatever the failed
    request did (so the page can query: on PostgreSQL a failed statement
    poisons the transaction until then)."""
    discard()
    title, template = PAGES[code]
    description = getattr(error, "description", None)
    return render_template(template, title=title, description=description, code=code), code


def unexpected_page(error: Exception):
    """The answer to an error nothing else handled: logged, and the 500 page
    (or raised, where PROPAGATE_UNEXPECTED asks tests to see it)."""
    log.exception("unhandled error", exc_info=error)
    if current_app.config.get("PROPAGATE_UNEXPECTED"):
        raise error
    return error_page(500)


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        code = error.code if error.code in PAGES else None
        if code is None:
            return error
        return error_page(code, error)

    @app.errorhandler(NotPermitted)
    def _not_permitted(_error):
        return error_page(404)

    @app.errorhandler(Exception)
    def _unexpected(error):
        return unexpected_page(error)
