"""Benchmark: importing a large agreements register and reading it back.

Not a test (pytest does not collect tests/perf). Run it as

    .venv/bin/python -m tests.perf.bench_agreements [--agreements N] [--database-url URL]

It builds its own database (Alembic upgrade head): a fresh SQLite file in a
temporary folder by default, or the PostgreSQL database given. A URL naming the
``postgres`` database makes it create ``bench_agreements_<random>`` on that
server and drop it afterwards. It then generates a CSV of N agreements held by
about N/10 providers (half already registered, matched by charity number; half
new, with contact emails, who are invited) and times:

* reading and checking the file (read_table, check, check_providers);
* applying it (apply, then commit, which also writes the invitations to the outbox);
* importing the same file again (which must leave all N unchanged);
* rendering the officer's pages through the test client, 5 times each, with the
  SQL statements each page runs.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from tests.perf.common import make_bench_app, migrate, table
from tests.support import count_queries, throwaway_database

PASSWORD = "bench-officer-password-42"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DISTRICTS = [
    "Ashford",
    "Canterbury",
    "Dartford",
    "Dover",
    "Folkestone and Hythe",
    "Gravesham",
    "Maidstone",
    "Sevenoaks",
    "Swale",
    "Thanet",
    "Tonbridge and Malling",
    "Tunbridge Wells",
]
MODES = ["Face-to-face", "Outreach", "Virtual", "Face-to-face; Outreach", "Outreach; Virtual"]
HEADER = [
    "Reference",
    "Provider name",
    "Charity number",
    "Contact email",
    "Service name",
    "Category",
    "Districts",
    "Delivery modes",
    "Annual value",
    "Start date",
    "End date",
    "Extended end date",
    "Extension reason",
    "Spend 2024/25",
    "Spend 2025/26",
]
PAGES = [
    ("Register, first page", "/agreements"),
    ("Register, ending soon", "/agreements?status=ENDING_SOON"),
    ("Transition dashboard", "/agreements/dashboard"),
    ("Reports", "/agreements/reports"),
    ("Export CSV (all rows)", "/agreements/export.csv"),
]
REPEATS = 5


# --- The data ----------------------------------------------------------------------


def charity_number(provider: int) -> str:
    return str(2000000 + provider)


def arrange(app, providers: int):
    """Districts, categories, the schedule, the registered half of the providers, an officer."""
    from portal.accounts.models import Role, User
    from portal.accounts.passwords import hash_password
    from portal.agreements.services import install_defaults
    from portal.clock import now as utcnow
    from portal.providers.models import District, Organisation, OrganisationType

    with app.extensions["db_sessionmaker"]() as session:
        existing = set(session.scalars(select(District.name)))
        districts = [District(name=n) for n in DISTRICTS if n not in existing]
        session.add_all(districts)
        install_defaults(session)
        districts = list(session.scalars(select(District)))
        for provider in range(0, providers, 2):  # the even ones are registered already
            session.add(
                Organisation(
                    name=f"Registered Provider {provider:05d}",
                    organisation_type=OrganisationType.REGISTERED_CHARITY,
                    charity_number=charity_number(provider),
                    address_line_1="1 High Street",
                    town="Maidstone",
                    postcode="ME14 1XQ",
                    districts=[districts[provider % len(districts)]],
                    registered_at=utcnow(),
                )
            )
        officer = User(
            email="bench.officer@kent.example.gov.uk",
            full_name="Bench Officer",
            role=Role.OFFICER,
            password_hash=hash_password(PASSWORD),
            email_verified_at=utcnow(),
        )
        session.add(officer)
        session.commit()
        return officer.id


def generate_csv(agreements: int, providers: int) -> bytes:
    """N agreements spread over the providers, ending every month from 2025 to 2030."""
    from portal.agreements.services import DEFAULT_CATEGORIES

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for n in range(agreements):
        provider = n % providers
        registered = provider % 2 == 0
        name = f"Registered Provider {provider:05d}" if registered else f"New Provider {provider:05d}"
        end_year, end_month = 2025 + (n // 12) % 6, 1 + n % 12
        end = date(end_year, end_month, 28)
        start = date(end_year - 3, end_month, 1)
        extended = n % 7 == 0
        districts = "; ".join(DISTRICTS[(n + k) % len(DISTRICTS)] for k in range(1 + n % 3))
        writer.writerow(
            [
                f"BENCH-{n:06d}",
                name,
                charity_number(provider),
                "" if registered else f"contracts{provider}@new-provider.example.org",
                f"Service {n} for children and families",
                DEFAULT_CATEGORIES[n % len(DEFAULT_CATEGORIES)],
                districts,
                MODES[n % len(MODES)],
                f"£{10000 + (n * 37) % 90000:,}",
                start.strftime("%d/%m/%Y"),
                end.isoformat(),
                date(end_year + 1, end_month, 28).isoformat() if extended else "",
                "Extended while the replacement is tendered" if extended else "",
                str(5000 + n % 1000),
                f"£{6000 + n % 1000:,}.50",
            ]
        )
    return out.getvalue().encode("utf-8")


# --- Timing ------------------------------------------------------------------------


@dataclass
class Step:
    name: str
    seconds: float
    note: str = ""
    queries: int | None = None


def import_once(app, officer_id: int, content: bytes, steps: list[Step], label: str):
    """Read, check and apply the file as the officer would; returns the summary."""
    from portal import clock
    from portal.accounts.models import User
    from portal.agreements.importing import applying, parsing, reading
    from portal.db import transaction

    with app.app_context(), count_queries(app) as queries:
        with transaction() as session:
            officer = session.get(User, officer_id)
            before = len(queries)
            started = time.perf_counter()
            table = reading.read_table("bench.csv", content)
            rows, errors = parsing.check(session, table)
            errors = errors or applying.check_providers(session, rows)
            checked, checked_queries = time.perf_counter(), len(queries)
            if errors:
                raise SystemExit(f"the generated file has problems, first: {errors[:3]}")
            summary = applying.apply(session, officer, rows, "bench.csv", clock.today())
            applied, applied_queries = time.perf_counter(), len(queries)
        committed, committed_queries = time.perf_counter(), len(queries)
    steps.append(Step(f"{label}: read + check {len(rows):,} rows", checked - started, "", checked_queries - before))
    steps.append(Step(f"{label}: apply (flush)", applied - checked, "", applied_queries - checked_queries))
    steps.append(
        Step(
            f"{label}: commit (invitations queued)",
            committed - applied,
            f"{summary.invitations_sent:,} emails queued for the worker",
            committed_queries - applied_queries,
        )
    )
    steps.append(
        Step(
            f"{label}: total",
            committed - started,
            f"{summary.created:,} new, {summary.updated:,} updated, {summary.unchanged:,} unchanged",
            committed_queries - before,
        )
    )
    return summary


def sign_in(app):
    from tests.support import post_form

    client = app.test_client()
    response = post_form(client, "/sign-in", {"email": "bench.officer@kent.example.gov.uk", "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"the officer could not sign in: {response.status_code}")
    return client


@dataclass
class PageFigures:
    name: str
    path: str
    median_ms: float
    max_ms: float
    queries: list[int]
    kilobytes: float


def time_pages(app) -> list[PageFigures]:
    client = sign_in(app)
    figures = []
    with count_queries(app) as statements:
        for name, path in PAGES:
            durations, queries = [], []
            for _ in range(REPEATS):
                statements.clear()
                started = time.perf_counter()
                response = client.get(path)
                durations.append((time.perf_counter() - started) * 1000)
                queries.append(len(statements))
                if response.status_code != 200:
                    raise SystemExit(f"GET {path} answered {response.status_code}")
            figures.append(
                PageFigures(
                    name, path, statistics.median(durations), max(durations), queries, len(response.data) / 1024
                )
            )
    return figures


# --- Report ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.bench_agreements", description=__doc__.split("\n")[0])
    parser.add_argument("--agreements", type=int, default=10_000, help="agreements in the file (default 10000)")
    parser.add_argument(
        "--database-url",
        default=None,
        help="default: a fresh SQLite file in a temporary folder; a PostgreSQL URL naming the "
        "'postgres' database makes a bench_agreements_<random> database and drops it after",
    )
    args = parser.parse_args(argv)
    n = args.agreements
    providers = max(2, n // 10)

    with (
        tempfile.TemporaryDirectory(prefix="bench_agreements_") as tmp,
        throwaway_database(args.database_url, "bench_agreements", Path(tmp), sqlite_name="bench.db") as url,
    ):
        tmpdir = Path(tmp)
        shown = make_url(url).render_as_string(hide_password=True)
        print(
            f"Agreements benchmark: {n:,} agreements, {providers:,} providers "
            f"({(providers + 1) // 2:,} registered, {providers // 2:,} new), database {shown}"
        )
        started = time.perf_counter()
        migrate(url)
        app = make_bench_app(url, tmpdir, FIXED_NOW=NOW)
        try:
            officer_id = arrange(app, providers)
            steps = [Step("Create the schema and arrange", time.perf_counter() - started)]
            started = time.perf_counter()
            content = generate_csv(n, providers)
            steps.append(Step("Generate the CSV", time.perf_counter() - started, f"{len(content) / 1024:,.0f} KB"))

            first = import_once(app, officer_id, content, steps, "Import")
            if first.created != n:
                raise SystemExit(f"the first import created {first.created}, not {n}")
            if first.providers_created != providers // 2:
                raise SystemExit(
                    f"the first import created {first.providers_created} providers, "
                    f"not {providers // 2}: matching by charity number failed"
                )
            again = import_once(app, officer_id, content, steps, "Re-import")
            if again.unchanged != n or again.created or again.updated or again.providers_created:
                raise SystemExit(f"re-importing changed things: {again}")
            pages = time_pages(app)
        finally:
            app.extensions["db_engine"].dispose()

    print()
    print(
        table(
            ["Step", "Seconds", "SQL queries", "Notes"],
            [[s.name, f"{s.seconds:.2f}", "" if s.queries is None else f"{s.queries:,}", s.note] for s in steps],
            right={1, 2},
        )
    )
    print()
    print(
        table(
            ["Page (as an officer)", "Path", "Median ms", "Max ms", "SQL queries", "KB"],
            [
                [
                    p.name,
                    p.path,
                    f"{p.median_ms:.1f}",
                    f"{p.max_ms:.1f}",
                    str(p.queries[0]) if len(set(p.queries)) == 1 else "/".join(map(str, p.queries)),
                    f"{p.kilobytes:,.0f}",
                ]
                for p in pages
            ],
            right={2, 3, 4, 5},
        )
    )
    print(
        f"\nEach page requested {REPEATS} times; SQL queries counted per request "
        "(before_cursor_execute, sign-in checks included)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
