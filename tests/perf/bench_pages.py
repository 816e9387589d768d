"""Pages against a bare reference: each portal page's requests per second beside a
bare Flask + Jinja page of the same size and query count, in the same run.

    .venv/bin/python -m tests.perf.bench_pages                 # both databases, demo data
    .venv/bin/python -m tests.perf.bench_pages --databases sqlite --passes 5 --duration 10
    .venv/bin/python -m tests.perf.bench_pages --scale         # small against large data

For each database it loads the demo data into a throwaway database, serves the
portal and the reference app (``tests/perf/reference_app.py``) under gunicorn
(2 sync workers each, production settings), signs in the personas, and then,
pass after pass, runs ``wrk`` on each page and straight after on its reference
(same number of SQL queries, same bytes). It prints, per page: the queries, the
size, the portal's and the reference's requests per second (medians of the
passes), the ratio with its spread over the passes (lowest to highest), and p99
latency for both. The target is a ratio of at least 0.5 and a p99 at most twice
the reference's.

``--scale`` instead adds 10,000 agreements, 2,000 organisations, 200 tenders of
12 lots and thousands of bids to the demo, and prints each page's median time
(sequential requests) and size at the demo's size and at the large size, with
the growth; the target is at most 25% on both.

Needs ``wrk`` (Debian: ``apt-get install wrk``) and, for PostgreSQL, the server
named by ``--postgres-url``. Figures are only comparable while nothing else
uses the machine's cores.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import create_engine, select

from tests.perf.common import analyse, make_bench_app, migrate, start_gunicorn, stop, table
from tests.support import CSRF_INPUT, count_queries, free_port, throwaway_database

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass
class Page:
    name: str
    persona: str | None  # the demo email it is seen as, None for the public
    path: str
    queries: int = 0
    size: int = 0


@dataclass
class Run:
    rps: float
    p99_ms: float


@dataclass
class Figures:
    page: Page
    portal: list[Run] = field(default_factory=list)
    reference: list[Run] = field(default_factory=list)


# --- The pages -----------------------------------------------------------------------


OFFICER = "officer@kent.example.gov.uk"
EVALUATOR = "evaluator@kent.example.gov.uk"
PROVIDER = "provider@medway-young-carers.example.org"


def demo_pages(app) -> list[Page]:
    """The pages of the issue's table and those added since, on the demo data's own rows."""
    from portal import clock
    from portal.accounts.models import User
    from portal.bids.drafting import start_bid
    from portal.bids.models import Bid, BidStatus
    from portal.db import transaction
    from portal.evaluation.demo_data import REFERENCE as EVALUATED
    from portal.tenders.models import Lot, Question, Tender, TenderStatus

    with app.app_context(), transaction() as session:  # the provider's draft, started as they would
        provider = session.scalar(select(User).where(User.email == PROVIDER))
        open_tender = session.scalar(
            select(Tender).where(Tender.status == TenderStatus.PUBLISHED).order_by(Tender.id).limit(1)
        )
        start_bid(session, provider, open_tender, clock.now())
    with app.app_context(), app.extensions["db_sessionmaker"]() as session:
        provider = session.scalar(select(User).where(User.email == PROVIDER))
        open_tender = session.scalar(
            select(Tender).where(Tender.status == TenderStatus.PUBLISHED).order_by(Tender.id).limit(1)
        )
        draft = session.scalar(
            select(Bid)
            .where(Bid.organisation_id == provider.organisation_id, Bid.status == BidStatus.DRAFT)
            .order_by(Bid.id)
            .limit(1)
        )
        question = session.scalar(select(Question).where(Question.tender_id == draft.tender_id).order_by(Question.id))
        evaluated = session.scalar(select(Tender).where(Tender.reference == EVALUATED))
        evaluated_lot = session.scalar(select(Lot).where(Lot.tender_id == evaluated.id).order_by(Lot.number))
        awarded = session.scalar(
            select(Tender).where(Tender.status == TenderStatus.AWARDED).order_by(Tender.id).limit(1)
        )
        outcome_bid = session.scalar(
            select(Bid).where(Bid.tender_id == awarded.id, Bid.status == BidStatus.SUBMITTED).order_by(Bid.id)
        )
        outcome_persona = session.scalar(
            select(User.email).where(User.organisation_id == outcome_bid.organisation_id).order_by(User.id)
        )
        return [
            Page("agreements register", OFFICER, "/agreements"),
            Page("opportunities list", None, "/opportunities"),
            Page("opportunity page", None, f"/opportunities/{open_tender.reference}"),
            Page("transition dashboard", OFFICER, "/agreements/dashboard"),
            Page("provider home", PROVIDER, "/dashboard"),
            Page("bid question page", PROVIDER, f"/bids/{draft.id}/questions/{question.id}"),
            Page("decisions register", None, "/decisions"),
            Page("officers' tenders", OFFICER, "/tenders"),
            Page("evaluation progress", OFFICER, f"/tenders/{evaluated.id}/evaluation"),
            Page("evaluator's lot", EVALUATOR, f"/evaluation/lots/{evaluated_lot.id}"),
            Page("moderation", OFFICER, f"/tenders/{evaluated.id}/evaluation/lots/{evaluated_lot.id}/moderation"),
            Page("award", OFFICER, f"/tenders/{awarded.id}/award"),
            Page("bid outcome", outcome_persona, f"/bids/{outcome_bid.id}/outcome"),
            Page("contracts register", None, "/contracts"),
            Page("OCDS releases", None, "/ocds/releases.json"),
            Page("open data", None, "/open-data"),
        ]


def measure_shapes(app, pages: list[Page]) -> None:
    """Each page's SQL statements per request (after a warm-up) and its size, as its
    persona, through the test client: the reference copies both."""
    from portal.demo import DEMO_PASSWORD
    from tests.support import post_form

    clients = {}
    for page in pages:
        if page.persona not in clients:
            client = app.test_client()
            if page.persona:
                response = post_form(client, "/sign-in", {"email": page.persona, "password": DEMO_PASSWORD})
                if response.status_code != 302:
                    raise SystemExit(f"{page.persona} could not sign in: {response.status_code}")
            clients[page.persona] = client
        client = clients[page.persona]
        client.get(page.path)
        with count_queries(app) as statements:
            response = client.get(page.path)
        if response.status_code != 200:
            raise SystemExit(f"{page.name} ({page.path}) answered {response.status_code}")
        page.queries, page.size = len(statements), len(response.data)


# --- Servers and load ----------------------------------------------------------------


@contextmanager
def gunicorn(target: str, env: dict, probe: str):
    """``target`` under gunicorn, 2 sync workers, on a free port; yields its base URL."""
    port = free_port()
    process = start_gunicorn(target, port, 2, env, probe)
    base = f"http://127.0.0.1:{port}"
    try:
        yield base
    finally:
        stop(process)


def portal_env(database_url: str, instance: Path) -> dict:
    """Production settings, but plain HTTP on loopback and mail to a folder."""
    return {
        "PORTAL_ENV": "production",
        "DATABASE_URL": database_url,
        "PORTAL_INSTANCE_PATH": str(instance),
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "SESSION_COOKIE_SECURE": "0",
        "SERVICE_CONTACT_EMAIL": "commissioning@kent.gov.uk",
        "MAIL_BACKEND": "outbox",
        "MAIL_OUTBOX_PATH": str(instance / "outbox"),
        "SIGN_IN_LIMIT_PER_ADDRESS": "100000 per 15 minutes",
        "RATELIMIT_STORAGE_URI": "memory://",
    }


def sign_in(base: str, email: str) -> str:
    """The Cookie header of a session signed in as ``email`` on the served portal."""
    from portal.demo import DEMO_PASSWORD

    http = requests.Session()
    token = CSRF_INPUT.search(http.get(f"{base}/sign-in", timeout=30).text).group(1)
    answer = http.post(
        f"{base}/sign-in",
        data={"csrf_token": token, "email": email, "password": DEMO_PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 302:
        raise SystemExit(f"{email} could not sign in to the served portal: {answer.status_code}")
    return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


def refreshed(base: str, path: str, cookie: str | None) -> str | None:
    """The Cookie header a browser would hold now: the portal signs a session's cookie
    afresh once it is a minute old (``auth.SessionCookie``) and a browser keeps the new
    one, but wrk cannot, so each run starts from the cookie the portal last sent."""
    if not cookie:
        return cookie
    answer = requests.get(base + path, headers={"Cookie": cookie}, allow_redirects=False, timeout=30)
    names = dict(part.split("=", 1) for part in cookie.split("; "))
    names.update({c.name: c.value for c in answer.cookies})
    return "; ".join(f"{name}={value}" for name, value in names.items())


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, duration: float, connections: int, cookie: str | None) -> Run:
    """One wrk run; refuses to report a run with errors or non-2xx answers."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration:g}s", "--latency", "--timeout", "10s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
    problems = re.findall(r"(Non-2xx or 3xx responses: \d+|Socket errors: .*)", output)
    if problems:
        raise SystemExit(f"{url}: {'; '.join(problems)}")
    return Run(rps, float(value) * UNITS[unit])


# --- The databases ------------------------------------------------------------------


@contextmanager
def demo_database(kind: str, postgres_url: str, tmp: Path, *, scale: bool = False):
    """A throwaway database of ``kind`` with the demo loaded (and the large data
    with ``scale``) and the reference table; yields (url, app)."""
    from portal import demo
    from tests.perf.reference_app import create_reference_rows

    with throwaway_database(postgres_url if kind == "postgresql" else None, "bench_pages", tmp) as url:
        migrate(url)
        app = make_bench_app(url, tmp, INSTANCE_PATH=str(tmp / "instance"))
        with app.app_context():
            demo.load()
        engine = create_engine(url)
        with engine.begin() as connection:
            create_reference_rows(connection)
        engine.dispose()
        try:
            yield url, app
        finally:
            app.extensions["db_engine"].dispose()


def compare(kind: str, args, tmp: Path) -> list[Figures]:
    with demo_database(kind, args.postgres_url, tmp) as (url, app):
        pages = [p for p in demo_pages(app) if not args.pages or p.name in args.pages]
        measure_shapes(app, pages)
        env = portal_env(url, tmp / "instance")
        with (
            gunicorn("wsgi:app", env, "/sign-in") as portal,
            gunicorn("tests.perf.reference_app:app", {"REFERENCE_DATABASE_URL": url}, "/page") as reference,
        ):
            cookies = {persona: sign_in(portal, persona) for persona in {p.persona for p in pages} if persona}
            figures = [Figures(p) for p in pages]
            for page in pages:  # warm both up: templates compiled, connections open
                wrk(portal + page.path, 1, args.connections, cookies.get(page.persona))
            for number in range(1, args.passes + 1):
                print(f"  {kind}: pass {number} of {args.passes}", flush=True)
                for f in figures:
                    page = f.page
                    cookie = cookies[page.persona] = refreshed(portal, page.path, cookies.get(page.persona))
                    f.portal.append(wrk(portal + page.path, args.duration, args.connections, cookie))
                    shape = f"/page?queries={page.queries}&bytes={page.size}"
                    f.reference.append(wrk(reference + shape, args.duration, args.connections, None))
        return figures


def ratio_rows(kind: str, figures: list[Figures]) -> list[list[str]]:
    rows = []
    for f in figures:
        ratios = [p.rps / r.rps for p, r in zip(f.portal, f.reference, strict=True)]
        portal_p99 = statistics.median(r.p99_ms for r in f.portal)
        reference_p99 = statistics.median(r.p99_ms for r in f.reference)
        ratio = statistics.median(ratios)
        p99_ratio = portal_p99 / reference_p99
        rows.append(
            [
                f.page.name,
                kind,
                str(f.page.queries),
                f"{f.page.size / 1024:.0f} KB",
                f"{statistics.median(r.rps for r in f.portal):.0f}",
                f"{statistics.median(r.rps for r in f.reference):.0f}",
                f"{ratio:.2f}",
                f"{min(ratios):.2f}-{max(ratios):.2f}",
                f"{portal_p99:.0f}",
                f"{reference_p99:.0f}",
                f"{p99_ratio:.1f}",
                "ok" if ratio >= 0.5 and p99_ratio <= 2 else "BELOW",
            ]
        )
    return rows


# --- Scale mode ----------------------------------------------------------------------


SMALL, LARGE = 0.1, 1.0  # shares of the full data: the small database is a tenth of the large one


def add_data(app, share: float) -> None:
    """``share`` of the full data: 10,000 agreements held by 2,000 organisations, 200
    tenders of 12 lots, and a draft bid on ten of the tenders from each of 300
    organisations (3,000 bids)."""
    from portal.bids.models import Bid, BidLot
    from portal.clock import now as utcnow
    from portal.providers.models import Organisation
    from portal.tenders.models import Lot, Tender
    from tests.perf import bench_agreements, bench_tenders

    providers, agreements, tenders, bidders = (round(n * share) for n in (2000, 10_000, 200, 300))
    with app.app_context():
        officer_id = bench_agreements.arrange(app, providers)
        content = bench_agreements.generate_csv(agreements, providers)
        bench_agreements.import_once(app, officer_id, content, [], "scale data")
    bench_tenders.arrange(app, tenders, 12, officer_email="bench.tenders.officer@kent.example.gov.uk")
    with app.app_context(), app.extensions["db_sessionmaker"]() as session:
        organisations = list(
            session.scalars(
                select(Organisation.id).where(Organisation.name.like("Registered Provider %")).limit(bidders)
            )
        )
        tender_ids = list(
            session.scalars(select(Tender.id).where(Tender.reference.like("BENCH-%")).order_by(Tender.id))
        )
        first_lots = dict(session.execute(select(Lot.tender_id, Lot.id).where(Lot.number == 1)).all())
        now = utcnow()
        for n, organisation_id in enumerate(organisations):
            for k in range(10):
                tender_id = tender_ids[(n + k * 17) % len(tender_ids)]
                bid = Bid(tender_id=tender_id, organisation_id=organisation_id, created_at=now, updated_at=now)
                bid.lots = [BidLot(lot_id=first_lots[tender_id], price_pence=100_000 + n)]
                session.add(bid)
            if n % 50 == 49:
                session.flush()
        session.commit()


def timed_side_by_side(servers: list[tuple[str, Page, str | None]], repeats: int) -> list[float]:
    """Median milliseconds of ``repeats`` sequential requests to each (base, page, cookie),
    taken in turn (one to each, then again), so that both sizes see the same machine."""
    sessions = [requests.Session() for _ in servers]
    times: list[list[float]] = [[] for _ in servers]
    for round_number in range(repeats + 1):
        for http, (base, page, cookie), taken in zip(sessions, servers, times, strict=True):
            started = time.perf_counter()
            answer = http.get(base + page.path, headers={"Cookie": cookie} if cookie else {}, timeout=60)
            if round_number:  # the first round warms up
                taken.append((time.perf_counter() - started) * 1000)
            if answer.status_code != 200:
                raise SystemExit(f"{page.name} answered {answer.status_code}")
    return [statistics.median(taken) for taken in times]


def scale(kind: str, args, tmp: Path) -> list[list[str]]:
    """Each page at a tenth of the full data and at the full data, each in its own
    database and served side by side: a page that grows with the data grows tenfold
    between them."""
    with ExitStack() as stack:
        sides = []
        for share, name in ((SMALL, "small"), (LARGE, "large")):
            folder = tmp / name
            folder.mkdir()
            url, app = stack.enter_context(demo_database(kind, args.postgres_url, folder))
            print(f"  {kind}: adding {share:.0%} of the full data...", flush=True)
            started = time.perf_counter()
            add_data(app, share)
            analyse(url)  # the planner's statistics, as a production database keeps them after a load
            print(f"  {kind}: added in {time.perf_counter() - started:.0f}s", flush=True)
            pages = [p for p in demo_pages(app) if not args.pages or p.name in args.pages]
            measure_shapes(app, pages)
            portal = stack.enter_context(gunicorn("wsgi:app", portal_env(url, folder / "instance"), "/sign-in"))
            cookies = {persona: sign_in(portal, persona) for persona in {p.persona for p in pages} if persona}
            sides.append((portal, pages, cookies))
        (small_base, pages, small_cookies), (large_base, large_pages, large_cookies) = sides
        small, large = [], []
        for page, large_page in zip(pages, large_pages, strict=True):
            small_ms, large_ms = timed_side_by_side(
                [
                    (small_base, page, small_cookies.get(page.persona)),
                    (large_base, large_page, large_cookies.get(large_page.persona)),
                ],
                args.repeats,
            )
            small.append((small_ms, page.size, page.queries))
            large.append((large_ms, large_page.size, large_page.queries))
    rows = []
    for page, (small_ms, small_size, small_queries), (large_ms, large_size, large_queries) in zip(
        pages, small, large, strict=True
    ):
        time_growth = large_ms / small_ms - 1
        size_growth = large_size / small_size - 1
        rows.append(
            [
                page.name,
                kind,
                f"{small_ms:.1f}",
                f"{large_ms:.1f}",
                f"{time_growth:+.0%}",
                f"{small_size / 1024:.1f}",
                f"{large_size / 1024:.1f}",
                f"{size_growth:+.0%}",
                f"{small_queries}/{large_queries}",
                "ok" if time_growth <= 0.25 and size_growth <= 0.25 and small_queries == large_queries else "GROWS",
            ]
        )
    return rows


# --- Main ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_DATABASE_URL", POSTGRES))
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--pages", type=lambda s: [p.strip() for p in s.split(",")], default=None)
    parser.add_argument("--scale", action="store_true", help="small against large data instead")
    parser.add_argument("--repeats", type=int, default=200, help="sequential requests per page in --scale")
    args = parser.parse_args(argv)
    if not args.scale and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    rows = []
    for kind in kinds:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"{kind}: loading the demo...", flush=True)
            if args.scale:
                rows += scale(kind, args, Path(tmp))
            else:
                rows += ratio_rows(kind, compare(kind, args, Path(tmp)))
    print()
    if args.scale:
        print(
            table(
                ["page", "database", "small ms", "large ms", "time", "small KB", "large KB", "size", "queries", ""],
                rows,
                right={2, 3, 4, 5, 6, 7, 8},
            )
        )
        print("\nLarge: the demo plus 10,000 agreements, 2,000 organisations, 200 tenders x 12 lots and 3,000 bids;")
        print(f"small: the demo plus a tenth of that. Median of {args.repeats} sequential requests through gunicorn.")
        print("Target: growth <= 25% in time and size, the same number of queries.")
    else:
        print(
            table(
                [
                    "page",
                    "database",
                    "queries",
                    "size",
                    "portal rps",
                    "reference rps",
                    "ratio",
                    "spread",
                    "portal p99 ms",
                    "reference p99 ms",
                    "p99 x",
                    "",
                ],
                rows,
                right={2, 3, 4, 5, 6, 7, 8, 9, 10},
            )
        )
        print(
            f"\nwrk -t2 -c{args.connections} -d{args.duration:g}s, {args.passes} passes alternating portal and "
            "reference; medians, spread = lowest-highest ratio. Target: ratio >= 0.5, p99 x <= 2."
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
