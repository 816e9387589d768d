"""Benchmark: the opportunity pages and the officers' tender pages with many published tenders.

Not a test (pytest does not collect tests/perf). Run it as

    .venv/bin/python -m tests.perf.bench_tenders [--tenders N] [--lots L] [--database-url URL]

It builds its own database (Alembic upgrade head): a fresh SQLite file in a
temporary folder by default, or the PostgreSQL database given. A URL naming the
``postgres`` database makes it create ``bench_tenders_<random>`` on that server
and drop it afterwards. It then creates N published tenders, each with L lots
(districts and delivery modes), 4 documents (PDFs kept through
``portal.files.store``), 8 questionnaire questions (one pass or fail, seven
quality questions weighted to 100%), 2 amendments and 3 published
clarifications (and one answered privately, which must not show), and times
each page 5 times through the test client, with the SQL statements it runs:

* as a visitor: the opportunities list, filtered by category and district,
  searched by a word, and one opportunity's page (also as a signed-in provider);
* as an officer: the tenders list and one tender's page.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.engine import make_url

from tests.perf.common import make_bench_app, migrate, table
from tests.support import count_queries, throwaway_database

PASSWORD = "bench-tenders-password-42"
OFFICER_EMAIL = "bench.officer@kent.example.gov.uk"
PROVIDER_EMAIL = "bench.provider@swale-youth.example.org"
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
REGIONS = 3  # each tender's lots cover the 4 districts of one region
SEARCH_WORD = "respite"  # in every 10th tender's title and every 7th tender's lot descriptions
FILTER_DISTRICT = "Swale"
QUALITY_WEIGHTS = (20, 15, 15, 15, 15, 10, 10)
DOCUMENTS = ("SPECIFICATION", "TERMS", "EQUALITY_IMPACT_ASSESSMENT", "PRICING_TEMPLATE")
REPEATS = 5


# --- The data ----------------------------------------------------------------------


def reference(n: int) -> str:
    return f"BENCH-T-{n:05d}"


def has_word_in_title(n: int) -> bool:
    return n % 10 == 0


def has_word_in_lots(n: int) -> bool:
    return n % 7 == 0


def region_of(n: int) -> int:
    return (n // 3) % REGIONS  # independent of the category, which is n % 3


def region_districts(region: int) -> list[str]:
    return DISTRICTS[region * 4 : region * 4 + 4]


def lot_districts(n: int, number: int) -> list[str]:
    """The districts lot ``number`` of tender ``n`` covers: one or two of its region's."""
    region = region_districts(region_of(n))
    return [region[(number + k) % 4] for k in range(1 + number % 2)]


@dataclass
class Expected:
    total: int
    filtered: int
    searched: int
    category_id: int
    district_id: int
    detail: str
    detail_id: int


def arrange(app, tenders: int, lots: int, officer_email: str = OFFICER_EMAIL) -> Expected:
    """Districts, categories, people, a decision, and the published tenders with everything on them
    (``officer_email`` names the officer who made them, when another benchmark has the usual one)."""
    from portal import files
    from portal.accounts.models import Role, User
    from portal.accounts.passwords import hash_password
    from portal.agreements.models import DeliveryMode, ServiceCategory
    from portal.agreements.services import DEFAULT_CATEGORIES, install_defaults
    from portal.clock import now as utcnow
    from portal.decisions.models import Decision
    from portal.files import StoredFile
    from portal.providers.models import District, Organisation, OrganisationType
    from portal.tenders.models import (
        DEFAULT_DESCRIPTORS,
        Amendment,
        Clarification,
        DocumentKind,
        Lot,
        LotDeliveryMode,
        Procedure,
        Question,
        QuestionKind,
        QuestionnaireSection,
        Tender,
        TenderDocument,
        TenderStatus,
        lot_district,
    )

    modes = list(DeliveryMode)
    with app.app_context(), app.extensions["db_sessionmaker"]() as session:
        existing = set(session.scalars(select(District.name)))
        session.add_all(District(name=n) for n in DISTRICTS if n not in existing)
        install_defaults(session)
        district_ids = {d.name: d.id for d in session.scalars(select(District))}
        category_ids = [
            session.scalar(select(ServiceCategory.id).where(ServiceCategory.name == name))
            for name in DEFAULT_CATEGORIES
        ]
        officer = User(
            email=officer_email,
            full_name="Bench Officer",
            role=Role.OFFICER,
            password_hash=hash_password(PASSWORD),
            email_verified_at=utcnow(),
        )
        organisations = [
            Organisation(
                name=f"Bench Provider {k}",
                organisation_type=OrganisationType.REGISTERED_CHARITY,
                charity_number=str(3000000 + k),
                address_line_1="1 High Street",
                town="Sittingbourne",
                postcode="ME10 4AA",
                registered_at=utcnow(),
            )
            for k in range(2)
        ]
        session.add_all([officer, *organisations])
        session.flush()
        provider = User(
            email=PROVIDER_EMAIL,
            full_name="Bench Provider",
            role=Role.PROVIDER,
            organisation_id=organisations[0].id,
            is_organisation_admin=True,
            password_hash=hash_password(PASSWORD),
            email_verified_at=utcnow(),
        )
        decision = Decision(
            number="26/09999",
            title="Recommissioning services for children and families",
            decision_maker="Cabinet Member",
            status="Recommendations Approved",
            reasons="Agreements end.",
            decision_text="Agree to tender.",
            decision_date=NOW.date() - timedelta(days=60),
            publication_date=NOW.date() - timedelta(days=58),
        )
        session.add_all([provider, decision])
        session.flush()

        # Four documents' worth of bytes, kept on disk once each as uploads are; one row per document.
        kept = [
            files.store(
                session,
                officer,
                f"{kind.lower()}.pdf",
                b"%PDF-1.4\n% " + kind.encode() + b"\n" + b"0" * (900 * (k + 1)) + b"\n%%EOF\n",
                app.config["MAX_FILE_BYTES"],
            )
            for k, kind in enumerate(DOCUMENTS)
        ]
        templates = [
            {"filename": f.filename, "content_type": f.content_type, "kind": f.kind, "size": f.size, "sha256": f.sha256}
            for f in kept
        ]
        officer_id, decision_id = officer.id, decision.id
        organisation_ids = [o.id for o in organisations]

        for n in range(tenders):
            title = f"{'Respite and short breaks' if has_word_in_title(n) else 'Early help services'} {n}"
            deadline = NOW + timedelta(days=30, hours=n % 500)
            tender = Tender(
                reference=reference(n),
                title=title,
                description=f"Services for children, young people and families, opportunity {n}.",
                category_id=category_ids[n % 3],
                estimated_value_pence=(200_000 + (n * 7919) % 2_000_000) * 100,
                procedure=Procedure.OPEN if n % 4 else Procedure.COMPETITIVE_FLEXIBLE,
                status=TenderStatus.PUBLISHED,
                decision_id=decision_id,
                clarification_deadline=deadline - timedelta(days=14),
                answers_by=deadline - timedelta(days=10),
                submission_deadline=deadline,
                evaluation_date=(deadline + timedelta(days=7)).date(),
                intended_award_date=(deadline + timedelta(days=21)).date(),
                standstill_end_date=(deadline + timedelta(days=33)).date(),
                contract_start_date=(deadline + timedelta(days=120)).date(),
                quality_weight=60,
                price_weight=40,
                score_descriptors=dict(DEFAULT_DESCRIPTORS),
                conflicts_assessment="No conflicts declared.",
                conflicts_assessed_at=NOW - timedelta(days=3),
                conflicts_assessed_by_id=officer_id,
                created_by_id=officer_id,
                created_at=NOW - timedelta(days=10, minutes=n),
                published_at=NOW - timedelta(days=2),
            )
            session.add(tender)
            session.flush()

            lot_rows = []
            for number in range(1, lots + 1):
                area = " and ".join(lot_districts(n, number))
                lot = Lot(
                    tender_id=tender.id,
                    number=number,
                    title=f"Lot {number} for area {area}",
                    description=("Respite care and " if has_word_in_lots(n) else "") + f"services in {area}",
                    estimated_annual_value_pence=50_000_00 + number * 1_000_00,
                    max_providers=1 + number % 3,
                )
                lot.delivery_mode_rows = [LotDeliveryMode(mode=modes[(number + k) % 3]) for k in range(1 + number % 2)]
                session.add(lot)
                lot_rows.append(lot)
            session.flush()
            session.execute(
                insert(lot_district),
                [
                    {"lot_id": lot.id, "district_id": district_ids[name]}
                    for lot in lot_rows
                    for name in lot_districts(n, lot.number)
                ],
            )

            selection = QuestionnaireSection(
                tender_id=tender.id, position=1, title="Selection", kind=QuestionKind.PASS_FAIL
            )
            quality = QuestionnaireSection(tender_id=tender.id, position=2, title="Quality", kind=QuestionKind.QUALITY)
            session.add_all([selection, quality])
            session.flush()
            questions = [
                Question(
                    tender_id=tender.id,
                    section_id=selection.id,
                    position=1,
                    kind=QuestionKind.PASS_FAIL,
                    passing_answer=True,
                    text="Do you hold employers' liability insurance of at least \u00a35m?",
                )
            ]
            questions += [
                Question(
                    tender_id=tender.id,
                    section_id=quality.id,
                    position=2 + k,
                    kind=QuestionKind.QUALITY,
                    text=f"Quality question {k + 1}: how will you ...?",
                    word_limit=500,
                    weight=weight,
                )
                for k, weight in enumerate(QUALITY_WEIGHTS)
            ]
            session.add_all(questions)

            stored = [StoredFile(uploaded_by_id=officer_id, **t) for t in templates]
            session.add_all(stored)
            session.flush()
            session.add_all(
                TenderDocument(
                    tender_id=tender.id,
                    kind=DocumentKind[kind],
                    title=f"{DocumentKind[kind].value} for {tender.reference}",
                    file_id=f.id,
                )
                for kind, f in zip(DOCUMENTS, stored, strict=False)
            )
            session.add_all(
                Amendment(
                    tender_id=tender.id,
                    number=k,
                    reason=f"Amendment {k}: more time for questions.",
                    published_at=NOW - timedelta(days=2 - k * 0.5),
                    published_by_id=officer_id,
                    changes=[
                        {
                            "field": "clarification_deadline",
                            "label": "Clarification questions close",
                            "before": "1 December 2026 at 5pm",
                            "after": "8 December 2026 at 5pm",
                        }
                    ],
                )
                for k in (1, 2)
            )
            session.add_all(
                Clarification(
                    tender_id=tender.id,
                    organisation_id=organisation_ids[k % 2],
                    asked_by_id=None,
                    question=f"Published question {k + 1} about {tender.reference}?",
                    asked_at=NOW - timedelta(hours=40),
                    answer=f"Published answer {k + 1}.",
                    answered_at=NOW - timedelta(hours=30 - k),
                    answered_by_id=officer_id,
                    is_published=True,
                )
                for k in range(3)
            )
            session.add(
                Clarification(
                    tender_id=tender.id,
                    organisation_id=organisation_ids[1],
                    question="A private question?",
                    asked_at=NOW - timedelta(hours=20),
                    answer="A PRIVATE ANSWER.",
                    answered_at=NOW - timedelta(hours=10),
                    answered_by_id=officer_id,
                    is_published=False,
                )
            )
            if n % 50 == 49:
                session.commit()
        session.commit()

        detail = tenders // 2
        return Expected(
            total=tenders,
            filtered=sum(
                1
                for n in range(tenders)
                if n % 3 == 0 and any(FILTER_DISTRICT in lot_districts(n, number) for number in range(1, lots + 1))
            ),
            searched=sum(1 for n in range(tenders) if has_word_in_title(n) or has_word_in_lots(n)),
            category_id=category_ids[0],
            district_id=district_ids[FILTER_DISTRICT],
            detail=reference(detail),
            detail_id=session.scalar(select(Tender.id).where(Tender.reference == reference(detail))),
        )


# --- Timing ------------------------------------------------------------------------


def signed_in(app, email: str):
    from tests.support import post_form

    client = app.test_client()
    response = post_form(client, "/sign-in", {"email": email, "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"{email} could not sign in: {response.status_code}")
    return client


RESULT_COUNT = re.compile(r'id="result-count">([\d,]+) opportunit')


def result_count(html: str) -> int:
    match = RESULT_COUNT.search(html)
    if not match:
        raise SystemExit("the opportunities page shows no result count")
    return int(match.group(1).replace(",", ""))


@dataclass
class Page:
    name: str
    who: str
    path: str
    check: callable


@dataclass
class PageFigures:
    name: str
    who: str
    path: str
    median_ms: float
    max_ms: float
    queries: list[int]
    kilobytes: float


def pages(expected: Expected) -> list[Page]:
    def count_is(wanted):
        def check(html):
            if result_count(html) != wanted:
                raise SystemExit(f"the page shows {result_count(html)} opportunities, not {wanted}")

        return check

    def detail_check(html):
        start = html.find('id="published-clarifications"')
        section = html[start : html.find("</dl>", start)] if start >= 0 else ""
        published = section.count("Published answer ")
        if published != 3 or "A PRIVATE ANSWER." in html or "Bench Provider 1" in html:
            raise SystemExit(
                f"the opportunity page shows {published} published answers (not 3), "
                "or a private answer, or an asker's name"
            )
        if html.count("Amendment ") < 2 or html.count("/documents/") != 4:
            raise SystemExit("the opportunity page does not show its 2 amendments and 4 documents")

    def officer_list_check(html):
        if html.count("/tenders/") < expected.total:
            raise SystemExit("the officers' list does not link every tender")

    def officer_detail_check(html):
        if expected.detail not in html or "Lot 1 for area" not in html:
            raise SystemExit("the officer's tender page does not show the tender and its lots")

    f = expected
    return [
        Page("Opportunities", "visitor", "/opportunities", count_is(f.total)),
        Page(
            "Category + district",
            "visitor",
            f"/opportunities?category={f.category_id}&district={f.district_id}",
            count_is(f.filtered),
        ),
        Page("Search by a word", "visitor", f"/opportunities?q={SEARCH_WORD}", count_is(f.searched)),
        Page("Opportunity page", "visitor", f"/opportunities/{f.detail}", detail_check),
        Page("Opportunity page", "provider", f"/opportunities/{f.detail}", detail_check),
        Page("Tenders list", "officer", "/tenders", officer_list_check),
        Page("Tender page", "officer", f"/tenders/{f.detail_id}", officer_detail_check),
    ]


def time_pages(app, expected: Expected) -> list[PageFigures]:
    clients = {
        "visitor": app.test_client(),
        "provider": signed_in(app, PROVIDER_EMAIL),
        "officer": signed_in(app, OFFICER_EMAIL),
    }
    figures = []
    with count_queries(app) as statements:
        for page in pages(expected):
            client = clients[page.who]
            durations, queries = [], []
            for _ in range(REPEATS):
                statements.clear()
                started = time.perf_counter()
                response = client.get(page.path)
                durations.append((time.perf_counter() - started) * 1000)
                queries.append(len(statements))
                if response.status_code != 200:
                    raise SystemExit(f"GET {page.path} as {page.who} answered {response.status_code}")
            page.check(response.get_data(as_text=True))
            figures.append(
                PageFigures(
                    page.name,
                    page.who,
                    page.path,
                    statistics.median(durations),
                    max(durations),
                    queries,
                    len(response.data) / 1024,
                )
            )
    return figures


# --- Report ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.bench_tenders", description=__doc__.split("\n")[0])
    parser.add_argument("--tenders", type=int, default=200, help="published tenders (default 200)")
    parser.add_argument("--lots", type=int, default=12, help="lots per tender (default 12)")
    parser.add_argument(
        "--database-url",
        default=None,
        help="default: a fresh SQLite file in a temporary folder; a PostgreSQL URL naming the "
        "'postgres' database makes a bench_tenders_<random> database and drops it after",
    )
    args = parser.parse_args(argv)
    if args.tenders < 1 or args.lots < 1:
        parser.error("--tenders and --lots must be at least 1")

    with (
        tempfile.TemporaryDirectory(prefix="bench_tenders_") as tmp,
        throwaway_database(args.database_url, "bench_tenders", Path(tmp), sqlite_name="bench.db") as url,
    ):
        tmpdir = Path(tmp)
        shown = make_url(url).render_as_string(hide_password=True)
        print(
            f"Tenders benchmark: {args.tenders:,} published tenders x {args.lots} lots, each with 4 documents, "
            f"8 questions, 2 amendments, 3 published clarifications; database {shown}",
            flush=True,
        )
        started = time.perf_counter()
        migrate(url)
        migrated = time.perf_counter()
        app = make_bench_app(url, tmpdir, UPLOAD_PATH=str(tmpdir / "uploads"), FIXED_NOW=NOW)
        try:
            expected = arrange(app, args.tenders, args.lots)
            arranged = time.perf_counter()
            figures = time_pages(app, expected)
        finally:
            app.extensions["db_engine"].dispose()

    print(
        f"\nSchema {migrated - started:.1f}s; arranging the data {arranged - migrated:.1f}s. Expected results: "
        f"{expected.total:,} open, {expected.filtered:,} for category + {FILTER_DISTRICT}, "
        f"{expected.searched:,} for \u201c{SEARCH_WORD}\u201d.\n"
    )
    print(
        table(
            ["Page", "As", "Path", "Median ms", "Max ms", "SQL queries", "KB"],
            [
                [
                    p.name,
                    p.who,
                    p.path,
                    f"{p.median_ms:.1f}",
                    f"{p.max_ms:.1f}",
                    str(p.queries[0]) if len(set(p.queries)) == 1 else "/".join(map(str, p.queries)),
                    f"{p.kilobytes:,.0f}",
                ]
                for p in figures
            ],
            right={3, 4, 5, 6},
        )
    )
    print(
        f"\nEach page requested {REPEATS} times; SQL queries counted per request "
        "(before_cursor_execute, the signed-in user's load included)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
