"""What needs a member of staff's attention, for their home page.

Pages stand above every domain, so this module reads each domain's tables
directly, and a page of things to do costs a fixed number of queries whatever
the number of tenders, bids or agreements: each list below is one query (or a
fixed few), never a query per row.

Each list is a :class:`Section` of :class:`Item`s; an item names the page that
deals with it (an endpoint and its arguments), so the template links every one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from portal.accounts.models import STAFF_ROLES, User
from portal.agreements import queries as agreement_queries
from portal.agreements import services as agreement_services
from portal.awards.contracts import details_notices_due
from portal.awards.models import AwardNotice, LotAward, LotAwardStatus
from portal.bids.models import BidOpening
from portal.evaluation.models import LotEvaluation, LotEvaluationStatus, PanelMember
from portal.tenders.checks import publication_problems
from portal.tenders.models import Clarification, Lot, Question, Tender, TenderStatus

# A standstill ending within this many days (or already ended) is shown: the contracts can
# be entered once it ends, and an officer needs a few days' warning to line up the signatures.
STANDSTILL_WARNING_DAYS = 10
# A draft shows this many of its problems on the home page; the draft's own page has them all.
PROBLEMS_SHOWN = 3


@dataclass
class Item:
    """One thing to do: what it is, the page that deals with it, and when it is due."""

    text: str
    endpoint: str
    args: dict = field(default_factory=dict)
    detail: str = ""
    due: date | datetime | None = None
    due_label: str = ""
    tag: str = ""  # a red tag: "Overdue", "Behind", "Expired"
    notes: list[str] = field(default_factory=list)


# A home page shows this many items of a list; the rest are a link away.
ITEMS_SHOWN = 10


@dataclass
class Section:
    key: str
    heading: str
    items: list[Item]
    hint: str = ""
    more_endpoint: str = "tender_admin.index"  # where the whole list is, past ITEMS_SHOWN

    @property
    def shown(self) -> list[Item]:
        return self.items[:ITEMS_SHOWN]

    @property
    def more(self) -> int:
        return max(0, len(self.items) - ITEMS_SHOWN)


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _label(tender_reference: str, title: str) -> str:
    return f"{tender_reference}: {title}"


# --- Procurement officers ------------------------------------------------------------------------


def unanswered_clarifications(session: Session, now: datetime) -> Section:
    """Tenders with clarification questions not yet answered, with when answers are due."""
    rows = session.execute(
        select(
            Tender.id,
            Tender.reference,
            Tender.title,
            Tender.answers_by,
            func.count(Clarification.id),
            func.count(Clarification.answer),  # answers written and saved, not yet sent
        )
        .join(Clarification, Clarification.tender_id == Tender.id)
        # Only while they can still be answered (tenders.policies.can_answer): open, before the deadline.
        .where(
            Clarification.answered_at.is_(None),
            Tender.status == TenderStatus.PUBLISHED,
            Tender.submission_deadline > now,
        )
        .group_by(Tender.id, Tender.reference, Tender.title, Tender.answers_by)
        .order_by(Tender.answers_by, Tender.reference)
    ).all()
    items = [
        Item(
            _label(reference, title),
            "tender_admin.clarifications",
            {"tender_id": tender_id},
            detail=_plural(count, "question")
            + " to answer"
            + (f" ({drafted} answer{'s' if drafted != 1 else ''} drafted, not sent)" if drafted else ""),
            due=answers_by,
            due_label="Answers due by",
            tag="Overdue" if answers_by and answers_by < now else "",
        )
        for tender_id, reference, title, answers_by, count, drafted in rows
    ]
    return Section("clarifications", "Clarification questions to answer", items)


def waiting_to_open(session: Session, officer: User, now: datetime) -> Section:
    """Tenders past their deadline whose bids are not yet open: two different officers
    must confirm, so each says how many have and whether this officer is one."""
    rows = session.execute(
        select(
            Tender.id,
            Tender.reference,
            Tender.title,
            Tender.submission_deadline,
            func.count(BidOpening.id),
            func.coalesce(func.sum(case((BidOpening.officer_id == officer.id, 1), else_=0)), 0),
        )
        .outerjoin(BidOpening, BidOpening.tender_id == Tender.id)
        .where(
            Tender.status.in_((TenderStatus.PUBLISHED, TenderStatus.CLOSED)),
            Tender.submission_deadline <= now,
            Tender.evaluation_started_at.is_(None),
        )
        .group_by(Tender.id, Tender.reference, Tender.title, Tender.submission_deadline)
        .order_by(Tender.submission_deadline, Tender.reference)
    ).all()
    items = []
    for tender_id, reference, title, deadline, confirmations, mine in rows:
        if mine:
            detail = "You have confirmed: a different officer must confirm to open the bids"
        elif confirmations:
            detail = "One officer has confirmed: your confirmation opens the bids"
        else:
            detail = "Two officers must confirm to open the bids"
        items.append(
            Item(
                _label(reference, title),
                "bid_admin.index",
                {"tender_id": tender_id},
                detail=detail,
                due=deadline,
                due_label="Closed",
            )
        )
    return Section("opening", "Bids waiting to be opened", items)


def drafts_to_finish(session: Session, now: datetime) -> Section:
    """Drafts that cannot be published yet, with what is missing. The drafts are loaded
    with everything the checks read (lots, questions and their lots, documents): five
    queries, whatever the number of drafts."""
    drafts = session.scalars(
        select(Tender)
        .where(Tender.status == TenderStatus.DRAFT)
        .options(
            selectinload(Tender.lots),
            selectinload(Tender.questions).selectinload(Question.lots),
            selectinload(Tender.documents),
        )
        .order_by(Tender.reference)
    ).all()
    items = []
    for tender in drafts:
        problems = [problem.message for problem in publication_problems(tender, now)]
        if not problems:
            items.append(
                Item(
                    _label(tender.reference, tender.title),
                    "tender_admin.show",
                    {"tender_id": tender.id},
                    detail="Ready to check and publish",
                )
            )
            continue
        notes = problems[:PROBLEMS_SHOWN]
        if len(problems) > PROBLEMS_SHOWN:
            notes.append(f"and {_plural(len(problems) - PROBLEMS_SHOWN, 'more thing')}")
        items.append(
            Item(
                _label(tender.reference, tender.title),
                "tender_admin.show",
                {"tender_id": tender.id},
                detail=f"{_plural(len(problems), 'thing')} to do before it can be published",
                notes=notes,
            )
        )
    return Section("drafts", "Draft tenders", items)


def ending_notices_due(session: Session, today: date) -> Section:
    """Scheduled ending notices due and not yet sent (the worker sends them by itself;
    one still here means it has not run since they fell due)."""
    due = agreement_services.due_notices(session, today)
    items = []
    if due:
        items.append(
            Item(
                f"{_plural(len(due), 'ending notice')} due and not yet sent",
                "agreements.notice_schedule",
                detail="They are normally sent by themselves within a few minutes: send them from the notices page",
            )
        )
    return Section("notices", "Ending notices", items)


def incumbents_to_reach(session: Session, today: date) -> Section:
    """Each wave still to end with incumbents not yet registered or who have not read a
    notice (the transition dashboard's figures): two queries."""
    data = agreement_queries.dashboard(session, today, months_back=0)
    items = [
        Item(
            f"Agreements ending {wave.end_date.day} {wave.end_date:%B %Y}",
            "agreements.incumbents",
            {"wave": wave.end_date.isoformat(), "show": "unreached"},
            detail=f"{wave.incumbents - wave.reached} of {_plural(wave.incumbents, 'incumbent')} not yet reached"
            f" ({wave.registered} registered)",
            tag="Behind" if wave.status == "Behind" else "",
        )
        for wave in data.waves
        if wave.end_date >= today and wave.reached < wave.incumbents
    ]
    return Section(
        "incumbents",
        "Incumbents not yet reached",
        items,
        hint="Providers whose agreements are ending that have not registered, or have not read a notice.",
        more_endpoint="agreements.dashboard",
    )


def evaluations_to_moderate(session: Session) -> Section:
    """Lots of tenders in evaluation whose panel have all submitted, and lots in moderation."""
    panel = (
        select(
            PanelMember.lot_id.label("lot_id"),
            func.count(PanelMember.id).label("members"),
            func.count(PanelMember.submitted_at).label("submitted"),
        )
        .group_by(PanelMember.lot_id)
        .subquery()
    )
    rows = session.execute(
        select(Tender.id, Tender.reference, Lot.id, Lot.number, Lot.title, LotEvaluation.status)
        .join(Lot, Lot.tender_id == Tender.id)
        .join(panel, panel.c.lot_id == Lot.id)
        .outerjoin(LotEvaluation, LotEvaluation.lot_id == Lot.id)
        .where(
            Tender.status == TenderStatus.EVALUATION,
            or_(
                LotEvaluation.status == LotEvaluationStatus.MODERATION,
                and_(
                    or_(LotEvaluation.status.is_(None), LotEvaluation.status == LotEvaluationStatus.SCORING),
                    panel.c.members > 0,
                    panel.c.members == panel.c.submitted,
                ),
            ),
        )
        .order_by(Tender.reference, Lot.number)
    ).all()
    items = []
    for tender_id, reference, lot_id, number, lot_title, status in rows:
        if status is LotEvaluationStatus.MODERATION:
            items.append(
                Item(
                    f"{reference} lot {number}: {lot_title}",
                    "evaluation_admin.moderation_page",
                    {"tender_id": tender_id, "lot_id": lot_id},
                    detail="Moderation has begun: agree the scores and complete the lot",
                )
            )
        else:
            items.append(
                Item(
                    f"{reference} lot {number}: {lot_title}",
                    "evaluation_admin.progress",
                    {"tender_id": tender_id},
                    detail="Every evaluator has submitted: begin moderation",
                )
            )
    return Section("moderation", "Evaluations to moderate", items)


def awards_to_approve(session: Session, officer: User) -> Section:
    """Proposed awards this officer can approve: a different officer proposed them."""
    rows = session.execute(
        select(Tender.id, Tender.reference, Lot.number, Lot.title, LotAward.proposed_at)
        .join(Lot, Lot.id == LotAward.lot_id)
        .join(Tender, Tender.id == LotAward.tender_id)
        .where(
            LotAward.status == LotAwardStatus.PROPOSED,
            or_(LotAward.proposed_by_id.is_(None), LotAward.proposed_by_id != officer.id),
        )
        .order_by(LotAward.proposed_at, Tender.reference, Lot.number)
    ).all()
    items = [
        Item(
            f"{reference} lot {number}: {lot_title}",
            "award_admin.award",
            {"tender_id": tender_id},
            detail="Proposed by another officer: check and approve it",
            due=proposed_at,
            due_label="Proposed",
        )
        for tender_id, reference, number, lot_title, proposed_at in rows
    ]
    return Section("awards", "Awards to approve", items)


def standstills_ending(session: Session, today: date) -> Section:
    """Standstill periods ending soon (or ended) whose contracts are not yet entered."""
    rows = session.execute(
        select(Tender.id, Tender.reference, Tender.title, AwardNotice.standstill_ends_on)
        .join(Tender, Tender.id == AwardNotice.tender_id)
        .where(
            AwardNotice.standstill_ends_on.is_not(None),
            AwardNotice.contracts_entered_at.is_(None),
            AwardNotice.standstill_ends_on <= today + timedelta(days=STANDSTILL_WARNING_DAYS),
            Tender.status != TenderStatus.CANCELLED,
        )
        .order_by(AwardNotice.standstill_ends_on, Tender.reference)
    ).all()
    items = [
        Item(
            _label(reference, title),
            "award_admin.contracts_page",
            {"tender_id": tender_id},
            detail="The standstill has ended: enter the contracts"
            if ends_on < today
            else "Enter the contracts once the standstill ends",
            due=ends_on,
            due_label="Standstill ends",
        )
        for tender_id, reference, title, ends_on in rows
    ]
    return Section("standstills", "Standstill periods ending", items)


def contract_details_notices(session: Session, today: date) -> Section:
    items = [
        Item(
            _label(tender.reference, tender.title),
            "award_admin.contracts_page",
            {"tender_id": tender.id},
            due=notice.details_notice_due_on,
            due_label="Due by",
            tag="Overdue" if overdue else "",
        )
        for notice, tender, overdue in details_notices_due(session, today)
    ]
    return Section(
        "details-notices",
        "Contract details notices due",
        items,
        hint="Publish each on the central digital platform, then record it on the tender's contracts page.",
    )


def for_officer(session: Session, officer: User, now: datetime, today: date) -> list[Section]:
    """Everything an officer has to act on, in the order the work comes."""
    return [
        unanswered_clarifications(session, now),
        drafts_to_finish(session, now),
        waiting_to_open(session, officer, now),
        evaluations_to_moderate(session),
        awards_to_approve(session, officer),
        standstills_ending(session, today),
        contract_details_notices(session, today),
        ending_notices_due(session, today),
        incumbents_to_reach(session, today),
    ]


# --- Administrators --------------------------------------------------------------------------------


def invitations_outstanding(session: Session, now: datetime, invitation_max_age: timedelta) -> Section:
    """Staff invitations not yet accepted, each saying whether its link has expired."""
    invited = session.execute(
        select(User.id, User.full_name, User.email, User.role, User.invited_at)
        .where(User.role.in_(STAFF_ROLES), User.password_hash.is_(None), User.deactivated_at.is_(None))
        .order_by(User.invited_at, User.full_name)
    ).all()
    items = []
    for user_id, name, email, role, invited_at in invited:
        expired = bool(invited_at and invited_at + invitation_max_age < now)
        items.append(
            Item(
                f"{name} ({role.value.lower()})",
                "staff.show",
                {"user_id": user_id},
                detail=f"{email}: "
                + ("the invitation link has expired, so they cannot set a password" if expired else "not accepted yet"),
                due=invited_at,
                due_label="Invited",
                tag="Expired" if expired else "",
            )
        )
    return Section("invitations", "Staff invitations not yet accepted", items, more_endpoint="staff.index")


def staff_counts(session: Session) -> str:
    """How many active staff accounts there are, by role, in words."""
    counts = dict(
        session.execute(
            select(User.role, func.count(User.id))
            .where(User.role.in_(STAFF_ROLES), User.deactivated_at.is_(None), User.password_hash.is_not(None))
            .group_by(User.role)
        ).all()
    )
    return ", ".join(_plural(counts.get(role, 0), role.value.lower()) for role in STAFF_ROLES)
