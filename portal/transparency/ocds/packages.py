"""Release packages, records and the bulk download, as OCDS 1.1.5 publishes them.

Releases are read as stored (never rebuilt), newest first, a page at a time by keyset
(date, id), so a page costs the same one query however many releases exist. A record
lists every release of one process, oldest first, with the compiled release that
``ocdsmerge`` merges from them by the standard's rules (taken from the release schema
kept in ``schema/``, with no network).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import ocdsmerge
from flask import current_app
from sqlalchemy import Text, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from portal.clock import now as clock_now
from portal.input_guard import MAX_ID
from portal.transparency.ocds.build import timestamp
from portal.transparency.ocds.models import OcdsRelease

SCHEMA_DIR = Path(__file__).parent / "schema"
RELEASE_SCHEMA = SCHEMA_DIR / "release-schema.json"
PAGE_SIZE = 100
LICENSE = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
BATCH = 500


@cache
def extensions() -> list[str]:
    """The extensions the releases use (lots, the UK extension and its dependencies), as
    their ``extension.json`` URLs at the commits the schema was patched from."""
    pinned = json.loads((SCHEMA_DIR / "extensions.json").read_text())
    return [
        f"https://raw.githubusercontent.com/{item['repository']}/{item['commit']}/extension.json" for item in pinned
    ]


def publisher() -> dict:
    return {"name": current_app.config["COUNCIL_NAME"], "uri": current_app.config["BASE_URL"]}


def _package(uri: str, key: str, items: list[dict], published: datetime) -> dict:
    from portal.links import external_url

    return {
        "uri": uri,
        "version": "1.1",
        "extensions": extensions(),
        "publishedDate": timestamp(published),
        "publisher": publisher(),
        "license": LICENSE,
        "publicationPolicy": external_url("open_data.index"),
        key: items,
    }


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: just older than this (date, id)."""

    date: datetime
    id: int

    def __str__(self) -> str:
        return f"{self.date.astimezone(UTC).strftime('%Y%m%dT%H%M%S%fZ')}.{self.id}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """Raises ValueError: not a cursor this portal made."""
        moment, _, number = text.partition(".")
        if not (number.isascii() and number.isdigit()) or not 0 < int(number) <= MAX_ID:
            raise ValueError(text)
        return cls(datetime.strptime(moment, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC), int(number))


_SUMMARY = select(func.count(OcdsRelease.id), func.max(OcdsRelease.date))


def summary(session: Session) -> tuple[int, datetime | None]:
    """How many releases are published, and the newest one's date (None before the first)."""
    count, newest = session.execute(_SUMMARY).one()
    return count, newest


def release_page(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    after: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> tuple[list[str], Cursor | None]:
    """One page of releases as their stored JSON text (never parsed: a release never
    changes, so the text stored is the text published), newest first, dated from ``since``
    (inclusive) to ``until`` (exclusive); and the cursor of the next page, or None on the last."""
    # CAST, not type_coerce: PostgreSQL's driver would parse a json column itself.
    query = select(OcdsRelease.id, OcdsRelease.date, cast(OcdsRelease.data, Text).label("data"))
    if since is not None:
        query = query.where(OcdsRelease.date >= since)
    if until is not None:
        query = query.where(OcdsRelease.date < until)
    if after is not None:
        query = query.where(
            or_(OcdsRelease.date < after.date, and_(OcdsRelease.date == after.date, OcdsRelease.id < after.id))
        )
    rows = session.execute(query.order_by(OcdsRelease.date.desc(), OcdsRelease.id.desc()).limit(size + 1)).all()
    following = Cursor(rows[size - 1].date, rows[size - 1].id) if len(rows) > size else None
    return [row.data for row in rows[:size]], following


def release_package(uri: str, releases: list[dict], next_uri: str | None) -> dict:
    """A release package; ``links.next`` (the pagination extension) when there is more."""
    package = _package(uri, "releases", releases, clock_now())
    if next_uri:
        package["links"] = {"next": next_uri}
    return package


def release_package_json(uri: str, releases: list[str], next_uri: str | None) -> str:
    """:func:`release_package` as JSON text, with each release's stored JSON text spliced in
    as it is (one a line) rather than parsed and encoded again."""
    envelope = release_package(uri, [], next_uri)
    del envelope["releases"]
    head = json.dumps(envelope, indent=1, sort_keys=True)  # "{\n ...\n}"
    body = "[\n  " + ",\n  ".join(releases) + "\n ]" if releases else "[]"
    return f'{head[:-2]},\n "releases": {body}\n}}'


@cache
def _merger() -> ocdsmerge.Merger:
    # A path (not a dict) lets ocdsmerge cache the merge rules it derives from the schema.
    return ocdsmerge.Merger(schema=str(RELEASE_SCHEMA))


def compiled(releases: list[dict]) -> dict:
    """The current state of a process, merged from its releases by the OCDS merge rules."""
    return _merger().create_compiled_release(releases)


def releases_of(session: Session, ocid: str) -> list[dict]:
    """A process's releases, oldest first (a record lists them in date order)."""
    return list(
        session.scalars(
            select(OcdsRelease.data).where(OcdsRelease.ocid == ocid).order_by(OcdsRelease.date, OcdsRelease.id)
        )
    )


def record(ocid: str, releases: list[dict]) -> dict:
    return {"ocid": ocid, "releases": releases, "compiledRelease": compiled(releases)}


def record_package(uri: str, records: list[dict]) -> dict:
    return _package(uri, "records", records, clock_now())


def _all_releases(session: Session):
    """Every release, oldest first, read in batches so memory stays flat."""
    last = 0
    while True:
        batch = session.execute(
            select(OcdsRelease.id, OcdsRelease.ocid, OcdsRelease.data)
            .where(OcdsRelease.id > last)
            .order_by(OcdsRelease.id)
            .limit(BATCH)
        ).all()
        if not batch:
            return
        yield from batch
        last = batch[-1].id


def bulk_download(session: Session, audit_heads: list[dict]) -> bytes:
    """Everything published, as one zip: every release (a release package), every record
    with its compiled release (a record package), and the published heads of the audit
    chain, so anyone can keep a copy that the council could not quietly change."""
    from portal.links import external_url

    releases, by_ocid = [], {}
    for row in _all_releases(session):
        releases.append(row.data)
        by_ocid.setdefault(row.ocid, []).append(row.data)
    for group in by_ocid.values():
        group.sort(key=lambda release: release["date"])
    releases.sort(key=lambda release: release["date"], reverse=True)
    uri = external_url("open_data.bulk_download")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("releases.json", json.dumps(release_package(uri, releases, None), indent=1))
        records = [record(ocid, group) for ocid, group in sorted(by_ocid.items())]
        archive.writestr("records.json", json.dumps(record_package(uri, records), indent=1))
        archive.writestr("audit-heads.json", json.dumps(audit_heads, indent=1))
        archive.writestr(
            "README.txt",
            "Open contracting data published by "
            f"{current_app.config['COUNCIL_NAME']} (OCDS 1.1.5 with the UK extension).\n"
            "releases.json: every release, newest first. records.json: each process with its compiled release.\n"
            "audit-heads.json: the published heads of the portal's audit chain, one a day.\n"
            f"Licence: Open Government Licence v3.0 ({LICENSE}).\n",
        )
    return buffer.getvalue()
