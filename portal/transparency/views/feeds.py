"""Feeds for people who follow the council's buying in a feed reader."""

from __future__ import annotations

from flask import Blueprint, Response

from portal import clock
from portal.auth import public
from portal.db import get_session
from portal.transparency import feeds

bp = Blueprint("feeds", __name__)


@bp.route("/opportunities.atom")
@public
def opportunities():
    body = feeds.atom_feed(feeds.newest_opportunities(get_session()), clock.now())
    response = Response(body, content_type=feeds.CONTENT_TYPE)
    # Readers poll: the reader may keep it briefly; a shared cache never (a response may carry a cookie).
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
