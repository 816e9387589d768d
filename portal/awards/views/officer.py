"""The officers' award pages for a tender whose evaluation is complete."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("award_admin", __name__, url_prefix="/tenders")
