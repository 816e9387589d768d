"""axe-core on every page, as every kind of user, in Chromium.

Each persona (anonymous, the demo provider's administrator, an officer, an
evaluator, an administrator) signs in through the real sign-in page and visits
every GET route of ``app.url_map`` it may see, with the URL's arguments filled
with real ids from the demo council plus what the test adds so that every page
has something to show: the ending notices due (sent by the scheduled job),
clarifications (one answered, two waiting), a provider's draft bid with an
answer and two files, a submitted bid on a tender whose bids two officers have
opened, two QA evidence items, a draft tender with a document, a decision
document, and a staff member invited but not yet signed in. Lists hold two
items where a row carries its own form, so repeated ids would show.

Routes are first requested with Flask's test client, signed in as the same
persona (quicker than the browser): only those answering 200 with HTML are
opened in Chromium; files, redirects, 403s and 404s are skipped for that
persona. A few forms are then sent empty, to check the error states too.

axe-core runs with its default rules plus the duplicate-id rules (see
START_AXE). Violations are collected across every page and reported once at
the end: page URL, rule id and the target of each failing node.
"""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from portal import clock
from portal.accounts import services as account_services
from portal.accounts.models import Role, User
from portal.accounts.tokens import make_token
from portal.agreements import jobs
from portal.agreements import services as agreement_services
from portal.agreements.models import Agreement, EndingNotice
from portal.bids import drafting as bid_drafting
from portal.bids import opening as bid_opening
from portal.bids import submission as bid_submission
from portal.db import get_session
from portal.decisions import services as decision_services
from portal.decisions.models import Decision
from portal.demo import DEMO_PASSWORD, PROVIDERS, STAFF
from portal.providers import evidence as evidence_services
from portal.providers.models import District, EvidenceKind
from portal.tenders import drafting
from portal.tenders import services as tender_services
from portal.tenders.demo_data import tiny_pdf
from portal.tenders.models import DocumentKind, QuestionKind, QuestionnaireSection, Tender, TenderDocument, TenderStatus
from tests.support import post_form
from tests.tenders.conftest import (
    NOW,
    make_decision,  # noqa: F401 (fixtures)
)

PROVIDER_EMAIL = PROVIDERS[0][-1][0][0]  # Medway Valley Young Carers' administrator
STAFF_EMAILS = {}
for _email, _name, _role in STAFF:
    STAFF_EMAILS.setdefault(_role, _email)  # the first of each role: Priya Shah is the officer
PERSONAS = {
    "anonymous": None,
    "provider": PROVIDER_EMAIL,
    "officer": STAFF_EMAILS[Role.OFFICER],
    "evaluator": STAFF_EMAILS[Role.EVALUATOR],
    "admin": STAFF_EMAILS[Role.ADMIN],
}
OPEN_FRAMEWORK = "KCC-EIP-FW"
OTHER_FRAMEWORK = "KCC-DCS-FW"
ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
# One page per route, and more for the routes whose pages differ with the
# state of what they show. The ids are tried in order: tender ids draft,
# published, opened; references two open frameworks (one with the provider's
# bid), then a closed one; bids draft, submitted; questions a draft's quality
# one, the published one's (read-only), a draft's selection one; users
# invited, active.
PER_RULE = 1
STATES = {
    "tender_admin.show": 3,
    "tender_admin.edit_question": 3,
    "tender_admin.clarifications": 2,
    "tender_admin.amend": 2,
    "tender_admin.cancel": 2,
    "tender_admin.agreements": 2,
    "bid_admin.index": 2,
    "tenders.show": 3,
    "bids.show": 2,
    "staff.show": 2,
}


# --- The world: the demo council, and something on every page -------------------------------


def _one(session, statement):
    found = session.scalar(statement)
    assert found is not None, str(statement)
    return found


def build_world(app, db, clock_at, make_tender) -> dict[str, list]:
    """Load the demo, add what the pages need, and return the candidate values
    for each URL argument (by argument name, and by endpoint for tokens)."""
    clock_at(NOW)
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output

    provider = _one(db, select(User).where(User.email == PROVIDER_EMAIL))
    colleague = _one(db, select(User).where(User.organisation_id == provider.organisation_id, User.id != provider.id))
    officer = _one(db, select(User).where(User.email == STAFF_EMAILS[Role.OFFICER]))
    officer_2 = _one(db, select(User).where(User.role == Role.OFFICER, User.id != officer.id))
    districts = list(db.scalars(select(District).order_by(District.id)))[:2]
    framework = _one(db, select(Tender).where(Tender.reference == OPEN_FRAMEWORK))

    # A tender whose deadline has passed and whose bids two officers have opened,
    # with the provider's submitted bid: prepared three days ago.
    opened = make_tender(
        "KCC-AXE-OPEN",
        districts=districts,
        by=officer,
        published=False,
        title="Short breaks for disabled children",
        clarification_deadline=NOW - timedelta(days=2, hours=20),
        answers_by=NOW - timedelta(days=2, hours=10),
        submission_deadline=NOW - timedelta(days=1),
    )
    clock_at(NOW - timedelta(days=3))
    with app.test_request_context():
        session = get_session()
        tender = session.get(Tender, opened.id)
        tender_services.publish(session, session.get(User, officer.id), tender, clock.now())
        user = session.get(User, provider.id)
        bid = bid_drafting.start_bid(session, user, tender, clock.now())
        bid_drafting.choose_lots(session, user, bid, [lot.id for lot in tender.lots], clock.now())
        for question in tender.questions:
            bid_drafting.save_answer(
                session,
                user,
                bid,
                question,
                None
                if question.kind is QuestionKind.PASS_FAIL
                else "We work with schools, GPs and family hubs across the district.",
                True if question.kind is QuestionKind.PASS_FAIL else None,
                0,
                clock.now(),
            )
        bid_drafting.save_prices(session, user, bid, {lot.id: 80_000_00 for lot in tender.lots}, clock.now())
        bid_drafting.attach(
            session, user, bid, "delivery-plan.pdf", tiny_pdf("Delivery plan"), "Delivery plan", clock.now()
        )
        bid_drafting.confirm_declarations(session, user, bid, True, clock.now())
        bid_submission.submit(session, user, bid, clock.now())
        session.commit()
        submitted_bid_id = bid.id
        submitted_file_id = bid.attachments[0].file_id
    clock_at(NOW)
    with app.test_request_context():
        session = get_session()
        tender = session.get(Tender, opened.id)
        bid_opening.confirm_opening(session, session.get(User, officer.id), tender, clock.now())
        bid_opening.confirm_opening(session, session.get(User, officer_2.id), tender, clock.now())
        session.commit()

    # A complete draft tender, with a document.
    draft = make_tender("KCC-AXE-DRAFT", districts=districts, by=officer, title="Youth mentoring services")

    with app.test_request_context():
        session = get_session()
        now = clock.now()
        user = session.get(User, provider.id)
        tender = session.get(Tender, framework.id)
        drafting.add_document(
            session,
            session.get(User, officer.id),
            session.get(Tender, draft.id),
            DocumentKind.SPECIFICATION,
            "Service specification",
            "specification.pdf",
            tiny_pdf("Specification"),
            10 * 1024 * 1024,
        )

        # The ending notices due today, as the scheduled job sends them.
        assert jobs.send_due_notices(clock.today()).sent > 0

        # Clarifications on the open framework: one answered to everyone, one waiting.
        answered = tender_services.ask(session, user, tender, "Can two organisations bid together for one lot?", now)
        tender_services.answer(
            session,
            session.get(User, officer.id),
            answered,
            tender,
            "Yes: one organisation leads and is responsible for the bid.",
            True,
            now,
        )
        waiting = [
            tender_services.ask(session, user, tender, question, now)
            for question in ("Is TUPE expected to apply to lot 1?", "Can volunteers' time count towards social value?")
        ]

        # The provider's draft bid on the open framework: a lot, an answer and two files.
        bid = bid_drafting.start_bid(session, user, tender, now)
        bid_drafting.choose_lots(session, user, bid, [tender.lots[0].id], now)
        quality = [q for q in tender.questions if q.kind is QuestionKind.QUALITY]
        selection = [q for q in tender.questions if q.kind is QuestionKind.PASS_FAIL]
        bid_drafting.save_answer(
            session,
            user,
            bid,
            quality[0],
            "Our safeguarding lead reviews every concern within a day, and every member of staff is DBS checked.",
            None,
            0,
            now,
        )
        attachment = bid_drafting.attach(
            session, user, bid, "safeguarding-policy.pdf", tiny_pdf("Safeguarding policy"), "Safeguarding policy", now
        )
        bid_drafting.attach(session, user, bid, "outreach-plan.pdf", tiny_pdf("Outreach plan"), "Outreach plan", now)

        # QA evidence kept by the organisation.
        evidence = evidence_services.add_evidence(
            session,
            user,
            EvidenceKind.INSURANCE,
            "Public liability insurance",
            "insurance.pdf",
            tiny_pdf("Insurance certificate"),
            date(2027, 12, 31),
            now,
        )
        evidence_services.add_evidence(
            session,
            user,
            EvidenceKind.SAFEGUARDING_POLICY,
            "Safeguarding policy",
            "safeguarding.pdf",
            tiny_pdf("Safeguarding policy"),
            None,
            now,
        )

        # A decision document.
        decision = _one(session, select(Decision).where(Decision.id == tender.decision_id))
        decision_document = decision_services.add_document(
            session,
            session.get(User, officer.id),
            decision,
            "Record of decision",
            "record.pdf",
            tiny_pdf("Record of decision"),
            10 * 1024 * 1024,
        )

        # A staff member invited by the administrator, who has not signed in yet.
        admin = _one(session, select(User).where(User.role == Role.ADMIN))
        invited = account_services.create_staff(
            session, admin, "new.evaluator@kent.example.gov.uk", "Dev Mistry", Role.EVALUATOR
        )
        session.commit()

        notice = session.scalar(
            select(EndingNotice)
            .where(EndingNotice.organisation_id == provider.organisation_id)
            .order_by(EndingNotice.id)
        )
        if notice is None:  # nothing was due today for this provider: send one by hand
            agreement = _one(
                session,
                select(Agreement)
                .where(Agreement.organisation_id == provider.organisation_id)
                .order_by(Agreement.end_date),
            )
            [notice] = agreement_services.send_manual_notice(
                session,
                session.get(User, officer.id),
                [agreement],
                "Your agreement is ending",
                "Your agreement ends soon: see the replacement opportunity.",
            )
            session.commit()
        notice_id, notice_agreement = notice.id, notice.agreement_id
        agreements = [notice_agreement] if notice_agreement else []
        agreements += [
            a
            for a in session.scalars(
                select(Agreement.id)
                .where(Agreement.organisation_id == provider.organisation_id)
                .order_by(Agreement.id)
                .limit(2)
            )
            if a not in agreements
        ]

        tokens = {
            "accounts.accept_invitation": [make_token("invite", invited)],
            "accounts.reset_password": [make_token("reset", session.get(User, provider.id))],
            "accounts.verify_email": [make_token("verify", session.get(User, provider.id))],
        }
        draft_tender = session.get(Tender, draft.id)
        draft_selection, draft_quality = draft_tender.questions[:2]
        assert (draft_selection.kind, draft_quality.kind) == (QuestionKind.PASS_FAIL, QuestionKind.QUALITY)
        world = {
            "tender_id": [draft.id, framework.id, opened.id],  # the order matters: see STATES
            # The open framework (bid started), one the provider has not bid for, the closed one.
            "reference": [OPEN_FRAMEWORK, OTHER_FRAMEWORK, opened.reference, draft.reference],
            "bid_id": [bid.id, submitted_bid_id],
            # A quality question of the draft, then of the framework, then a selection question of each.
            "question_id": [draft_quality.id, quality[0].id, draft_selection.id, selection[0].id],
            "section_id": list(
                session.scalars(
                    select(QuestionnaireSection.id)
                    .where(QuestionnaireSection.tender_id == draft.id)
                    .order_by(QuestionnaireSection.position)
                )
            )[:2],
            "lot_id": [draft_tender.lots[0].id],
            "attachment_id": [attachment.id],
            "file_id": [submitted_file_id],
            "evidence_id": [evidence.id],
            "document_id": [draft_tender.documents[0].id, decision_document.id, tender.documents[0].id],
            "decision_id": [decision.id],
            "agreement_id": agreements,
            "notice_id": [notice_id],
            "user_id": [invited.id, officer.id, colleague.id],
            "clarification_id": [answered.id] + [c.id for c in waiting],
            "version": [1],
            "kind": ["csv"],
            "tokens": tokens,
        }
    db.rollback()  # a fresh transaction sees what was committed above
    assert db.scalar(select(Tender.status).where(Tender.id == opened.id)) is TenderStatus.EVALUATION
    assert db.scalar(select(TenderDocument.id).where(TenderDocument.tender_id == draft.id))
    return world


def candidate_urls(app, world) -> dict[str, list[str]]:
    """Every GET rule's URLs, arguments filled with the world's ids, by endpoint."""
    by_endpoint: dict[str, list[str]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static" or "GET" not in (rule.methods or ()):
            continue
        names = sorted(rule.arguments)
        options = []
        for name in names:
            if name == "token":
                options.append(world["tokens"].get(rule.endpoint, ["not-a-token"]))
            elif name in world:
                options.append(world[name])
            else:
                options.append([1] if isinstance(rule._converters.get(name), IntegerConverter) else ["x"])
        urls = []
        for values in itertools.product(*options):
            chosen = dict(zip(names, values, strict=True))
            url = ARGUMENT.sub(lambda m, chosen=chosen: str(chosen[m.group(1)]), rule.rule)
            if url not in urls:
                urls.append(url)
        by_endpoint[rule.endpoint] = urls
    assert len(by_endpoint) > 60, "the app should have many GET routes"
    return by_endpoint


# --- The browser ------------------------------------------------------------------------------


def sign_in(page, live_url: str, email: str) -> None:
    page.goto(live_url + "/sign-in")
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(live_url + "/dashboard")


def client_signed_in_as(app, email: str | None):
    """A test client signed in as the persona (or not signed in), to find its pages quickly."""
    client = app.test_client()
    if email:
        response = post_form(client, "/sign-in", {"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return client


def html_pages(client, by_endpoint: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """The URLs this persona sees as HTML pages (as many a route as STATES says), and
    the endpoints skipped, with what they answered."""
    pages, skipped = [], []
    for endpoint, urls in by_endpoint.items():
        found, answers = [], set()
        for url in urls:
            response = client.get(url)
            status, kind = response.status_code, response.content_type or ""
            response.close()
            if status == 200 and kind.startswith("text/html"):
                found.append(url)
                if len(found) == STATES.get(endpoint, PER_RULE):
                    break
            else:
                answers.add(f"{status} {kind.split(';')[0]}")
        pages += found
        if not found:
            skipped.append(f"{endpoint}: {', '.join(sorted(answers))}")
    return pages, skipped


# axe-core is put in every page by an init script (the same build assert_accessible uses),
# and run with its default rules plus the two duplicate-id rules it now ships
# disabled (WCAG 2.2 made 4.1.1 obsolete): a repeated id still breaks label,
# error-message and ARIA references, and one page can hold several forms.
START_AXE = """() => {
    window.__axe = new Promise(resolve => setTimeout(resolve, 0))
        .then(() => axe.run(document, {resultTypes: ['violations'],
                                       rules: {'duplicate-id': {enabled: true},
                                               'duplicate-id-active': {enabled: true}}}))
        .then(results => results.violations);
}"""


def report(violations: list[dict], label: str) -> list[str]:
    """One line per failing node: the page, the rule and the node's target."""
    return [
        f"{label}  [{violation['id']}] {' '.join(str(t) for t in node['target'])}  ({violation['help']})"
        for violation in violations
        for node in violation["nodes"]
    ]


def axe_problems(page, label: str) -> list[str]:
    """axe-core's violations on the page as it is now."""
    page.evaluate(START_AXE)
    return report(page.evaluate("window.__axe"), label)


def check_pages(tabs, live_url: str, urls: list[str]) -> list[str]:
    """Open each URL and run axe-core on it. The tabs take turns: while axe runs
    in one, the next page loads in another (axe needs no focus or input)."""
    problems, running = [], {}
    for n, url in enumerate(urls):
        tab = tabs[n % len(tabs)]
        if tab in running:
            problems += report(tab.evaluate("window.__axe"), running.pop(tab))
        response = tab.goto(live_url + url)
        if response is None or response.status != 200:
            problems.append(f"{url}  answered {response and response.status} in the browser")
            continue
        tab.evaluate(START_AXE)
        running[tab] = url
    for tab, url in running.items():
        problems += report(tab.evaluate("window.__axe"), url)
    return problems


# The error states: a form sent empty, as the persona that may send it.
EMPTY_FORMS = {
    "anonymous": ["/register", "/sign-in", "/password-reset"],
    "provider": [
        "/organisation/colleagues/invite",
        f"/opportunities/{OPEN_FRAMEWORK}/questions/new",
        "/organisation/evidence/new",
    ],
    "officer": ["/tenders/new", "/decisions/new", "/agreements/{agreement_id}/extend"],
    "evaluator": ["/account/password"],
    "admin": ["/admin/users/new"],
}


# The error states of filters sent by GET: a list page answering 400 with its error summary.
BAD_FILTERS = {
    "anonymous": ["/contracts?category=999999&in_force-day=31&in_force-month=2&in_force-year=2027&vcse=maybe"],
}


def open_bad_filter(page, live_url: str, path: str) -> list[str]:
    """Open a list page with filters it cannot use, and check its error page."""
    response = page.goto(live_url + path)
    label = f"{path} (bad filters)"
    if response is None or response.status != 400 or page.locator(".govuk-error-summary").count() == 0:
        return [f"{label}  answered {response and response.status} without an error summary"]
    return axe_problems(page, label)


def send_empty(page, live_url: str, path: str) -> list[str]:
    """Open the form, send it without filling anything in, and check the error page."""
    page.goto(live_url + path)
    form = page.locator("main form[method=post]").filter(has=page.locator("[type=submit]")).last
    with page.expect_navigation():
        form.locator("[type=submit]").first.click()
    label = f"{path} (sent empty)"
    if page.locator(".govuk-error-summary").count() == 0:
        return [f"{label}  no error summary after sending the form empty"]
    return axe_problems(page, label)


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_every_page_passes_axe(persona, page, app, db, live_url, monkeypatch, tmp_path, clock_at, make_tender):
    # Hundreds of emails go out (the notices due, the alerts): to a folder, which is quicker than SMTP.
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "outbox")
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_PATH", str(tmp_path / "outbox"))
    world = build_world(app, db, clock_at, make_tender)
    page.context.add_init_script(AXE_SCRIPT)
    if PERSONAS[persona]:
        sign_in(page, live_url, PERSONAS[persona])

    urls, skipped = html_pages(client_signed_in_as(app, PERSONAS[persona]), candidate_urls(app, world))
    assert len(urls) >= 10, f"{persona} sees too few pages: {urls}; skipped {skipped}"
    tabs = [page] + [page.context.new_page() for _ in range(2)]
    problems = check_pages(tabs, live_url, urls)
    for path in EMPTY_FORMS[persona]:
        problems += send_empty(page, live_url, path.format(agreement_id=world["agreement_id"][0]))
    for path in BAD_FILTERS.get(persona, []):
        problems += open_bad_filter(page, live_url, path)

    print(f"\n{persona}: {len(urls)} pages and {len(EMPTY_FORMS[persona])} error states checked")
    print("\n".join(f"  {url}" for url in urls))
    print(f"{persona}: routes skipped\n" + "\n".join(f"  {s}" for s in skipped))
    assert not problems, f"{len(problems)} axe-core violations as {persona} ({len(urls)} pages):\n" + "\n".join(
        problems
    )
