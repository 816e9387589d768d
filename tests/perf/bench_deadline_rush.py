"""Deadline rush: many providers submit in the last minute, through gunicorn, on PostgreSQL.

Each provider has a complete draft. Clients sign in, open the "check and
submit" page, then press "Submit bid" at a moment spread over the final
window before the deadline (a few on purpose just after it). Prints how many
were accepted, refused as late, and failed, with p50/p95/p99 latency, then
checks the database: every accepted bid has its receipt, none is after the
deadline, and none is duplicated.

    .venv/bin/python -m tests.perf.bench_deadline_rush --providers 300 --window 60

It is a benchmark, not a test: it prints figures and exits non-zero only if
the database disagrees with what the clients were told.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from tests.perf.common import make_bench_app, migrate
from tests.support import CSRF_INPUT as CSRF
from tests.support import free_port, throwaway_database

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "rush-hour-password-42"


def prepare(database_url: str, instance: Path, providers: int, deadline: datetime) -> list[tuple[str, int]]:
    """Migrate, then create the tender and one complete draft bid per provider."""
    from portal.accounts.models import Role, User
    from portal.accounts.passwords import hash_password
    from portal.agreements.models import ServiceCategory
    from portal.agreements.services import install_defaults
    from portal.bids.models import Bid, BidAnswer, BidLot
    from portal.providers.models import District, Organisation, OrganisationType
    from portal.tenders.models import Lot, Question, QuestionKind, QuestionnaireSection, Tender, TenderStatus

    migrate(database_url)
    app = make_bench_app(database_url, instance, quiet=False, INSTANCE_PATH=str(instance))
    maker = app.extensions["db_sessionmaker"]
    now = datetime.now(UTC)
    with app.app_context(), maker() as session:
        install_defaults(session)
        district = District(name="Maidstone")
        session.add(district)
        category = session.scalar(select(ServiceCategory).limit(1))
        tender = Tender(
            reference="RUSH-1",
            title="Deadline rush framework",
            category=category,
            status=TenderStatus.PUBLISHED,
            published_at=now,
            submission_deadline=deadline,
            clarification_deadline=now,
            contract_start_date=date.today() + timedelta(days=120),
        )
        tender.lots = [Lot(number=1, title="Everywhere", districts=[district])]
        session.add(tender)
        session.flush()
        section = QuestionnaireSection(tender_id=tender.id, position=1, title="Quality", kind=QuestionKind.QUALITY)
        session.add(section)
        session.flush()
        question = Question(
            tender_id=tender.id,
            section_id=section.id,
            position=1,
            kind=QuestionKind.QUALITY,
            text="Safeguarding. Describe your approach.",
            word_limit=500,
            weight=100,
        )
        session.add(question)
        session.flush()
        password_hash = hash_password(PASSWORD)
        accounts = []
        for n in range(providers):
            organisation = Organisation(
                name=f"Rush provider {n}",
                organisation_type=OrganisationType.OTHER,
                address_line_1="1 Street",
                town="Town",
                postcode="ME14 1XQ",
                registered_at=now,
            )
            user = User(
                email=f"rush{n}@example.org",
                full_name=f"Rusher {n}",
                role=Role.PROVIDER,
                organisation=organisation,
                is_organisation_admin=True,
                password_hash=password_hash,
                email_verified_at=now,
            )
            bid = Bid(
                tender=tender, organisation=organisation, created_at=now, updated_at=now, declarations_confirmed_at=now
            )
            bid.lots = [BidLot(lot=tender.lots[0], price_pence=100_000 + n)]
            bid.answers = [BidAnswer(question_id=question.id, text=f"Our safeguarding approach, provider {n}.")]
            session.add_all([organisation, user, bid])
            session.flush()
            accounts.append((user.email, bid.id))
        session.commit()
    app.extensions["db_engine"].dispose()
    return accounts


def start_gunicorn(database_url: str, instance: Path, port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PORTAL_INSTANCE_PATH": str(instance),
        "SECRET_KEY": "bench-secret-" + uuid.uuid4().hex,
        "MAIL_BACKEND": "outbox",
        "PASSWORD_HASH_TIME_COST": "1",
        "PASSWORD_HASH_MEMORY_KIB": "1024",
        "SIGN_IN_LIMIT_PER_ADDRESS": "100000 per 15 minutes",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "120",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=sys.stderr,
    )
    for _ in range(200):
        try:
            if requests.get(f"http://127.0.0.1:{port}/sign-in", timeout=1).status_code == 200:
                return process
        except requests.RequestException:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def run_client(
    base: str,
    email: str,
    bid_id: int,
    go: threading.Event,
    schedule: dict,
    results: list,
    lock: threading.Lock,
    parked: list,
):
    """Sign in and open the submit page, wait for the starting signal, then
    press "Submit bid" at this client's moment."""
    http = requests.Session()
    outcome, latency, pressed_at = "error", None, None
    try:
        page = http.get(f"{base}/sign-in", timeout=60)
        token = CSRF.search(page.text).group(1)
        http.post(
            f"{base}/sign-in",
            data={"csrf_token": token, "email": email, "password": PASSWORD},
            timeout=60,
            allow_redirects=False,
        )
        page = http.get(f"{base}/bids/{bid_id}/submit", timeout=60)
        token = CSRF.search(page.text).group(1)
    except Exception as error:  # a benchmark reports failures, it does not stop on them
        outcome = f"error while preparing: {type(error).__name__}"
    with lock:
        parked.append(bid_id)
    go.wait()
    if not outcome.startswith("error while preparing"):
        delay = schedule[bid_id] - time.time()
        if delay > 0:
            time.sleep(delay)
        try:
            pressed_at = time.time()
            started = time.perf_counter()
            response = http.post(
                f"{base}/bids/{bid_id}/submit", data={"csrf_token": token}, timeout=60, allow_redirects=False
            )
            latency = time.perf_counter() - started
            if response.status_code in (302, 303) and "/receipts/" in response.headers.get("Location", ""):
                outcome = "accepted"
            elif response.status_code == 400 and "deadline" in response.text.lower():
                outcome = "late"
            else:
                outcome = f"error {response.status_code}"
        except Exception as error:
            outcome = f"error {type(error).__name__}"
    with lock:
        results.append(
            {"email": email, "bid_id": bid_id, "outcome": outcome, "latency": latency, "pressed_at": pressed_at}
        )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=300)
    parser.add_argument("--window", type=float, default=60.0, help="seconds before the deadline in which they submit")
    parser.add_argument("--late", type=float, default=0.05, help="share of providers who press after the deadline")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args(argv)

    with (
        tempfile.TemporaryDirectory() as tmp,
        throwaway_database(args.database_url, "bench_rush", Path(tmp), sqlite_name="bench.db") as database_url,
    ):
        instance = Path(tmp)
        # A provisional deadline far ahead; the real one is set once everyone has signed in.
        deadline = datetime.now(UTC) + timedelta(hours=1)
        print(f"Preparing {args.providers} providers with complete drafts...", flush=True)
        accounts = prepare(database_url, instance, args.providers, deadline)
        port = free_port()
        server = start_gunicorn(database_url, instance, port, args.workers)
        results, lock, go, schedule, parked = [], threading.Lock(), threading.Event(), {}, []
        threads = [
            threading.Thread(
                target=run_client, args=(f"http://127.0.0.1:{port}", email, bid_id, go, schedule, results, lock, parked)
            )
            for email, bid_id in accounts
        ]
        try:
            print("Signing everyone in...", flush=True)
            for thread in threads:
                thread.start()
            # Wait until every client is parked on the starting signal (or failed).
            while len(parked) < len(threads):
                time.sleep(0.2)
            deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=args.window + 2)
            engine = create_engine(database_url)
            with engine.begin() as connection:
                connection.execute(
                    text("UPDATE tender SET submission_deadline = :d WHERE reference = 'RUSH-1'"), {"d": deadline}
                )
            engine.dispose()
            deadline_ts = deadline.timestamp()
            late_count = int(args.providers * args.late)
            on_time = max(1, len(accounts) - late_count)
            for n, (_email, bid_id) in enumerate(accounts):
                if n < late_count:
                    schedule[bid_id] = deadline_ts + 0.2 + (n % 10) * 0.3
                else:
                    schedule[bid_id] = deadline_ts - args.window + ((n - late_count) / on_time) * (args.window - 0.5)
            print(
                f"Deadline {deadline.isoformat(timespec='seconds')}; submitting over the last "
                f"{args.window:.0f}s through gunicorn ({args.workers} workers) on "
                f"{make_url(database_url).get_backend_name()}...",
                flush=True,
            )
            go.set()
            for thread in threads:
                thread.join(args.window + 120)
        finally:
            go.set()
            server.send_signal(signal.SIGTERM)
            server.wait(30)

        accepted = [r for r in results if r["outcome"] == "accepted"]
        late = [r for r in results if r["outcome"] == "late"]
        late_but_pressed_in_time = [
            r for r in late if r["pressed_at"] is not None and r["pressed_at"] < deadline_ts - 1
        ]
        errors = [r for r in results if r["outcome"].startswith("error")]
        latencies = [r["latency"] for r in results if r["latency"] is not None]
        print()
        print(f"{'providers':<28}{len(results)}")
        print(f"{'accepted':<28}{len(accepted)}")
        print(f"{'refused as late':<28}{len(late)}")
        print(f"{'  of which pressed in time':<28}{len(late_but_pressed_in_time)}")
        print(f"{'errors':<28}{len(errors)}  {sorted({r['outcome'] for r in errors})}")
        if latencies:
            print(f"{'submit latency p50':<28}{percentile(latencies, 50) * 1000:.0f} ms")
            print(f"{'submit latency p95':<28}{percentile(latencies, 95) * 1000:.0f} ms")
            print(f"{'submit latency p99':<28}{percentile(latencies, 99) * 1000:.0f} ms")
            print(f"{'submit latency max':<28}{max(latencies) * 1000:.0f} ms")

        from portal.bids.models import Submission

        engine = create_engine(database_url)
        with engine.connect() as connection:
            rows = connection.execute(
                select(Submission.bid_id, Submission.submitted_at, Submission.receipt_reference, Submission.sha256)
            ).all()
            duplicates = connection.execute(
                select(func.count()).select_from(
                    select(Submission.bid_id).group_by(Submission.bid_id).having(func.count() > 1).subquery()
                )
            ).scalar()
        engine.dispose()
        by_bid = {row.bid_id: row for row in rows}
        problems = []
        for r in accepted:
            row = by_bid.get(r["bid_id"])
            if row is None or not row.receipt_reference or len(row.sha256) != 64:
                problems.append(f"accepted bid {r['bid_id']} has no submission with a receipt")
        after = [row for row in rows if row.submitted_at >= deadline]
        if after:
            problems.append(f"{len(after)} submissions recorded at or after the deadline")
        if duplicates:
            problems.append(f"{duplicates} bids submitted more than once")
        if len(rows) != len(accepted):
            problems.append(f"{len(rows)} submissions in the database but {len(accepted)} clients were told accepted")
        print(f"{'submissions in database':<28}{len(rows)}")
        print(f"{'after the deadline':<28}{len(after)}")
        print("database check: " + ("OK" if not problems else "FAILED: " + "; ".join(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
