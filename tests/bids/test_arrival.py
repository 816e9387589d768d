"""A bid counts by the time its request reached the portal (``portal.arrival``):
the trusted proxy's ``X-Request-Start`` header, believed only within limits,
else the moment the app began handling it; and a submission reads the bid in a
fixed number of queries, however large the bid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from portal import arrival, clock
from portal.bids import submission as submitting
from portal.bids.models import Bid, BidAnswer, BidAttachment, BidLot, BidStatus, Submission, bid_evidence
from portal.files import StoredFile
from portal.providers.models import Evidence, EvidenceKind
from portal.tenders.models import Question, QuestionKind
from tests.bids.conftest import DEADLINE, NOW, hidden, questions_of
from tests.support import count_queries, csrf_token_from

STARTED = datetime(2026, 12, 21, 12, 0, 10, tzinfo=UTC)  # ten seconds after the deadline


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def nginx(moment: datetime) -> dict:
    """The header nginx sets: ``t=<seconds>.<milliseconds>``."""
    return {"X-Request-Start": f"t={moment.timestamp():.3f}"}


@pytest.fixture
def bid(client, tender, provider, login_as, start_bid):
    login_as(provider)
    return start_bid(client, tender)


@pytest.fixture
def behind_proxy(app, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)


# --- Reading the header ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, seconds",
    [
        ("t=1700000000.123", 1700000000.123),  # nginx's ${msec}
        ("1700000000.123", 1700000000.123),
        ("1700000000", 1700000000.0),
        ("1700000000123", 1700000000.123),  # milliseconds
        ("t=1700000000123456", 1700000000.123456),  # microseconds
        (" t=1700000000.5 ", 1700000000.5),
    ],
)
def test_the_header_is_read_in_seconds_milliseconds_or_microseconds(value, seconds):
    assert arrival.parse_request_start(value) == pytest.approx(seconds, abs=1e-6)


@pytest.mark.parametrize("value", [None, "", "t=", "soon", "t=12:00:00", "-5", "0", "nan", "inf", "t=1e400"])
def test_a_header_that_cannot_be_read_is_ignored(value):
    assert arrival.parse_request_start(value) is None


def test_the_header_is_believed_within_limits():
    started = STARTED
    earlier = started - timedelta(seconds=30)
    header = nginx(earlier)["X-Request-Start"]
    assert arrival.judge_arrival(header, started, trusted=True) == earlier.replace(
        microsecond=earlier.microsecond // 1000 * 1000
    )
    # Not from a trusted proxy: anybody could have sent it.
    assert arrival.judge_arrival(header, started, trusted=False) == started
    # Never later than the app saw it itself (a proxy clock running fast).
    later = nginx(started + timedelta(minutes=3))["X-Request-Start"]
    assert arrival.judge_arrival(later, started, trusted=True) == started
    # Absurdly old (more than the proxy waits for the app): a wrong clock, ignored.
    too_old = nginx(started - arrival.MAX_QUEUE_WAIT - timedelta(seconds=1))["X-Request-Start"]
    assert arrival.judge_arrival(too_old, started, trusted=True) == started
    just_in = started - arrival.MAX_QUEUE_WAIT + timedelta(seconds=1)
    assert arrival.judge_arrival(nginx(just_in)["X-Request-Start"], started, trusted=True) == just_in
    assert arrival.judge_arrival("garbage", started, trusted=True) == started


def test_without_the_test_clock_the_arrival_is_when_the_app_began_handling(app, monkeypatch):
    monkeypatch.setitem(app.config, "FIXED_NOW", None)
    stamp = clock.now() - timedelta(seconds=5)  # stamped five seconds ago (it waited in the app)
    with app.test_request_context("/", environ_base={arrival.ENVIRON_KEY: stamp}):
        assert arrival.arrival_time() == stamp
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)
    header = nginx(stamp - timedelta(seconds=2))
    with app.test_request_context("/", headers=header, environ_base={arrival.ENVIRON_KEY: stamp}):
        assert arrival.arrival_time().timestamp() == pytest.approx(stamp.timestamp() - 2, abs=0.001)
    future = nginx(stamp + timedelta(seconds=60))
    with app.test_request_context("/", headers=future, environ_base={arrival.ENVIRON_KEY: stamp}):
        assert arrival.arrival_time() == stamp  # clamped


def test_the_middleware_stamps_every_request_before_flask_sees_it(app, monkeypatch):
    monkeypatch.setitem(app.config, "FIXED_NOW", None)
    assert isinstance(app.wsgi_app, arrival.ArrivalStamp)  # the outermost layer: as early as the app can know
    seen = []

    def inner(environ, start_response):
        seen.append((environ.get(arrival.ENVIRON_KEY), clock.now()))
        start_response("204 No Content", [])
        return []

    before = clock.now()
    arrival.ArrivalStamp(inner)({"REQUEST_METHOD": "GET"}, lambda *args: None)
    [(stamp, inside)] = seen
    assert stamp is not None and before <= stamp <= inside


# --- Judging bids by their arrival -------------------------------------------------------------


def test_a_submission_that_arrived_in_time_but_commits_late_is_accepted(
    client, db, tender, bid, complete_bid, clock_at, monkeypatch, mailbox, provider
):
    complete_bid(client, bid, tender)
    page = client.get(f"/bids/{bid.id}/submit").get_data(as_text=True)
    # The request arrives one second before the deadline; by the commit the clock has
    # passed it (the request waited, or the work was slow).
    late = {"now": False}
    clock_at(lambda: DEADLINE + timedelta(seconds=3) if late["now"] else DEADLINE - timedelta(seconds=1))
    original = submitting.before_commit

    def before_commit(session, check):
        def at_commit():
            late["now"] = True
            check()

        original(session, at_commit)

    monkeypatch.setattr(submitting, "before_commit", before_commit)
    response = client.post(f"/bids/{bid.id}/submit", data={"csrf_token": csrf_token_from(page)})
    assert late["now"] is True
    assert response.status_code == 302 and "/receipts/1" in response.headers["Location"]
    db.expire_all()
    [submission] = db.scalars(select(Submission)).all()
    assert submission.submitted_at == DEADLINE - timedelta(seconds=1)
    assert db.get(Bid, bid.id).status is BidStatus.SUBMITTED


def test_a_queued_submission_counts_by_the_proxys_arrival_time(
    client, db, tender, bid, complete_bid, clock_at, behind_proxy, mailbox, provider
):
    complete_bid(client, bid, tender)
    page = client.get(f"/bids/{bid.id}/submit").get_data(as_text=True)
    # nginx received it 0.4 s before the deadline; a worker began on it 10 s after.
    clock_at(STARTED)
    arrived = DEADLINE - timedelta(milliseconds=400)
    response = client.post(f"/bids/{bid.id}/submit", data={"csrf_token": csrf_token_from(page)}, headers=nginx(arrived))
    assert response.status_code == 302, text_of(response)[:500]
    db.expire_all()
    [submission] = db.scalars(select(Submission)).all()
    assert submission.submitted_at == arrived
    # The receipt and its email say when the portal received it, to the second.
    receipt = text_of(client.get(response.headers["Location"]))
    assert "21 December 2026 at 11:59:59" in receipt
    assert "21 December 2026 at 11:59:59" in mailbox.body(mailbox.last_to(provider.email))


def test_the_header_is_ignored_unless_a_proxy_is_trusted(client, db, tender, bid, complete_bid, clock_at):
    complete_bid(client, bid, tender)
    page = client.get(f"/bids/{bid.id}/submit").get_data(as_text=True)
    clock_at(STARTED)
    response = client.post(
        f"/bids/{bid.id}/submit",
        data={"csrf_token": csrf_token_from(page)},
        headers=nginx(DEADLINE - timedelta(seconds=1)),
    )
    assert response.status_code == 400
    assert "The server's time is now 21 December 2026 at 12:00:10" in text_of(response)
    assert db.scalars(select(Submission)).all() == []


def test_a_late_request_claiming_too_early_an_arrival_is_refused(
    client, db, tender, bid, complete_bid, clock_at, behind_proxy
):
    complete_bid(client, bid, tender)
    page = client.get(f"/bids/{bid.id}/submit").get_data(as_text=True)
    handled = DEADLINE + timedelta(minutes=5)
    clock_at(handled)
    # Claimed one second before the deadline: further back than any request waits.
    response = client.post(
        f"/bids/{bid.id}/submit",
        data={"csrf_token": csrf_token_from(page)},
        headers=nginx(DEADLINE - timedelta(seconds=1)),
    )
    assert response.status_code == 400
    assert "The server's time is now 21 December 2026 at 12:05:00" in text_of(response)
    assert db.scalars(select(Submission)).all() == []


def test_a_draft_save_is_judged_by_its_arrival(client, db, tender, bid, clock_at, behind_proxy, monkeypatch):
    _selection, first, _second = questions_of(tender)
    url = f"/bids/{bid.id}/questions/{first.id}"
    clock_at(DEADLINE - timedelta(minutes=1))
    page = client.get(url).get_data(as_text=True)
    data = {
        "csrf_token": csrf_token_from(page),
        "base_version": hidden(page, "base_version"),
        "draft_token": hidden(page, "draft_token"),
        "answer": "Saved as the deadline struck.",
        "action": "save",
    }
    clock_at(STARTED)
    # Arrived after the deadline (no earlier arrival believable): refused, nothing saved.
    late = client.post(url, data=data, headers=nginx(DEADLINE + timedelta(seconds=2)))
    assert late.status_code == 400 and "The deadline for bids was" in text_of(late)
    assert db.scalar(select(BidAnswer).where(BidAnswer.bid_id == bid.id)) is None
    # Arrived a second before it: saved, though handled ten seconds after.
    saved = client.post(url, data=data, headers=nginx(DEADLINE - timedelta(seconds=1)))
    assert saved.status_code == 302, text_of(saved)[:500]
    db.expire_all()
    answer = db.scalar(select(BidAnswer).where(BidAnswer.bid_id == bid.id))
    assert answer.text == "Saved as the deadline struck." and answer.updated_at == DEADLINE - timedelta(seconds=1)


# --- A submission's cost does not grow with the bid --------------------------------------------


def _stored(db, name: str) -> StoredFile:
    stored = StoredFile(
        filename=f"{name}.pdf", content_type="application/pdf", kind="PDF", size=10, sha256=f"{abs(hash(name)):064d}"
    )
    db.add(stored)
    db.flush()
    return stored


def _fill(db, bid: Bid, tender, user, *, extra_questions: int, lots: int, files: int, evidence: int) -> None:
    """A complete bid straight into the database, with this many more quality
    questions answered, lots priced, files attached and evidence chosen."""
    section_id = next(q.section_id for q in tender.questions if q.kind is QuestionKind.QUALITY)
    for n in range(extra_questions):
        db.add(
            Question(
                tender_id=tender.id,
                section_id=section_id,
                position=10 + n,
                kind=QuestionKind.QUALITY,
                short_title=f"Extra {n}",
                text=f"Extra question {n}?",
                word_limit=100,
                weight=1,
            )
        )
    db.flush()
    db.refresh(tender)
    for question in tender.questions:
        is_quality = question.kind is QuestionKind.QUALITY
        db.add(
            BidAnswer(
                bid_id=bid.id,
                question_id=question.id,
                text="An answer." if is_quality else None,
                yes_no=None if is_quality else True,
            )
        )
    for lot in tender.lots[:lots]:
        db.add(BidLot(bid_id=bid.id, lot_id=lot.id, price_pence=100_000))
    for n in range(files):
        db.add(BidAttachment(bid_id=bid.id, file_id=_stored(db, f"bid-{bid.id}-{n}").id, title=f"File {n}"))
    for n in range(evidence):
        item = Evidence(
            organisation_id=bid.organisation_id,
            kind=EvidenceKind.INSURANCE,
            title=f"Evidence {n}",
            file_id=_stored(db, f"evidence-{bid.id}-{n}").id,
        )
        db.add(item)
        db.flush()
        db.execute(bid_evidence.insert().values(bid_id=bid.id, evidence_id=item.id))
    db.get(Bid, bid.id).declarations_confirmed_at = NOW
    db.commit()


def _queries_to_submit(app, client, bid_id: int) -> int:
    token = csrf_token_from(client.get(f"/bids/{bid_id}/submit").get_data(as_text=True))
    with count_queries(app) as statements:
        response = client.post(f"/bids/{bid_id}/submit", data={"csrf_token": token})
    assert response.status_code == 302, text_of(response)[:1000]
    return len(statements)


def test_a_submission_runs_a_fixed_number_of_queries(
    app, client, db, open_tender, provider, make_user, login_as, start_bid
):
    login_as(provider)
    small_tender = open_tender()
    small = start_bid(client, small_tender)
    _fill(db, small, small_tender, provider, extra_questions=0, lots=1, files=1, evidence=1)
    large_tender = open_tender()
    large = start_bid(client, large_tender)
    _fill(db, large, large_tender, provider, extra_questions=17, lots=2, files=6, evidence=4)
    assert len(large_tender.questions) == 20

    few = _queries_to_submit(app, client, small.id)
    many = _queries_to_submit(app, client, large.id)
    db.expire_all()
    [snapshot] = db.scalars(select(Submission.content).where(Submission.bid_id == large.id))
    assert len(snapshot["answers"]) == 20  # the snapshot has them all
    assert many == few, (few, many)
    # The signed-in user; the bid under lock with all it reads (2: bid with tender,
    # organisation and its submissions' versions; then the questions with their lots and
    # answers, the lots, files, evidence and the organisation's people); then on PostgreSQL
    # one statement for the submission, the bid's status and the receipt emails, and at
    # commit the audit chain's head read under its lock (one call) and the event inserted
    # sealed: 7. SQLite writes the submission, the status and the emails separately (3) and
    # reads the head under the write lock it already holds: 9. The deadline is read again
    # at commit on both. (33, 30, 20 and 11 before.)
    expected = {"postgresql": 7, "sqlite": 9}[db.get_bind().dialect.name]
    assert many == expected, many
