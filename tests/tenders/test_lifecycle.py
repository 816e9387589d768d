"""A tender's life through the service functions: every transition, the
publication checklist, amendments, and who is told of what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import Role
from portal.agreements.models import Agreement, EndingNotice, NoticeKind
from portal.audit.models import AuditEvent
from portal.errors import RuleViolation
from portal.tenders import machine, services
from portal.tenders.models import Amendment, QuestionKind, TenderStatus
from tests.support import Mailbox
from tests.tenders.conftest import NOW, commit_and_send


@pytest.fixture
def in_request(app):
    """Services build absolute links with url_for: give them a request."""
    with app.test_request_context():
        yield


def events(db, tender, action):
    return db.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "tender", AuditEvent.object_id == tender.id, AuditEvent.action == action)
        .order_by(AuditEvent.position)  # the chain's order (sealing rewrites rows, so PostgreSQL's own order moves)
    ).all()


def move_to(db, tender, officer, status):
    """Walk a draft along the legal path to ``status``."""
    path = [TenderStatus.PUBLISHED, TenderStatus.CLOSED, TenderStatus.EVALUATION, TenderStatus.AWARDED]
    for step in path[: path.index(status) + 1] if status in path else []:
        if step is TenderStatus.PUBLISHED:
            services.publish(db, officer, tender, NOW)
        elif step is TenderStatus.CLOSED:
            assert services.close_if_due(db, tender, tender.submission_deadline)
        elif step is TenderStatus.EVALUATION:
            services.start_evaluation(db, officer, tender, tender.submission_deadline + timedelta(hours=1))
        else:
            services.award(db, officer, tender, tender.submission_deadline + timedelta(days=30))
    if status is TenderStatus.CANCELLED:
        services.cancel(db, officer, tender, "Budget withdrawn", NOW)
    db.commit()
    assert tender.status is status


# --- Transitions -------------------------------------------------------------------


def test_publish_moves_a_draft_stamps_it_and_audits_it(db, make_tender, officer, in_request):
    tender = make_tender()
    services.publish(db, officer, tender, NOW)
    db.commit()
    assert tender.status is TenderStatus.PUBLISHED and tender.published_at == NOW
    [event] = events(db, tender, "tender.published")
    assert event.actor_id == officer.id and event.details["previous"] == "DRAFT"


@pytest.mark.parametrize(
    "offset, closes", [(-timedelta(seconds=1), False), (timedelta(0), True), (timedelta(minutes=5), True)]
)
def test_close_if_due_closes_at_the_deadline_and_not_before(db, make_tender, officer, in_request, offset, closes):
    tender = make_tender()
    services.publish(db, officer, tender, NOW)
    moment = tender.submission_deadline + offset
    assert services.close_if_due(db, tender, moment) is closes
    db.commit()
    assert tender.status is (TenderStatus.CLOSED if closes else TenderStatus.PUBLISHED)
    assert tender.closed_at == (moment if closes else None)
    assert len(events(db, tender, "tender.closed")) == (1 if closes else 0)
    if closes:
        assert events(db, tender, "tender.closed")[0].actor_id is None  # the server's clock closed it


def test_close_if_due_leaves_a_draft_alone(db, make_tender):
    tender = make_tender()
    assert services.close_if_due(db, tender, tender.submission_deadline + timedelta(days=1)) is False
    assert tender.status is TenderStatus.DRAFT


def test_close_due_closes_every_published_tender_past_its_deadline(db, make_tender, officer, in_request):
    due, later = make_tender(), make_tender(submission_deadline=NOW + timedelta(days=40))
    for tender in (due, later):
        services.publish(db, officer, tender, NOW)
    assert services.close_due(db, due.submission_deadline) == 1
    assert due.status is TenderStatus.CLOSED and later.status is TenderStatus.PUBLISHED


def test_evaluation_and_award_follow_closing(db, make_tender, officer, in_request):
    tender = make_tender()
    move_to(db, tender, officer, TenderStatus.CLOSED)
    started = tender.submission_deadline + timedelta(hours=1)
    services.start_evaluation(db, officer, tender, started)
    assert tender.status is TenderStatus.EVALUATION and tender.evaluation_started_at == started
    awarded = started + timedelta(days=20)
    services.award(db, officer, tender, awarded)
    db.commit()
    assert tender.status is TenderStatus.AWARDED and tender.awarded_at == awarded
    assert len(events(db, tender, "tender.evaluation")) == 1 and len(events(db, tender, "tender.awarded")) == 1


@pytest.mark.parametrize(
    "status", [TenderStatus.DRAFT, TenderStatus.PUBLISHED, TenderStatus.CLOSED, TenderStatus.EVALUATION]
)
def test_cancel_from_each_open_status(db, make_tender, officer, in_request, status):
    tender = make_tender()
    move_to(db, tender, officer, status)
    services.cancel(db, officer, tender, "  The budget was withdrawn  ", NOW + timedelta(days=60))
    db.commit()
    assert tender.status is TenderStatus.CANCELLED and tender.cancelled_at == NOW + timedelta(days=60)
    assert tender.cancellation_reason == "The budget was withdrawn"
    [event] = events(db, tender, "tender.cancelled")
    assert event.details == {"previous": status.name, "reason": "The budget was withdrawn"}


@pytest.mark.parametrize("status", [TenderStatus.AWARDED, TenderStatus.CANCELLED])
def test_an_awarded_or_cancelled_tender_cannot_be_cancelled(db, make_tender, officer, in_request, status):
    tender = make_tender()
    move_to(db, tender, officer, status)
    before = len(events(db, tender, "tender.cancelled"))
    with pytest.raises(RuleViolation, match="cannot be cancelled"):
        services.cancel(db, officer, tender, "Again", NOW)
    assert tender.status is status and len(events(db, tender, "tender.cancelled")) == before


def test_cancel_needs_a_reason(db, make_tender, officer):
    tender = make_tender()
    with pytest.raises(RuleViolation) as refused:
        services.cancel(db, officer, tender, "   ", NOW)
    assert refused.value.field == "reason" and tender.status is TenderStatus.DRAFT and tender.cancelled_at is None


ILLEGAL = [
    (TenderStatus.DRAFT, "start_evaluation"),
    (TenderStatus.DRAFT, "award"),
    (TenderStatus.PUBLISHED, "publish"),
    (TenderStatus.PUBLISHED, "start_evaluation"),
    (TenderStatus.PUBLISHED, "award"),
    (TenderStatus.CLOSED, "publish"),
    (TenderStatus.CLOSED, "award"),
    (TenderStatus.EVALUATION, "publish"),
    (TenderStatus.EVALUATION, "start_evaluation"),
    (TenderStatus.AWARDED, "publish"),
    (TenderStatus.AWARDED, "start_evaluation"),
    (TenderStatus.AWARDED, "award"),
    (TenderStatus.CANCELLED, "publish"),
    (TenderStatus.CANCELLED, "start_evaluation"),
    (TenderStatus.CANCELLED, "award"),
]


@pytest.mark.parametrize("status, verb", ILLEGAL, ids=[f"{s.name}-{v}" for s, v in ILLEGAL])
def test_illegal_transitions_raise_and_change_nothing(db, make_tender, officer, in_request, status, verb):
    tender = make_tender()
    move_to(db, tender, officer, status)
    stamps = {name: getattr(tender, name) for name in machine.STAMPS.values()}
    audit_count = len(db.scalars(select(AuditEvent.id)).all())
    with pytest.raises(RuleViolation):
        getattr(services, verb)(db, officer, tender, NOW + timedelta(days=90))
    assert tender.status is status
    assert {name: getattr(tender, name) for name in machine.STAMPS.values()} == stamps
    assert len(db.scalars(select(AuditEvent.id)).all()) == audit_count


@pytest.mark.parametrize(
    "status",
    [TenderStatus.DRAFT, TenderStatus.CLOSED, TenderStatus.EVALUATION, TenderStatus.AWARDED, TenderStatus.CANCELLED],
)
def test_only_a_published_tender_closes(db, make_tender, officer, in_request, status):
    tender = make_tender()
    move_to(db, tender, officer, status)
    assert services.close_if_due(db, tender, NOW + timedelta(days=365)) is False
    assert tender.status is status


def test_every_status_change_goes_through_the_transition_table():
    reachable = {target for targets in machine.TRANSITIONS.values() for target in targets}
    assert reachable == set(TenderStatus) - {TenderStatus.DRAFT}
    assert set(machine.STAMPS) == reachable


# --- The publication checklist ---------------------------------------------------


def _refused(db, tender, officer, message):
    with db.no_autoflush:  # some broken states also break a check constraint: keep them in memory
        problems = [p.message for p in services.publication_problems(tender, NOW)]
        assert any(message in p for p in problems), problems
        with pytest.raises(RuleViolation):
            services.publish(db, officer, tender, NOW)
    assert tender.status is TenderStatus.DRAFT and tender.published_at is None


def test_a_complete_draft_has_no_problems(make_tender):
    assert services.publication_problems(make_tender(), NOW) == []


def test_a_framework_needs_its_equality_impact_assessment(db, make_tender, officer, in_request):
    framework = make_tender(with_eia=False)
    _refused(db, framework, officer, "Upload the framework's Equality Impact Assessment")
    contract = make_tender(with_eia=False, is_framework=False)
    assert services.publication_problems(contract, NOW) == []


def test_weights_not_totalling_100_for_a_lot_block_publishing(db, make_tender, officer):
    tender = make_tender()
    quality = [q for q in tender.questions if q.kind is QuestionKind.QUALITY]
    quality[1].lots = [tender.lots[0]]  # the 40% question now counts for lot 1 only
    db.flush()
    assert services.quality_weight_totals(tender) == {1: 100, 2: 60}
    _refused(db, tender, officer, "The quality question weights for lot 2 total 60%: they must total 100%")


def test_weights_over_100_block_publishing(db, make_tender, officer):
    tender = make_tender()
    next(q for q in tender.questions if q.kind is QuestionKind.QUALITY).weight = 70
    _refused(db, tender, officer, "lot 1 total 110%")


def test_a_split_not_totalling_100_blocks_publishing(db, make_tender, officer):
    tender = make_tender()
    tender.lots, tender.questions  # noqa: B018 (loaded before the split breaks the check constraint)
    tender.quality_weight, tender.price_weight = 60, 30
    _refused(db, tender, officer, "The quality and price split must total 100%")
    db.rollback()


def test_no_quality_questions_blocks_publishing(db, make_tender, officer):
    tender = make_tender()
    for question in [q for q in tender.questions if q.kind is QuestionKind.QUALITY]:
        tender.questions.remove(question)
    _refused(db, tender, officer, "Add at least one scored quality question")


def test_a_pass_or_fail_question_without_its_passing_answer_blocks_publishing(db, make_tender, officer):
    tender = make_tender()
    next(q for q in tender.questions if q.kind is QuestionKind.PASS_FAIL).passing_answer = None
    _refused(db, tender, officer, "Every pass or fail question needs the answer that passes")


def test_missing_score_descriptors_block_publishing(db, make_tender, officer):
    tender = make_tender()
    descriptors = dict(tender.score_descriptors)
    descriptors["3"] = "  "
    tender.score_descriptors = descriptors
    _refused(db, tender, officer, "Describe what each score from 0 to 5 means")


def test_no_lots_blocks_publishing(db, make_tender, officer):
    tender = make_tender(lots=0)
    _refused(db, tender, officer, "Add at least one lot")


def test_no_decision_blocks_publishing(db, make_tender, officer):
    tender = make_tender()
    tender.decision_id = None
    _refused(db, tender, officer, "Link the executive decision that authorised this tender")


def test_no_conflicts_assessment_blocks_publishing(db, make_tender, officer):
    tender = make_tender()
    tender.conflicts_assessed_at = None
    _refused(db, tender, officer, "Record the conflicts of interest assessment")


def test_a_deadline_in_the_past_blocks_publishing(db, make_tender, officer):
    tender = make_tender(
        clarification_deadline=NOW - timedelta(days=3),
        answers_by=NOW - timedelta(days=2),
        submission_deadline=NOW - timedelta(minutes=1),
    )
    _refused(db, tender, officer, "The submission deadline must be in the future")


def test_a_deadline_of_exactly_now_blocks_publishing(db, make_tender, officer):
    tender = make_tender(
        clarification_deadline=NOW - timedelta(days=1), answers_by=NOW - timedelta(hours=1), submission_deadline=NOW
    )
    _refused(db, tender, officer, "The submission deadline must be in the future")


def test_clarifications_closing_after_the_deadline_block_publishing(db, make_tender, officer):
    tender = make_tender(clarification_deadline=NOW + timedelta(days=30), answers_by=None)
    _refused(db, tender, officer, "Clarification questions must close before the submission deadline")


def test_the_conflicts_assessment_is_recorded_with_who_and_when(db, make_tender, officer):
    tender = make_tender()
    with pytest.raises(RuleViolation):
        services.record_conflicts_assessment(db, officer, tender, "  ", NOW)
    services.record_conflicts_assessment(db, officer, tender, " Reviewed: none declared. ", NOW + timedelta(hours=1))
    db.commit()
    assert tender.conflicts_assessment == "Reviewed: none declared."
    assert (tender.conflicts_assessed_at, tender.conflicts_assessed_by_id) == (NOW + timedelta(hours=1), officer.id)
    assert len(events(db, tender, "tender.conflicts_assessed")) == 1


# --- Amendments -------------------------------------------------------------------


@pytest.fixture
def interested(db, make_user, in_request):
    """Two people from one organisation that registered interest, and one from another that did not."""

    def make(tender):
        first = make_user()
        colleague = make_user(organisation=first.organisation)
        bystander = make_user()
        services.register_interest(db, first, tender)
        db.commit()
        return first, colleague, bystander

    return make


def test_an_amendment_records_each_change_and_tells_interested_providers(
    db, make_tender, officer, interested, mailbox: Mailbox, in_request
):
    tender = make_tender(published=True)
    first, colleague, bystander = interested(tender)
    old_deadline = tender.submission_deadline
    new_deadline = old_deadline + timedelta(days=7)
    amendment = services.amend(
        db,
        officer,
        tender,
        "More time after questions about TUPE",
        {"submission_deadline": new_deadline, "description": tender.description},
        NOW,
    )
    commit_and_send(db)
    assert amendment.number == 1 and tender.submission_deadline == new_deadline
    assert amendment.changes == [
        {
            "field": "submission_deadline",
            "label": "Submission deadline",
            "before": "21 December 2026 at midday",
            "after": "28 December 2026 at midday",
        }
    ]
    stored = db.scalar(select(Amendment).where(Amendment.tender_id == tender.id))
    assert stored.reason == "More time after questions about TUPE" and stored.published_by_id == officer.id
    assert events(db, tender, "tender.amended")[0].details["changes"] == amendment.changes
    for person in (first, colleague):
        body = mailbox.body(mailbox.last_to(person.email))
        assert "More time after questions about TUPE" in body and "28 December 2026 at midday" in body
        assert f"/opportunities/{tender.reference}" in body
    assert mailbox.to(bystander.email) == []


def test_a_second_amendment_is_numbered_after_the_first(db, make_tender, officer, in_request):
    tender = make_tender(published=True)
    services.amend(db, officer, tender, "One", {"description": "Changed once"}, NOW)
    second = services.amend(db, officer, tender, "Two", {"description": "Changed twice"}, NOW)
    assert second.number == 2 and second.changes[0]["before"] == "Changed once"


def test_bringing_the_deadline_forward_is_refused(db, make_tender, officer, interested, mailbox, in_request):
    tender = make_tender(published=True)
    interested(tender)
    deadline = tender.submission_deadline
    with pytest.raises(RuleViolation, match="can only be extended") as refused:
        services.amend(db, officer, tender, "Hurry", {"submission_deadline": deadline - timedelta(days=1)}, NOW)
    assert refused.value.field == "submission_deadline"
    commit_and_send(db)
    assert tender.submission_deadline == deadline and tender.amendments == []
    assert mailbox.messages == []


def test_an_amendment_that_breaks_the_timetable_is_refused_and_undone(db, make_tender, officer, in_request):
    tender = make_tender(published=True)
    before = tender.clarification_deadline
    with pytest.raises(RuleViolation, match="must close before the submission deadline"):
        services.amend(
            db,
            officer,
            tender,
            "Later questions",
            {"clarification_deadline": tender.submission_deadline + timedelta(hours=1)},
            NOW,
        )
    assert tender.clarification_deadline == before and tender.amendments == []


@pytest.mark.parametrize(
    "reason, changes, message",
    [
        ("", {"description": "New"}, "Enter the reason for the amendment"),
        ("Why", {}, "Nothing has changed"),
        ("Why", {"title": "A new title"}, "These cannot be amended: title"),
    ],
)
def test_amendments_need_a_reason_a_change_and_an_amendable_field(
    db, make_tender, officer, in_request, reason, changes, message
):
    tender = make_tender(published=True)
    with pytest.raises(RuleViolation, match=message):
        services.amend(db, officer, tender, reason, changes, NOW)
    assert tender.amendments == []


@pytest.mark.parametrize("status", [TenderStatus.DRAFT, TenderStatus.CLOSED, TenderStatus.CANCELLED])
def test_only_a_published_tender_is_amended(db, make_tender, officer, in_request, status):
    tender = make_tender()
    move_to(db, tender, officer, status)
    with pytest.raises(RuleViolation, match="Only a tender that is open for bids can be amended"):
        services.amend(db, officer, tender, "Why", {"description": "New"}, NOW)
    assert tender.amendments == [] and tender.description != "New"


def test_cancelling_tells_interested_providers_why(db, make_tender, officer, interested, mailbox, in_request):
    tender = make_tender(published=True)
    first, colleague, bystander = interested(tender)
    services.cancel(db, officer, tender, "The service is being brought in-house", NOW)
    commit_and_send(db)
    for person in (first, colleague):
        message = mailbox.last_to(person.email)
        assert message["Subject"].startswith("Cancelled:")
        assert "The service is being brought in-house" in mailbox.body(message)
    assert mailbox.to(bystander.email) == []


# --- Alerts and incumbents ---------------------------------------------------------


def test_publishing_alerts_matching_providers_only(
    db, make_tender, make_category, make_district, make_user, officer, mailbox: Mailbox, in_request
):
    maidstone, swale, dover = make_district(), make_district(), make_district()
    category, other_category = make_category("Early Intervention & Prevention"), make_category("Other services")
    tender = make_tender(category=category, districts=[maidstone, swale])

    def wants(category_ids, district_ids, **kwargs):
        user = make_user(**kwargs)
        services.set_alert_preferences(db, user, category_ids, district_ids)
        return user

    by_category = wants([category.id], [])
    by_district = wants([], [swale.id])
    by_both = wants([category.id], [maidstone.id])
    other_category_only = wants([other_category.id], [])
    other_district_only = wants([], [dover.id])
    right_category_wrong_district = wants([category.id], [dover.id])
    unverified = wants([category.id], [], verified=False)
    no_choices = make_user()
    staff = make_user(role=Role.OFFICER)
    services.set_alert_preferences(db, staff, [category.id], [])
    db.commit()

    services.publish(db, officer, tender, NOW)
    commit_and_send(db)

    for user in (by_category, by_district, by_both):
        message = mailbox.last_to(user.email)
        assert tender.reference in message["Subject"]
        assert f"/opportunities/{tender.reference}" in mailbox.body(message)
    for user in (
        other_category_only,
        other_district_only,
        right_category_wrong_district,
        unverified,
        no_choices,
        staff,
    ):
        assert mailbox.to(user.email) == [], user.email


def test_publishing_sends_incumbents_a_replacement_notice(
    db, make_tender, make_category, make_organisation, make_user, officer, mailbox: Mailbox, in_request
):
    category = make_category("Early Intervention & Prevention")
    tender = make_tender(category=category)
    incumbent, unaffected = make_organisation(), make_organisation()
    member = make_user(organisation=incumbent)
    make_user(organisation=unaffected)
    agreement = Agreement(
        reference="EIP-7",
        organisation_id=incumbent.id,
        service_name="Young carers support",
        category_id=category.id,
        annual_value_pence=85_000_00,
        start_date=NOW.date() - timedelta(days=900),
        original_end_date=tender.contract_start_date - timedelta(days=1),
        end_date=tender.contract_start_date - timedelta(days=1),
    )
    other = Agreement(
        reference="EIP-8",
        organisation_id=unaffected.id,
        service_name="Family support",
        category_id=category.id,
        annual_value_pence=10_000_00,
        start_date=NOW.date() - timedelta(days=900),
        original_end_date=tender.contract_start_date,
        end_date=tender.contract_start_date,
    )
    db.add_all([agreement, other])
    db.commit()
    services.link_agreements(db, officer, tender, [agreement])
    db.commit()
    assert db.scalars(select(EndingNotice)).all() == []  # a draft tells nobody yet

    services.publish(db, officer, tender, NOW)
    commit_and_send(db)

    [notice] = db.scalars(select(EndingNotice)).all()
    assert notice.kind is NoticeKind.REPLACEMENT and notice.organisation_id == incumbent.id
    assert notice.agreement_id == agreement.id and tender.reference in notice.body
    assert notice.schedule_key == f"replacement:{tender.id}" and notice.emailed_to == 1
    assert "EIP-7" in mailbox.last_to(member.email)["Subject"]
    assert db.get(Agreement, other.id).replacement_tender_id is None


def test_linking_an_agreement_to_a_published_tender_tells_its_incumbent_at_once(
    db, make_tender, make_category, make_organisation, make_user, officer, mailbox, in_request
):
    category = make_category("Early Intervention & Prevention")
    tender = make_tender(category=category, published=True)
    incumbent = make_organisation()
    member = make_user(organisation=incumbent)
    agreement = Agreement(
        reference="EIP-9",
        organisation_id=incumbent.id,
        service_name="Outreach",
        category_id=category.id,
        annual_value_pence=1,
        start_date=NOW.date() - timedelta(days=10),
        original_end_date=NOW.date(),
        end_date=NOW.date(),
    )
    db.add(agreement)
    db.commit()
    services.link_agreements(db, officer, tender, [agreement])
    commit_and_send(db)
    [notice] = db.scalars(select(EndingNotice).where(EndingNotice.agreement_id == agreement.id)).all()
    assert notice.kind is NoticeKind.REPLACEMENT
    assert "EIP-9" in mailbox.last_to(member.email)["Subject"]


def test_close_due_command_closes_only_tenders_past_their_deadline(app, db, make_tender, monkeypatch):
    from datetime import timedelta

    from portal.tenders.models import Tender, TenderStatus

    tender = make_tender(published=True)
    monkeypatch.setitem(app.config, "FIXED_NOW", tender.submission_deadline - timedelta(seconds=1))
    assert "0 tenders closed" in app.test_cli_runner().invoke(args=["tenders", "close-due"]).output
    monkeypatch.setitem(app.config, "FIXED_NOW", tender.submission_deadline)
    assert "1 tenders closed" in app.test_cli_runner().invoke(args=["tenders", "close-due"]).output
    db.expire_all()
    assert db.get(Tender, tender.id).status is TenderStatus.CLOSED


def test_cancelling_a_published_tender_tells_bidders_and_shows_the_termination_notice(app, db, make_tender):
    """The procurement termination notice (UK12): organisations that started a bid are told too,
    and the reason is on the opportunity's page."""
    from portal.bids.models import Bid
    from portal.notifications.models import OutgoingEmail
    from portal.tenders import lifecycle
    from tests.factories import NOW, make_organisation, make_user

    tender = make_tender(published=True)
    organisation = make_organisation(db)
    bidder = make_user(db, Role.PROVIDER, organisation=organisation)
    db.add(Bid(tender_id=tender.id, organisation_id=organisation.id))
    officer = make_user(db, Role.OFFICER)
    db.commit()
    with app.app_context():
        lifecycle.cancel(db, officer, tender, "The service is now provided in-house.", NOW)
    db.commit()
    assert bidder.email in set(db.scalars(select(OutgoingEmail.to_address)))
    page = app.test_client().get(f"/opportunities/{tender.reference}").get_data(as_text=True)
    assert "Procurement termination notice" in page and "The service is now provided in-house." in page
