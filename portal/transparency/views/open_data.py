"""Open data for anyone: what it is (a page), the release package, records, the bulk download."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, Response, abort, current_app, json, render_template, request

from portal.audit.chain import head_as_data, published_heads
from portal.auth import public
from portal.dates import LONDON
from portal.db import get_session
from portal.links import external_url
from portal.transparency.ocds import packages

bp = Blueprint("open_data", __name__)


class BadQuery(ValueError):
    """A query parameter this endpoint cannot use; said in words, with status 400."""


def _json(data, status: int = 200) -> Response:
    return _json_text(json.dumps(data, indent=1), status)


def _json_text(text: str, status: int = 200) -> Response:
    response = current_app.response_class(text, status=status, mimetype="application/json")
    # Releases never change, but pages of the package gain new ones: a short public cache.
    response.cache_control.public = True
    response.cache_control.max_age = 60
    return response


def _moment(name: str, *, end: bool = False) -> datetime | None:
    """A date (YYYY-MM-DD, a London day) or a date-time with its zone; ``end`` makes a
    date mean the end of that day, so until=2026-11-30 includes the 30th."""
    text = (request.args.get(name) or "").strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1) if end else day, time(0), LONDON)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)  # a year 1 or 9999 with an offset falls off the calendar here
    except (ValueError, OverflowError):
        raise BadQuery(f"{name} must be a date like 2026-11-30 or a date and time like 2026-11-30T12:00:00Z") from None
    if moment.tzinfo is None:
        raise BadQuery(f"{name} must give its time zone, like 2026-11-30T12:00:00Z")
    return moment


@bp.errorhandler(BadQuery)
def _bad_query(error: BadQuery):
    return _json({"error": str(error)}, 400)


@bp.route("/open-data")
@public
def index():
    """What the council publishes as open data, and how to use it."""
    count, newest = packages.summary(get_session())
    return render_template(
        "transparency/open_data.html",
        release_count=count,
        newest=newest,
        ocid_prefix=current_app.config["OCDS_OCID_PREFIX"],
    )


@bp.route("/ocds/releases.json")
@public
def releases():
    """The release package, newest first, a page at a time (``links.next``), from ``since``
    to ``until``."""
    since, until = _moment("since"), _moment("until", end=True)
    after = None
    if request.args.get("cursor"):
        try:
            after = packages.Cursor.parse(request.args["cursor"])
        except (ValueError, OverflowError):
            raise BadQuery("cursor must be the one given in links.next") from None
    page, following = packages.release_page(get_session(), since=since, until=until, after=after)
    kept = {k: v for k, v in request.args.items() if k in ("since", "until")}
    next_uri = external_url("open_data.releases", **kept, cursor=str(following)) if following else None
    uri = external_url("open_data.releases", **kept, **({"cursor": str(after)} if after else {}))
    return _json_text(packages.release_package_json(uri, page, next_uri))


@bp.route("/ocds/records/<ocid>.json")
@public
def record(ocid):
    """One process's record: every release and the compiled release merged from them."""
    releases = packages.releases_of(get_session(), ocid)
    if not releases:
        abort(404)
    uri = external_url("open_data.record", ocid=ocid)
    return _json(packages.record_package(uri, [packages.record(ocid, releases)]))


@bp.route("/ocds/download.zip")
@public
def bulk_download():
    """Everything published, in one file."""
    session = get_session()
    content = packages.bulk_download(session, [head_as_data(h) for h in published_heads(session)])
    response = Response(content, mimetype="application/zip")
    response.headers["Content-Disposition"] = 'attachment; filename="open-contracting-data.zip"'
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response
