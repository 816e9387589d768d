"""Deadline rush: many providers submit at the last moment, through nginx and gunicorn, on PostgreSQL.

Each provider has a complete draft. Clients sign in, open the "check and
submit" page, then press "Submit bid" at a moment spread over the final
window before the deadline (a few on purpose just after it). Two shapes:

* ``--mode burst`` (the default): 300 presses over the last 3 seconds, more
  than two workers can submit in that time, so presses made in time queue
  and are handled (and committed) after the deadline. They must still count:
  a bid is judged by when its request reached the portal (``portal.arrival``).
* ``--mode minute``: 300 presses over the last 60 seconds.

By default, when nginx is installed (``apt-get install nginx-light``, or
``nginx``), a throwaway nginx (its own temporary prefix and configuration,
``daemon off``) stands in front of gunicorn, as in production
(docs/deploy/nginx.md): it sets ``X-Request-Start`` and the portal runs with
``TRUSTED_PROXIES=1``. ``--no-nginx`` talks to gunicorn directly (then a
request's arrival is when the app began handling it).

Prints how many were accepted, refused as late, and failed, with
p50/p95/p99 latency; then, judged by each client's press (its clock read just
before sending, so a press in the last ``--margin`` seconds before the
deadline is not judged either way): on-time presses refused and late presses
accepted. Then checks the database: every accepted bid has its receipt, none
is after the deadline, none is duplicated.

    .venv/bin/python -m tests.perf.bench_deadline_rush                      # burst, nginx, PostgreSQL
    .venv/bin/python -m tests.perf.bench_deadline_rush --mode minute --no-nginx

It is a benchmark, not a test: it prints figures and exits non-zero only if
the database disagrees with what the clients were told, or a late press was
accepted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from tests.perf.common import (
    complete_draft,
    make_bench_app,
    migrate,
    provider_with_admin,
    served_portal_env,
    start_gunicorn,
    tender_with_one_question,
)
from tests.support import CSRF_INPUT as CSRF
from tests.support import free_port, throwaway_database

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "rush-hour-password-42"


def prepare(database_url: str, instance: Path, providers: int, deadline: datetime) -> list[tuple[str, int]]:
    """Migrate, then create the tender and one complete draft bid per provider."""
    from portal.accounts.passwords import hash_password
    from portal.agreements.models import ServiceCategory
    from portal.agreements.services import install_defaults
    from portal.providers.models import District

    migrate(database_url)
    app = make_bench_app(database_url, instance, quiet=False, INSTANCE_PATH=str(instance))
    maker = app.extensions["db_sessionmaker"]
    now = datetime.now(UTC)
    with app.app_context(), maker() as session:
        install_defaults(session)
        district = District(name="Maidstone")
        session.add(district)
        category = session.scalar(select(ServiceCategory).limit(1))
        tender, question = tender_with_one_question(
            session, "RUSH-1", "Deadline rush framework", deadline, category, district, now
        )
        password_hash = hash_password(PASSWORD)
        accounts = []
        for n in range(providers):
            organisation, user = provider_with_admin(
                f"Rush provider {n}", f"rush{n}@example.org", f"Rusher {n}", password_hash, now
            )
            answer = f"Our safeguarding approach, provider {n}."
            bid = complete_draft(tender, question, organisation, 100_000 + n, answer, now)
            session.add_all([organisation, user, bid])
            session.flush()
            accounts.append((user.email, bid.id))
        session.commit()
    app.extensions["db_engine"].dispose()
    return accounts


def start_portal(
    database_url: str, instance: Path, port: int, workers: int, trusted_proxies: int = 0
) -> subprocess.Popen:
    env = {
        "TRUSTED_PROXIES": os.environ.get("TRUSTED_PROXIES", str(trusted_proxies)),
        **served_portal_env(database_url, instance),
    }
    return start_gunicorn("wsgi:app", port, workers, env, "/sign-in")


NGINX = "/usr/sbin/nginx"

NGINX_CONF = """
{user}
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    # When each submission reached nginx: $msec is when the line is written, at the end.
    log_format arrival '$msec $request_time $request_method $request_uri $status';
    access_log {prefix}/access.log arrival;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    client_max_body_size 26m;
    keepalive_timeout 300s;
    keepalive_requests 10000;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Request-Start "t=${{msec}}";
            proxy_connect_timeout 10s;
            proxy_read_timeout 120s;
            proxy_send_timeout 120s;
        }}
    }}
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or (NGINX if Path(NGINX).exists() else None)


def start_nginx(binary: str, prefix: Path, port: int, upstream: int) -> subprocess.Popen:
    """A throwaway nginx in front of gunicorn, set up as docs/deploy/nginx.conf
    (without TLS): everything in ``prefix``, in the foreground."""
    prefix.mkdir(parents=True, exist_ok=True)
    # As root nginx would hand its workers to "nobody", who cannot write in our temporary folder.
    user = "user root;" if os.geteuid() == 0 else ""
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(user=user, prefix=prefix, port=port, upstream=upstream))
    process = subprocess.Popen(
        [binary, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=sys.stderr,
    )
    for _ in range(100):
        try:
            if requests.get(f"http://127.0.0.1:{port}/sign-in", timeout=1).status_code == 200:
                return process
        except requests.RequestException:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("nginx did not start: " + (prefix / "error.log").read_text()[-2000:])


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
        try:
            # Built before the moment, so the press is timed as close to sending as can be.
            press = http.prepare_request(
                requests.Request("POST", f"{base}/bids/{bid_id}/submit", data={"csrf_token": token})
            )
            delay = schedule[bid_id] - time.time()
            if delay > 0:
                time.sleep(delay)
            pressed_at = time.time()
            started = time.perf_counter()
            response = http.send(press, timeout=60, allow_redirects=False)
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


def nginx_version(binary: str) -> str:
    found = subprocess.run([binary, "-v"], capture_output=True, text=True, check=False).stderr.strip()
    return found.rsplit("/", 1)[-1] if "/" in found else "?"


def nginx_arrivals(prefix: Path) -> dict[int, float]:
    """{bid id: when its submission reached nginx}, from the throwaway nginx's log."""
    arrivals = {}
    log = prefix / "access.log"
    for line in log.read_text().splitlines() if log.exists() else []:
        written, took, method, uri, _status = line.split()
        parts = uri.split("/")
        if method == "POST" and len(parts) == 4 and parts[1] == "bids" and parts[3] == "submit":
            arrivals[int(parts[2])] = float(written) - float(took)
    return arrivals


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("burst", "minute"), default="burst")
    parser.add_argument("--providers", type=int, default=300)
    parser.add_argument(
        "--window", type=float, help="seconds before the deadline in which they press (burst 3, minute 60)"
    )
    parser.add_argument("--late", type=float, default=0.05, help="share of providers who press after the deadline")
    parser.add_argument(
        "--margin",
        type=float,
        default=0.25,
        help="presses this close before the deadline are not judged (the press is timed just before sending)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument(
        "--nginx",
        action=argparse.BooleanOptionalAction,
        default=nginx_binary() is not None,
        help="through a throwaway nginx setting X-Request-Start (default: when nginx is installed)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args(argv)
    window = args.window or (3.0 if args.mode == "burst" else 60.0)
    binary = nginx_binary() if args.nginx else None
    if args.nginx and binary is None:
        raise SystemExit("nginx is not installed: apt-get install nginx-light (or run with --no-nginx)")

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
        server = start_portal(database_url, instance, port, args.workers, trusted_proxies=1 if binary else 0)
        proxy = None
        if binary:
            front = free_port()
            try:
                proxy = start_nginx(binary, instance / "nginx", front, port)
            except BaseException:
                server.terminate()
                raise
            port = front
        route = f"nginx {nginx_version(binary)} -> gunicorn" if binary else "gunicorn"
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
            deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=window + 2)
            engine = create_engine(database_url)
            with engine.begin() as connection:
                connection.execute(
                    text("UPDATE tender SET submission_deadline = :d WHERE reference = 'RUSH-1'"), {"d": deadline}
                )
            engine.dispose()
            deadline_ts = deadline.timestamp()
            late_count = int(args.providers * args.late)
            on_time = max(1, len(accounts) - late_count)
            # On-time presses spread evenly up to the margin before the deadline; late ones
            # from 0.2 s after it.
            spread = max(0.1, window - args.margin)
            for n, (_email, bid_id) in enumerate(accounts):
                if n < late_count:
                    schedule[bid_id] = deadline_ts + 0.2 + (n % 10) * min(0.3, window / 10)
                else:
                    schedule[bid_id] = deadline_ts - window + ((n - late_count) / on_time) * spread
            print(
                f"Deadline {deadline.isoformat(timespec='seconds')}; {len(accounts)} presses over the last "
                f"{window:g}s ({late_count} after it) through {route} ({args.workers} workers) on "
                f"{make_url(database_url).get_backend_name()}...",
                flush=True,
            )
            go.set()
            for thread in threads:
                thread.join(window + 120)
        finally:
            go.set()
            if proxy is not None:
                proxy.send_signal(signal.SIGQUIT)  # graceful: finish what it holds
            server.send_signal(signal.SIGTERM)
            server.wait(30)
            if proxy is not None:
                try:
                    proxy.wait(10)
                except subprocess.TimeoutExpired:
                    proxy.kill()

        accepted = [r for r in results if r["outcome"] == "accepted"]
        late = [r for r in results if r["outcome"] == "late"]
        pressed = [r for r in results if r["pressed_at"] is not None]
        in_time = [r for r in pressed if r["pressed_at"] < deadline_ts - args.margin]
        after_deadline = [r for r in pressed if r["pressed_at"] >= deadline_ts]
        not_judged = len(pressed) - len(in_time) - len(after_deadline)
        on_time_refused = [r for r in in_time if r["outcome"] != "accepted"]
        late_accepted = [r for r in after_deadline if r["outcome"] == "accepted"]
        errors = [r for r in results if r["outcome"].startswith("error")]
        latencies = [r["latency"] for r in results if r["latency"] is not None]
        print()
        print(f"{'providers':<40}{len(results)}")
        print(f"{'accepted':<40}{len(accepted)}")
        print(f"{'refused as late':<40}{len(late)}")
        print(f"{'errors':<40}{len(errors)}  {sorted({r['outcome'] for r in errors})}")
        print(f"{'pressed in time':<40}{len(in_time)}")
        print(f"{'  of which refused':<40}{len(on_time_refused)}")
        print(f"{'pressed after the deadline':<40}{len(after_deadline)}")
        print(f"{'  of which accepted':<40}{len(late_accepted)}")
        print(f"{f'pressed in the last {args.margin:g}s (not judged)':<40}{not_judged}")
        if binary:
            # The portal's own judgement, apart from the load generator's: a press timed in
            # time can still reach nginx late if this busy machine delays the sending thread.
            reached = nginx_arrivals(instance / "nginx")
            refused_though_in_time = [
                r for r in results if r["outcome"] != "accepted" and reached.get(r["bid_id"], 1e99) < deadline_ts
            ]
            accepted_though_late = [
                r
                for r in accepted
                if reached.get(r["bid_id"], 0) >= deadline_ts + 0.001  # nginx logs milliseconds
            ]
            print(f"{'reached nginx in time, refused':<40}{len(refused_though_in_time)}")
            print(f"{'reached nginx late, accepted':<40}{len(accepted_though_late)}")
            if on_time_refused:
                slow = [reached[r["bid_id"]] - r["pressed_at"] for r in on_time_refused if r["bid_id"] in reached]
                if slow:
                    print(f"{'  refused in time: press to nginx':<40}{min(slow):.2f}-{max(slow):.2f} s")
        if latencies:
            print(f"{'submit latency p50':<40}{percentile(latencies, 50) * 1000:.0f} ms")
            print(f"{'submit latency p95':<40}{percentile(latencies, 95) * 1000:.0f} ms")
            print(f"{'submit latency p99':<40}{percentile(latencies, 99) * 1000:.0f} ms")
            print(f"{'submit latency max':<40}{max(latencies) * 1000:.0f} ms")
        finished = [r["pressed_at"] + r["latency"] for r in pressed if r["latency"] is not None]
        if finished:
            print(f"{'last answer, after the deadline':<40}{max(finished) - deadline_ts:.1f} s")

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
        if late_accepted:
            problems.append(f"{len(late_accepted)} presses made after the deadline were accepted")
        print(f"{'submissions in database':<40}{len(rows)}")
        print(f"{'after the deadline':<40}{len(after)}")
        print("database check: " + ("OK" if not problems else "FAILED: " + "; ".join(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
