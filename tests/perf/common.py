"""What the benchmarks share: building the schema, making the app, printing a table.

(Not a benchmark: ``run_all`` runs only the ``bench_*`` modules. The throwaway
database and the query counter are in ``tests.support``, shared with the tests.)
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def migrate(url: str) -> None:
    """Alembic ``upgrade head`` on ``url``, leaving the logging alone."""
    from alembic import command

    from portal.cli import alembic_config

    config = alembic_config(url)
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


def analyse(url: str) -> None:
    """The planner's statistics, as a production database keeps them after a load (on
    PostgreSQL its autovacuum would): a benchmark that has just loaded its data runs ANALYZE
    before it measures, so that the first requests are not planned as if the tables were
    empty. (On SQLite it fills ``sqlite_stat1``, which its planner reads the same way.)"""
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()


def make_bench_app(url: str, tmpdir: Path, *, quiet: bool = True, **overrides):
    """The app on ``url``, its instance folder and mail outbox in ``tmpdir``, with
    cheap password hashing and in-memory sign-in limits; ``overrides`` are more
    config settings. ``quiet`` puts the root logger back to WARNING afterwards
    (create_app asks for INFO), to keep the figures readable."""
    from portal import create_app

    app = create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(tmpdir / "instance"),
            "MAIL_BACKEND": "outbox",
            "MAIL_OUTBOX_PATH": str(tmpdir / "outbox"),
            "PASSWORD_HASH_TIME_COST": 1,
            "PASSWORD_HASH_MEMORY_KIB": 1024,
            "RATELIMIT_STORAGE_URI": "memory://",
            **overrides,
        }
    )
    if quiet:
        logging.getLogger().setLevel(logging.WARNING)
    return app


def table(header: list[str], rows: list[list[str]], right: set[int]) -> str:
    """A plain-text table; the columns numbered in ``right`` are right-aligned."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        pairs = enumerate(zip(cells, widths, strict=False))
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in pairs).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def start_gunicorn(target: str, port: int, workers: int, env: dict, ready: str) -> subprocess.Popen:
    """``target`` under gunicorn with ``workers`` sync workers on ``port``, ``env`` added to
    this process's environment; returns once ``ready`` (a path) answers 200."""
    options = ["--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120"]
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *options, target],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=sys.stderr,
    )
    for _ in range(300):
        try:
            if requests.get(f"http://127.0.0.1:{port}{ready}", timeout=1).status_code == 200:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.1)
    stop(process)
    raise SystemExit(f"gunicorn {target} did not start")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()


def tender_with_one_question(session, reference: str, title: str, deadline, category, district, now):
    """An open tender with one lot in ``district`` and one quality question; returns
    (tender, question). What the submission benchmarks bid for."""
    from datetime import date, timedelta

    from portal.tenders.models import Lot, Question, QuestionKind, QuestionnaireSection, Tender, TenderStatus

    tender = Tender(
        reference=reference,
        title=title,
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
    return tender, question


def served_portal_env(database_url: str, instance: Path) -> dict:
    """The settings a portal served for the submission benchmarks runs with: its database and
    instance folder, a fresh secret, mail to the outbox, and cheap password hashing with no
    sign-in limit (hundreds of providers sign in from one address)."""
    return {
        "DATABASE_URL": database_url,
        "PORTAL_INSTANCE_PATH": str(instance),
        "SECRET_KEY": "bench-secret-" + uuid.uuid4().hex,
        "MAIL_BACKEND": "outbox",
        "PASSWORD_HASH_TIME_COST": "1",
        "PASSWORD_HASH_MEMORY_KIB": "1024",
        "SIGN_IN_LIMIT_PER_ADDRESS": "100000 per 15 minutes",
    }


def provider_with_admin(name: str, email: str, full_name: str, password_hash: str, now):
    """A registered provider and its administrator, able to sign in: (organisation, user)."""
    from portal.accounts.models import Role, User
    from portal.providers.models import Organisation, OrganisationType

    organisation = Organisation(
        name=name,
        organisation_type=OrganisationType.OTHER,
        address_line_1="1 Street",
        town="Town",
        postcode="ME14 1XQ",
        registered_at=now,
    )
    user = User(
        email=email,
        full_name=full_name,
        role=Role.PROVIDER,
        organisation=organisation,
        is_organisation_admin=True,
        password_hash=password_hash,
        email_verified_at=now,
    )
    return organisation, user


def complete_draft(tender, question, organisation, price_pence: int, answer: str, now):
    """A draft bid ready to submit, for ``tender_with_one_question``'s tender: its lot priced,
    its question answered, the declarations confirmed."""
    from portal.bids.models import Bid, BidAnswer, BidLot

    bid = Bid(tender=tender, organisation=organisation, created_at=now, updated_at=now, declarations_confirmed_at=now)
    bid.lots = [BidLot(lot=tender.lots[0], price_pence=price_pence)]
    bid.answers = [BidAnswer(question_id=question.id, text=answer)]
    return bid
