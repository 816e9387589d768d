"""The seal: no one at the council can read a bid before the deadline, nor
after it until two different procurement officers have opened the bids.

Every GET route the app has is requested, by every kind of user, with its
arguments filled with the sealed tender's real ids; unique markers put in the
bids' answers and files must never come back, until the opening. Every
evaluation route (the officers' /tenders/<id>/evaluation... and the evaluators'
/evaluation/...) is shut until then, its forms included: sent as each member of
staff, they change nothing and show nothing.

After the opening, officers and administrators read the bids; evaluators never
through the officers' bid pages (403), only the answers assigned to them, on
their score sheets, once appointed and once they have declared their interests.
"""
# ruff: noqa: F811  (the fixtures imported from tests.tenders.conftest are then this module's test parameters)

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from portal import clock
from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent
from portal.bids import drafting, opening, policies, queries, submission
from portal.bids.models import Bid, BidOpening, BidStatus
from portal.db import get_session, transaction
from portal.errors import RuleViolation
from portal.providers import evidence as evidence_services
from portal.providers.models import EvidenceKind
from portal.tenders.models import QuestionKind, Tender, TenderStatus
from tests.support import csrf_token_for, fingerprint, post_form, sign_in_through_session
from tests.tenders.conftest import NOW, clock_at, make_category, make_decision, make_tender  # noqa: F401 (fixtures)

MARKER_A = "SEAL-MARKER-ORG-A-1f3c"
MARKER_B = "SEAL-MARKER-ORG-B-9d2e"
FILE_MARKER_A = "SEAL-FILE-ORG-A-47ab"
FILE_MARKER_B = "SEAL-FILE-ORG-B-c08f"
EVIDENCE_MARKER_A = "SEAL-EVIDENCE-ORG-A-5e61"
NAME_A = "Alpha Sealed Family Trust"
NAME_B = "Beta Sealed Youth Project"


def pdf(marker: str) -> bytes:
    return (f"%PDF-1.4\n% {marker}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n").encode()


@dataclass
class World:
    tender_id: int
    quality_question_ids: list[int]
    reference: str
    bid_ids: dict[str, int]
    attachment_ids: list[int]
    file_ids: list[int]
    evidence_ids: list[int]
    question_ids: list[int]
    lot_ids: list[int]
    section_ids: list[int]
    users: dict[str, User]

    @property
    def everything(self) -> list[bytes]:
        return [m.encode() for m in (MARKER_A, MARKER_B, FILE_MARKER_A, FILE_MARKER_B, EVIDENCE_MARKER_A)] + [
            pdf(FILE_MARKER_A),
            pdf(FILE_MARKER_B),
            pdf(EVIDENCE_MARKER_A),
        ]

    @property
    def of_b(self) -> list[bytes]:
        return [MARKER_B.encode(), FILE_MARKER_B.encode(), pdf(FILE_MARKER_B)]


def _prepare_bid(
    app, user_id: int, tender_id: int, marker: str, file_marker: str, evidence_marker: str | None = None
) -> tuple[int, int, int, int | None]:
    """Start, fill and submit one organisation's bid through the services."""
    with app.test_request_context(), transaction() as session:
        user = session.get(User, user_id)
        tender = session.get(Tender, tender_id)
        now = clock.now()
        bid = drafting.start_bid(session, user, tender, now)
        lot_ids = [lot.id for lot in tender.lots]
        drafting.choose_lots(session, user, bid, lot_ids, now)
        for question in tender.questions:
            if question.kind is QuestionKind.PASS_FAIL:
                drafting.save_answer(session, user, bid, question, None, True, 0, now)
            else:
                drafting.save_answer(
                    session,
                    user,
                    bid,
                    question,
                    f"We will do this well. {marker} (question {question.id})",
                    None,
                    0,
                    now,
                )
        drafting.save_prices(session, user, bid, {lot_id: 95_000_00 + n for n, lot_id in enumerate(lot_ids)}, now)
        attachment = drafting.attach(
            session, user, bid, "method-statement.pdf", pdf(file_marker), "Method statement", now
        )
        evidence_id = None
        if evidence_marker:
            evidence = evidence_services.add_evidence(
                session,
                user,
                EvidenceKind.INSURANCE,
                "Public liability",
                "insurance.pdf",
                pdf(evidence_marker),
                date(2027, 12, 31),
                now,
            )
            drafting.choose_evidence(session, user, bid, [evidence.id], now)
            evidence_id = evidence.id
        drafting.confirm_declarations(session, user, bid, True, now)
        submission.submit(session, user, bid, now)
        return bid.id, attachment.id, attachment.file_id, evidence_id


@pytest.fixture
def world(app, db, make_tender, make_user, make_organisation) -> World:
    officer_1 = make_user(role=Role.OFFICER)
    tender = make_tender(published=True, by=officer_1)
    org_a, org_b = make_organisation(name=NAME_A), make_organisation(name=NAME_B)
    users = {
        "officer": officer_1,
        "officer_2": make_user(role=Role.OFFICER),
        "evaluator": make_user(role=Role.EVALUATOR),
        "admin": make_user(role=Role.ADMIN),
        "provider_a": make_user(organisation=org_a),
        "provider_b": make_user(organisation=org_b),
        "provider_c": make_user(),
    }
    bid_a, attachment_a, file_a, evidence_a = _prepare_bid(
        app, users["provider_a"].id, tender.id, MARKER_A, FILE_MARKER_A, EVIDENCE_MARKER_A
    )
    bid_b, attachment_b, file_b, _ = _prepare_bid(app, users["provider_b"].id, tender.id, MARKER_B, FILE_MARKER_B)
    db.expire_all()
    tender = db.get(Tender, tender.id)
    evidence_file = db.get(evidence_services.Evidence, evidence_a).file_id
    return World(
        tender_id=tender.id,
        quality_question_ids=[q.id for q in tender.questions if q.kind is QuestionKind.QUALITY],
        reference=tender.reference,
        bid_ids={"a": bid_a, "b": bid_b},
        attachment_ids=[attachment_a, attachment_b],
        file_ids=[file_a, file_b, evidence_file],
        evidence_ids=[evidence_a],
        question_ids=[q.id for q in tender.questions],
        lot_ids=[lot.id for lot in tender.lots],
        section_ids=[s.id for s in tender.sections],
        users=users,
    )


# --- Requesting every GET route ---------------------------------------------------------

ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _candidates(world: World, name: str, is_int: bool) -> list:
    known = {
        "tender_id": [world.tender_id],
        "bid_id": list(world.bid_ids.values()),
        "reference": [world.reference],
        "question_id": world.question_ids,
        "attachment_id": world.attachment_ids,
        "file_id": world.file_ids,
        "evidence_id": world.evidence_ids,
        "document_id": world.file_ids,
        "version": [1],
        "lot_id": world.lot_ids,
        "section_id": world.section_ids,
        "kind": ["csv"],
        "member_id": [1],  # no panel before the opening: any id
        "declaration_id": [1],
    }
    if name in known:
        return known[name]
    return [1] if is_int else ["x"]


def every_get_url(app, world: World) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in (rule.methods or ()):
            continue
        names = sorted(rule.arguments)
        options = [_candidates(world, name, isinstance(rule._converters.get(name), IntegerConverter)) for name in names]
        for values in itertools.product(*options):
            chosen = dict(zip(names, values, strict=True))
            urls.append(ARGUMENT.sub(lambda m, chosen=chosen: str(chosen[m.group(1)]), rule.rule))
    assert len(urls) > 40, "the app should have many GET routes"
    return sorted(set(urls))


def signed_in_client(app, user: User | None):
    """A client of its own, signed in through the session (signing in has its own tests)."""
    client = app.test_client()
    if user is not None:
        sign_in_through_session(client, user)
    return client


def responses(client, urls: list[str]) -> dict[str, bytes]:
    bodies = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, f"GET {url} gave {response.status_code}"
        bodies[url] = response.get_data()
    return bodies


def leaks(client, urls: list[str], secrets: list[bytes]) -> list[str]:
    """The URLs whose response carries any of the secrets."""
    return showing(responses(client, urls), secrets)


def showing(bodies: dict[str, bytes], secrets: list[bytes]) -> list[str]:
    return [f"{url} shows {secret[:40]!r}" for url, body in bodies.items() for secret in secrets if secret in body]


def sees(client, url: str, text: str) -> bool:
    response = client.get(url)
    return response.status_code == 200 and text in response.get_data(as_text=True)


def confirm(client, world: World, form_url: str | None = None):
    """POST the opening confirmation with a valid CSRF token (from the bids page, or any page with one)."""
    return post_form(
        client, f"/tenders/{world.tender_id}/bids/open", {}, form_url=form_url or f"/tenders/{world.tender_id}/bids"
    )


# --- Evaluation: shut until the opening ---------------------------------------------------------

EVALUATION_URL = re.compile(r"/evaluation/|/tenders/\d+/evaluation(/|$)")
EVALUATION_HOME = "/evaluation/"


def is_evaluation(url: str) -> bool:
    return bool(EVALUATION_URL.match(url))


def evaluation_posts(app, world: World) -> list[str]:
    """Every evaluation form's URL (POST), filled as the crawl fills GET routes."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or not is_evaluation(ARGUMENT.sub("1", rule.rule)):
            continue
        names = sorted(rule.arguments)
        options = [_candidates(world, name, isinstance(rule._converters.get(name), IntegerConverter)) for name in names]
        for values in itertools.product(*options):
            chosen = dict(zip(names, values, strict=True))
            urls.append(ARGUMENT.sub(lambda m, chosen=chosen: str(chosen[m.group(1)]), rule.rule))
    return sorted(set(urls))


def evaluation_form(world: World) -> dict:
    """What every evaluation form wants, valid, at once (each form reads its own fields): appoint the
    evaluator, declare no interest, a score, an agreed score, a selection decision, a handling."""
    organisations = {world.users[name].organisation_id for name in ("provider_a", "provider_b")}
    return {
        "user_id": str(world.users["evaluator"].id),
        "role": "QUALITY",
        **{f"interest_{org_id}": "no" for org_id in organisations},
        "score": "3",
        "explanation": "The bid names weekly outreach at schools and food banks and follows up every referral.",
        "improvement": "",
        "submission_sha256": "",
        "reason": "Agreed at the panel.",
        "decision": "uphold",
        "handling": "They do not score that bid.",
    }


def assert_evaluation_shut(
    app, clients, world: World, urls: list[str], moment: str, staff=("officer", "evaluator", "admin")
):
    """Before the opening the tender is not in evaluation: to officers every evaluation page of it
    is 404 (their evaluation home lists nothing of it), to evaluators their pages are 404 and the
    officers' 403, to administrators all 403; every form, sent with a valid CSRF token, is refused
    the same way and changes nothing; and no answer shows anything of a bid."""
    pages = [url for url in urls if is_evaluation(url)]
    assert EVALUATION_HOME in pages and f"/tenders/{world.tender_id}/evaluation" in pages, "the crawl misses evaluation"
    for name in staff:
        role = world.users[name].role
        for url in pages:
            response = clients[name].get(url)
            if role is Role.ADMIN:
                expected = 403
            elif url == EVALUATION_HOME:
                expected = 200
            elif role is Role.EVALUATOR and url.startswith("/tenders/"):
                expected = 403
            else:
                expected = 404
            assert response.status_code == expected, f"{moment}: GET {url} as {name} gave {response.status_code}"
            body = response.get_data()
            assert not [m for m in world.everything if m in body], f"{moment}: GET {url} as {name} shows a bid"
            if url == EVALUATION_HOME:
                text = body.decode()
                assert NAME_A not in text and NAME_B not in text and f"/tenders/{world.tender_id}/" not in text
        engine = app.extensions["db_engine"]
        before = fingerprint(engine)
        token = csrf_token_for(clients[name])
        for url in evaluation_posts(app, world):
            response = clients[name].post(url, data={"csrf_token": token, **evaluation_form(world)})
            officers_page = url.startswith("/tenders/")
            expected = 403 if role is Role.ADMIN or (role is Role.EVALUATOR and officers_page) else 404
            assert response.status_code == expected, f"{moment}: POST {url} as {name} gave {response.status_code}"
            body = response.get_data()
            assert not [m for m in world.everything if m in body], f"{moment}: POST {url} as {name} shows a bid"
        assert fingerprint(engine) == before, f"{moment}: an evaluation form sent as {name} changed the database"


STAFF = ("officer", "officer_2", "evaluator", "admin")
READERS = ("officer", "officer_2", "admin")  # who reads the bids through /tenders/<id>/bids once open
# Until one of them confirms the opening, the two officers have the same role in the same state
# and get the same answers: the crawl asks as one of them. Once one has confirmed, as both.
EACH_STAFF_ROLE = ("officer", "evaluator", "admin")


def test_the_seal_holds_until_two_officers_open_the_bids(app, db, world, clock_at):
    urls = every_get_url(app, world)
    clients = {name: signed_in_client(app, world.users[name]) for name in (*STAFF, "provider_a", "provider_c")}
    clients["anonymous"] = signed_in_client(app, None)
    bid_a_url = f"/tenders/{world.tender_id}/bids/{world.bid_ids['a']}"
    deadline = db.get(Tender, world.tender_id).submission_deadline

    def nothing_leaks(moment: str, staff: tuple[str, ...] = EACH_STAFF_ROLE, staff_only: bool = False):
        for name in staff if staff_only else (*staff, "provider_c", "anonymous"):
            assert leaks(clients[name], urls, world.everything) == [], f"{moment}, as {name}"
        if staff_only:
            return
        # The bidder reads its own bid, and nothing of the other's.
        seen_by_bidder = responses(clients["provider_a"], urls)
        assert showing(seen_by_bidder, world.of_b) == [], f"{moment}, as the bidder"
        assert showing(seen_by_bidder, [MARKER_A.encode()]), f"{moment}: the bidder reads its own bid"

    # Before the deadline.
    clock_at(NOW + timedelta(days=1))
    nothing_leaks("before the deadline")
    assert_evaluation_shut(app, clients, world, urls, "before the deadline")

    # After the deadline, before the opening: still sealed.
    clock_at(deadline + timedelta(hours=1))
    nothing_leaks("after the deadline, before the opening")
    assert not sees(clients["officer"], bid_a_url, MARKER_A)
    assert_evaluation_shut(app, clients, world, urls, "after the deadline, before the opening")

    # One officer confirms: still sealed.
    assert confirm(clients["officer"], world).status_code == 302
    assert "1 of 2 officers has confirmed" in clients["officer"].get(f"/tenders/{world.tender_id}/bids").get_data(
        as_text=True
    )
    nothing_leaks("after one officer confirmed", staff=STAFF, staff_only=True)
    assert_evaluation_shut(app, clients, world, urls, "after one officer confirmed", staff=STAFF)

    # A second, different officer opens them: officers and administrators read them; evaluators
    # never through these pages.
    assert confirm(clients["officer_2"], world).status_code == 302
    bid_b_url = f"/tenders/{world.tender_id}/bids/{world.bid_ids['b']}"
    for name in READERS:
        assert sees(clients[name], bid_a_url, MARKER_A), name
        assert sees(clients[name], bid_b_url, MARKER_B), name
    for url in (
        f"/tenders/{world.tender_id}/bids",
        bid_a_url,
        bid_b_url,
        f"{bid_a_url}/files/{world.file_ids[0]}",
        f"{bid_a_url}/files/{world.file_ids[2]}",
    ):
        assert clients["evaluator"].get(url).status_code == 403, url
    listing = clients["officer"].get(f"/tenders/{world.tender_id}/bids").get_data(as_text=True)
    assert NAME_A in listing and NAME_B in listing
    download = clients["officer"].get(f"{bid_a_url}/files/{world.file_ids[0]}")
    assert download.status_code == 200 and download.get_data() == pdf(FILE_MARKER_A)
    evidence = clients["admin"].get(f"{bid_a_url}/files/{world.file_ids[2]}")
    assert evidence.status_code == 200 and evidence.get_data() == pdf(EVIDENCE_MARKER_A)

    # An evaluator reads nothing of the bids until appointed to a lot's panel and declared; then
    # only the answers assigned to them, on their score sheets.
    assert leaks(clients["evaluator"], urls, world.everything) == [], "opened, the evaluator on no panel"
    lot_id = world.lot_ids[0]
    appointed = post_form(
        clients["officer"],
        f"/tenders/{world.tender_id}/evaluation/lots/{lot_id}/panel",
        {"user_id": str(world.users["evaluator"].id), "role": "QUALITY"},
    )
    assert appointed.status_code == 302
    assert leaks(clients["evaluator"], urls, world.everything) == [], "opened, the evaluator appointed, not declared"
    declared = post_form(
        clients["evaluator"],
        f"/evaluation/tenders/{world.tender_id}/declaration",
        {f"interest_{world.users[name].organisation_id}": "no" for name in ("provider_a", "provider_b")},
    )
    assert declared.status_code == 302
    score_sheets = f"/evaluation/lots/{lot_id}/bids/"
    seen = leaks(clients["evaluator"], urls, world.everything)
    assert [line for line in seen if not line.startswith(score_sheets)] == [], "only on their score sheets"
    question_id = world.quality_question_ids[0]
    assert sees(clients["evaluator"], f"{score_sheets}{world.bid_ids['a']}/questions/{question_id}", MARKER_A)
    assert sees(clients["evaluator"], f"{score_sheets}{world.bid_ids['b']}/questions/{question_id}", MARKER_B)

    # Opened for the council, never for other providers or the public.
    assert leaks(clients["provider_c"], urls, world.everything) == []
    assert leaks(clients["anonymous"], urls, world.everything) == []
    assert leaks(clients["provider_a"], urls, world.of_b) == []

    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "tender.bids_opened"))
    assert event.object_id == world.tender_id and event.actor_id == world.users["officer_2"].id
    assert event.details["officer_ids"] == sorted([world.users["officer"].id, world.users["officer_2"].id])


def test_the_same_officer_confirming_twice_does_not_open(app, db, world, clock_at):
    deadline = db.get(Tender, world.tender_id).submission_deadline
    clock_at(deadline + timedelta(minutes=1))
    officer = signed_in_client(app, world.users["officer"])
    assert confirm(officer, world).status_code == 302
    again = confirm(officer, world)
    assert again.status_code == 400 and "You have already confirmed" in again.get_data(as_text=True)
    assert db.scalar(select(func.count(BidOpening.id)).where(BidOpening.tender_id == world.tender_id)) == 1
    db.expire_all()
    tender = db.get(Tender, world.tender_id)
    assert tender.status is TenderStatus.CLOSED
    assert not policies.is_opened(tender, deadline + timedelta(minutes=1))
    bid_url = f"/tenders/{world.tender_id}/bids/{world.bid_ids['a']}"
    assert officer.get(bid_url).status_code == 404
    assert MARKER_A not in officer.get(bid_url).get_data(as_text=True)
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "tender.bids_opened")) is None


def test_evaluators_and_administrators_cannot_confirm(app, db, world, clock_at):
    deadline = db.get(Tender, world.tender_id).submission_deadline
    clock_at(deadline + timedelta(minutes=1))
    for name in ("evaluator", "admin"):
        client = signed_in_client(app, world.users[name])
        page = client.get(f"/tenders/{world.tender_id}/bids")
        if name == "admin":
            text = page.get_data(as_text=True)
            assert "Confirm opening" not in text and "Only procurement officers can confirm" in text
        else:  # evaluators do not reach the officers' bid pages at all
            assert page.status_code == 403
        assert confirm(client, world, form_url="/account").status_code == 403
        with app.test_request_context():
            session = get_session()
            with pytest.raises(RuleViolation, match="Only procurement officers"):
                opening.confirm_opening(
                    session, session.get(User, world.users[name].id), session.get(Tender, world.tender_id), clock.now()
                )
    for name in ("provider_a", "provider_c"):
        assert confirm(signed_in_client(app, world.users[name]), world, form_url="/account").status_code == 403
    assert db.scalar(select(func.count(BidOpening.id))) == 0


def test_confirming_before_the_deadline_is_refused(app, db, world, clock_at):
    clock_at(NOW + timedelta(days=2))
    officer = signed_in_client(app, world.users["officer"])
    page = officer.get(f"/tenders/{world.tender_id}/bids").get_data(as_text=True)
    assert "Confirm opening" not in page
    refused = confirm(officer, world)
    assert refused.status_code == 400
    assert "Bids cannot be opened before the deadline" in refused.get_data(as_text=True)
    assert db.scalar(select(func.count(BidOpening.id))) == 0
    db.expire_all()
    assert db.get(Tender, world.tender_id).status is TenderStatus.PUBLISHED


def test_before_the_deadline_officers_see_counts_per_lot_and_no_names(app, db, world, clock_at):
    clock_at(NOW + timedelta(days=1))
    tender = db.get(Tender, world.tender_id)
    assert signed_in_client(app, world.users["evaluator"]).get(f"/tenders/{world.tender_id}/bids").status_code == 403
    for name in READERS:
        page = signed_in_client(app, world.users[name]).get(f"/tenders/{world.tender_id}/bids")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "Bids are sealed until the deadline, " in text
        assert "No one at the council can read them before then." in text
        assert re.search(r"<strong>2</strong> bids submitted", text)
        for lot in tender.lots:
            assert re.search(rf"Lot {lot.number}: {lot.title}</td>\s*<td[^>]*>2</td>", text), lot.number
        for secret in (NAME_A, NAME_B, MARKER_A, MARKER_B):
            assert secret not in text
        for bid_id in world.bid_ids.values():
            assert f"/bids/{bid_id}" not in text
    with app.test_request_context():
        session = get_session()
        assert queries.counts_per_lot(session, session.get(Tender, world.tender_id)) == dict.fromkeys(world.lot_ids, 2)


def test_after_opening_a_withdrawn_bid_is_listed_without_content(app, db, world, clock_at):
    clock_at(NOW + timedelta(days=3))
    with app.test_request_context(), transaction() as session:
        submission.withdraw(
            session, session.get(User, world.users["provider_b"].id), session.get(Bid, world.bid_ids["b"]), clock.now()
        )
    deadline = db.get(Tender, world.tender_id).submission_deadline
    clock_at(deadline + timedelta(minutes=5))
    officer, officer_2 = (signed_in_client(app, world.users[n]) for n in ("officer", "officer_2"))
    assert confirm(officer, world).status_code == 302
    assert confirm(officer_2, world).status_code == 302
    listing = officer.get(f"/tenders/{world.tender_id}/bids").get_data(as_text=True)
    assert NAME_B in listing and "Withdrawn" in listing
    assert f'/bids/{world.bid_ids["b"]}"' not in listing
    withdrawn = officer.get(f"/tenders/{world.tender_id}/bids/{world.bid_ids['b']}").get_data(as_text=True)
    assert "withdrew its bid" in withdrawn and MARKER_B not in withdrawn
    assert (
        officer.get(f"/tenders/{world.tender_id}/bids/{world.bid_ids['b']}/files/{world.file_ids[1]}").status_code
        == 404
    )
    assert db.get(Bid, world.bid_ids["b"]).status is BidStatus.WITHDRAWN


def test_after_opening_only_that_submissions_files_and_that_tenders_bids(app, db, world, clock_at, make_tender):
    other = make_tender(published=True)
    deadline = db.get(Tender, world.tender_id).submission_deadline
    clock_at(deadline + timedelta(minutes=5))
    officer, officer_2 = (signed_in_client(app, world.users[n]) for n in ("officer", "officer_2"))
    confirm(officer, world)
    confirm(officer_2, world)
    bid_a, bid_b = world.bid_ids["a"], world.bid_ids["b"]
    base = f"/tenders/{world.tender_id}/bids"
    assert officer.get(f"{base}/{bid_a}/files/{world.file_ids[0]}").status_code == 200
    assert officer.get(f"{base}/{bid_a}/files/{world.file_ids[1]}").status_code == 404  # bid B's file
    assert officer.get(f"{base}/{bid_b}/files/{world.file_ids[2]}").status_code == 404  # A's evidence
    assert officer.get(f"/tenders/{other.id}/bids/{bid_a}").status_code == 404  # not that tender's bid
    assert officer.get(f"/tenders/{other.id}/bids/{bid_a}/files/{world.file_ids[0]}").status_code == 404
    assert officer.get(f"{base}/999999").status_code == 404


def test_tender_overview_shows_bid_counts_per_lot_and_nothing_else(app, db, world, clock_at):
    """The officers' own tender page counts the bids per lot before the deadline, and names no one."""
    clock_at(NOW + timedelta(days=1))
    tender = db.get(Tender, world.tender_id)
    text = signed_in_client(app, world.users["officer"]).get(f"/tenders/{world.tender_id}").get_data(as_text=True)
    assert len(re.findall(r"Bids submitted\s*</dt>\s*<dd[^>]*>\s*2\s*</dd>", text)) == len(tender.lots)
    for secret in (NAME_A, NAME_B, MARKER_A, MARKER_B):
        assert secret not in text


def test_two_officers_confirming_at_the_same_moment_open_the_bids(app, db, world, clock_at, monkeypatch):
    """Each confirmation is counted after the other's (the tender's row is
    locked first): two officers pressing at once must not each count only their
    own, leaving the bids sealed with two confirmations and nothing left to press.

    Both requests are held at two points (before writing, and after counting)
    until the other arrives, or for a second if the other cannot arrive because
    it waits for the lock: without the lock both count one, every time."""
    import contextlib
    import threading

    from portal.bids import opening as opening_module

    tender = db.get(Tender, world.tender_id)
    clock_at(tender.submission_deadline + timedelta(minutes=1))
    # Closed already (by the scheduled job), so neither confirmation writes to the tender's row before counting.
    tender.status, tender.closed_at = TenderStatus.CLOSED, tender.submission_deadline
    db.commit()

    before_writing, after_counting = threading.Barrier(2), threading.Barrier(2)

    def meet(barrier):
        with contextlib.suppress(threading.BrokenBarrierError):  # the other waits for the lock this one holds
            barrier.wait(timeout=1)

    close_if_due, record = opening_module.tender_services.close_if_due, opening_module.record

    def held_close_if_due(*args, **kwargs):
        meet(before_writing)
        return close_if_due(*args, **kwargs)

    def held_record(session, actor, action, *args, **details):
        if action == "tender.opening_confirmed":
            meet(after_counting)
        return record(session, actor, action, *args, **details)

    monkeypatch.setattr(opening_module.tender_services, "close_if_due", held_close_if_due)
    monkeypatch.setattr(opening_module, "record", held_record)
    officers = [signed_in_client(app, world.users[name]) for name in ("officer", "officer_2")]
    tokens = [
        re.search(
            r'name="csrf_token"[^>]*value="([^"]+)"',
            officer.get(f"/tenders/{world.tender_id}/bids").get_data(as_text=True),
        ).group(1)
        for officer in officers
    ]
    results = [None, None]

    def press(i):
        results[i] = officers[i].post(f"/tenders/{world.tender_id}/bids/open", data={"csrf_token": tokens[i]})

    threads = [threading.Thread(target=press, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [r.status_code for r in results] == [302, 302], [r.get_data(as_text=True)[:500] for r in results]
    db.expire_all()
    assert db.get(Tender, world.tender_id).status is TenderStatus.EVALUATION
    assert db.scalar(select(func.count(BidOpening.id))) == 2
    assert db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "tender.bids_opened")) == 1
