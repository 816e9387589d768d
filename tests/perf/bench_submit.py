"""What a submission costs: submissions a second against a bare one-row insert and commit, in the same run.

One provider has a complete draft bid for each of many open tenders (one lot,
one question each). Client threads (``--clients``, 8 by default) sign in, then
press "Submit bid" (``POST /bids/<id>/submit``, answered with a redirect to the
receipt) for their share of the bids as fast as the portal answers, through
gunicorn with 2 sync workers. Then the same threads, against a bare Flask app
under gunicorn with the same workers on the same database, make requests that
each insert one row and commit. The two alternate, ``--passes`` times each, on
SQLite and on PostgreSQL, and it prints both rates, the ratio and the spread.

    .venv/bin/python -m tests.perf.bench_submit
    .venv/bin/python -m tests.perf.bench_submit --databases postgresql --bids 300 --passes 3

The clients use ``http.client`` (a new connection per request, as gunicorn's
sync workers close each one), cheap enough not to be what is measured. The
figures are this machine's: the ratio, measured in one run, is what to read.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import requests
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from tests.perf.common import (
    analyse,
    complete_draft,
    make_bench_app,
    migrate,
    provider_with_admin,
    served_portal_env,
    start_gunicorn,
    stop,
    table,
    tender_with_one_question,
)
from tests.support import CSRF_INPUT as CSRF
from tests.support import free_port, throwaway_database

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "submit-bench-password-42"
EMAIL = "submitter@example.org"
BARE_TABLE = "bench_bare_row"


# --- The bare reference: one INSERT and one COMMIT per request -------------------------------


def bare_app():
    """gunicorn 'tests.perf.bench_submit:bare_app()': POST /insert adds one row
    and commits, through the portal's own engine settings (``portal.db.make_engine``)."""
    from flask import Flask, redirect

    from portal.db import make_engine

    engine = make_engine(os.environ["BARE_DATABASE_URL"], False)
    insert = text(f"INSERT INTO {BARE_TABLE} (body, created_at) VALUES (:body, :at)")
    app = Flask("bare")

    @app.get("/ping")
    def ping():
        return "ok"

    @app.post("/insert")
    def add_row():
        with engine.begin() as connection:
            connection.execute(insert, {"body": "x" * 64, "at": datetime.now(UTC)})
        return redirect("/ping")  # answered like a submission: a redirect

    return app


def create_bare_table(database_url: str) -> None:
    from portal.db import make_engine

    engine = make_engine(database_url, False)
    key = "SERIAL" if engine.dialect.name == "postgresql" else "INTEGER"
    with engine.begin() as connection:
        connection.execute(
            text(
                f"CREATE TABLE {BARE_TABLE} (id {key} PRIMARY KEY, body VARCHAR(200) NOT NULL, "
                "created_at TIMESTAMP WITH TIME ZONE NOT NULL)"
            )
        )
    engine.dispose()


# --- The portal's data ----------------------------------------------------------------------


def prepare(database_url: str, instance: Path, bids: int) -> list[int]:
    """Migrate, then one provider with a complete draft bid for each of ``bids`` open tenders."""
    from portal.accounts.passwords import hash_password
    from portal.agreements.models import ServiceCategory
    from portal.agreements.services import install_defaults
    from portal.providers.models import District

    migrate(database_url)
    create_bare_table(database_url)
    app = make_bench_app(database_url, instance, INSTANCE_PATH=str(instance))
    maker = app.extensions["db_sessionmaker"]
    now = datetime.now(UTC)
    with app.app_context(), maker() as session:
        install_defaults(session)
        district = District(name="Maidstone")
        category = session.scalar(select(ServiceCategory).limit(1))
        organisation, user = provider_with_admin("Busy provider", EMAIL, "Busy Submitter", hash_password(PASSWORD), now)
        session.add_all([district, organisation, user])
        ids = []
        for n in range(bids):
            tender, question = tender_with_one_question(
                session, f"SUBMIT-{n}", f"Submission benchmark {n}", now + timedelta(days=7), category, district, now
            )
            answer = f"Our safeguarding approach, number {n}."
            bid = complete_draft(tender, question, organisation, 100_000 + n, answer, now)
            session.add(bid)
            session.flush()
            ids.append(bid.id)
        session.commit()
    app.extensions["db_engine"].dispose()
    analyse(database_url)
    return ids


# --- Serving ----------------------------------------------------------------------------------


def sign_in(port: int) -> tuple[str, str]:
    """A signed-in session: (its Cookie header, a CSRF token for its forms)."""
    http = requests.Session()
    page = http.get(f"http://127.0.0.1:{port}/sign-in", timeout=60)
    http.post(
        f"http://127.0.0.1:{port}/sign-in",
        data={"csrf_token": CSRF.search(page.text).group(1), "email": EMAIL, "password": PASSWORD},
        timeout=60,
        allow_redirects=False,
    )
    page = http.get(f"http://127.0.0.1:{port}/bids", timeout=60)
    token = CSRF.search(page.text)
    if token is None:
        raise SystemExit("could not sign in to the portal")
    cookie = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
    return cookie, token.group(1)


def post(port: int, path: str, body: str, headers: dict) -> tuple[int, str, list[str]]:
    """(status, Location, the cookies set) of one POST, on a connection of its own."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Location") or "", response.headers.get_all("Set-Cookie") or []
    finally:
        connection.close()


def keep_cookies(cookie_header: str, set_cookies: list[str]) -> str:
    """The Cookie header after a response set ``set_cookies``, as a browser keeps them (the
    portal sends its session cookie again now and then, to push its expiry on)."""
    jar = SimpleCookie()
    jar.load(cookie_header)
    for set_cookie in set_cookies:
        jar.load(set_cookie)
    return "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items())


def hammer(port: int, jobs: list[list[tuple[str, str, dict]]]) -> tuple[float, int, list[str]]:
    """Each thread makes its list of POSTs one after another, keeping the cookies it is sent
    as a browser would; returns (seconds, answered with a redirect, what went wrong)."""
    failures: list[str] = []
    done = [0]
    lock = threading.Lock()
    go = threading.Event()

    def work(mine):
        go.wait()
        cookie = None
        for path, body, headers in mine:
            if cookie is not None:
                headers = {**headers, "Cookie": cookie}
            try:
                status, location, set_cookies = post(port, path, body, headers)
                if set_cookies and "Cookie" in headers:
                    cookie = keep_cookies(headers["Cookie"], set_cookies)
            except (OSError, CookieError) as error:
                status, location = f"{type(error).__name__}", ""
            with lock:
                if status == 302 and ("/receipts/" in location or location.endswith("/ping")):
                    done[0] += 1
                else:
                    failures.append(f"{path}: {status}")

    threads = [threading.Thread(target=work, args=(mine,)) for mine in jobs]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    go.set()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, done[0], failures


def measure(database_url: str, args, tmp: Path) -> dict:
    instance = tmp / uuid.uuid4().hex[:8]
    instance.mkdir()
    total = args.bids * args.passes
    print(f"  preparing {total} complete drafts on {make_url(database_url).get_backend_name()}...", flush=True)
    bid_ids = prepare(database_url, instance, total)
    portal_port, bare_port = free_port(), free_port()
    portal = start_gunicorn(
        "wsgi:app",
        portal_port,
        args.workers,
        served_portal_env(database_url, instance),
        "/sign-in",
    )
    bare = start_gunicorn(
        "tests.perf.bench_submit:bare_app()", bare_port, args.workers, {"BARE_DATABASE_URL": database_url}, "/ping"
    )
    portal_rates, bare_rates, problems, accepted = [], [], [], 0
    try:
        sessions = [sign_in(portal_port) for _ in range(args.clients)]
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        for number in range(args.passes):
            these = bid_ids[number * args.bids : (number + 1) * args.bids]
            jobs = [
                [
                    (f"/bids/{bid_id}/submit", urlencode({"csrf_token": token}), {**form, "Cookie": cookie})
                    for bid_id in these[client :: args.clients]
                ]
                for client, (cookie, token) in enumerate(sessions)
            ]
            seconds, done, failures = hammer(portal_port, jobs)
            portal_rates.append(done / seconds)
            accepted += done
            problems += failures
            jobs = [
                [("/insert", "", form)] * (args.inserts // args.clients + (client < args.inserts % args.clients))
                for client in range(args.clients)
            ]
            seconds, done, failures = hammer(bare_port, jobs)
            bare_rates.append(done / seconds)
            problems += failures
            print(
                f"  pass {number + 1}: portal {portal_rates[-1]:.0f} submissions/s, "
                f"bare {bare_rates[-1]:.0f} inserts/s",
                flush=True,
            )
    finally:
        stop(portal)
        stop(bare)
    from portal.db import make_engine

    engine = make_engine(database_url, False)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM submission")).scalar()
    engine.dispose()
    if problems:
        print(f"  {len(problems)} requests failed, e.g. {problems[:3]}", flush=True)
    if stored != accepted:  # nothing lost, nothing extra
        problems.append(f"{stored} submissions stored, {accepted} answered with a receipt")
        print(f"  database check FAILED: {problems[-1]}", flush=True)
    return {"portal": portal_rates, "bare": bare_rates, "problems": problems}


def spread(rates: list[float]) -> str:
    return f"{min(rates):.0f}-{max(rates):.0f}" if len(rates) > 1 else "-"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql, or both (comma)")
    parser.add_argument("--bids", type=int, default=400, help="submissions in each pass")
    parser.add_argument("--inserts", type=int, default=2000, help="bare inserts in each pass")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8, help="client threads, for both")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers, for both")
    parser.add_argument(
        "--postgresql-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args(argv)
    rows, failed = [], False
    with tempfile.TemporaryDirectory() as tmp:
        for name in [d.strip() for d in args.databases.split(",") if d.strip()]:
            base = None if name == "sqlite" else args.postgresql_url
            print(f"{name}:", flush=True)
            with throwaway_database(base, "bench_submit", Path(tmp), sqlite_name="submit.db") as url:
                result = measure(url, args, Path(tmp))
            portal, bare = statistics.median(result["portal"]), statistics.median(result["bare"])
            rows.append(
                [
                    name,
                    f"{portal:.0f}",
                    spread(result["portal"]),
                    f"{bare:.0f}",
                    spread(result["bare"]),
                    f"{portal / bare:.2f}",
                ]
            )
            failed = failed or bool(result["problems"])
    print()
    print(
        f"Submissions through gunicorn ({args.workers} sync workers, {args.clients} clients) against a bare "
        "one-row insert and commit, medians of the passes (target ratio >= 0.25):"
    )
    print(
        table(
            ["database", "submissions/s", "spread", "bare inserts/s", "spread", "ratio"],
            rows,
            right={1, 2, 3, 4, 5},
        )
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
