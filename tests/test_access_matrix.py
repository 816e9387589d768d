"""Who may open each page and send each form: the route × persona matrix.

``MATRIX`` below holds one row per URL rule and method (some rules have more
than one row, filled with different objects), and the answer each of six
personas must get. Every cell is its own test. A new route without a row makes
``test_matrix_covers_every_route`` fail.

Answers:
    200, 400, 403, 404   the status code
    LOGIN                302 to /sign-in?next=<the requested path> (signed-out visitor, protected page)
    HOME                 302 to /dashboard (a signed-in user on a signed-out-only page)
    Redirect("/x")       302 to /x: the form was accepted ("<new>" in it stands for the id of
                         the object the form created)
    LOGIN_KEPT           302 to sign in, to come back to the page with what was typed kept for
                         after sign-in (a save that arrives once the session has ended)

Every POST carries a valid CSRF token and, where the route changes something,
valid data: so an allowed persona's POST really changes the database (checked),
and a refused one (LOGIN, 403, 404) must leave it exactly as it was (checked).

The cells are cheap: they share one world per test process (restored from a copy
only after a cell changed it), sign in and get their CSRF token through the
session rather than by loading pages, and compare the tables by fingerprint.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.agreements.models import Agreement, EndingNotice, NoticeKind, ServiceCategory
from portal.auth import ANYONE, SIGNED_IN, audience_of
from portal.awards import contracts, decisions, notice, summaries
from portal.awards.models import AssessmentSummary, AwardNotice, LotAward, LotAwardStatus
from portal.bids import drafting, submission
from portal.bids.models import Bid, BidAnswer, BidAttachment
from portal.bids.views import draft_tokens
from portal.clock import now as utcnow
from portal.dates import LONDON
from portal.db import Base, transaction
from portal.decisions.models import DecisionDocument
from portal.evaluation import conflicts, moderation, panel, scoring
from portal.evaluation import state as evaluation_state
from portal.evaluation.models import ConflictDeclaration, PanelMember, PanelRole
from portal.providers import evidence as evidence_services
from portal.providers.models import Evidence, EvidenceKind
from portal.tenders.clarifications import draft_digest
from portal.tenders.models import (
    Clarification,
    DocumentKind,
    Question,
    QuestionKind,
    QuestionnaireSection,
    Tender,
    TenderDocument,
    TenderStatus,
)
from tests.awards.world import award_through_summaries_sent, build_evaluated_tender, top_ranked
from tests.evaluation.world import build_opened_tender
from tests.factories import NOW, PASSWORD, PDF, make_decision, make_organisation, make_tender, make_user, store_pdf
from tests.support import csrf_token_for, fingerprint

NEW_PASSWORD = "a-different-long-passphrase-2024"
CSRF_FAILURE_TEXT = "the page had been open too long"


@dataclass(frozen=True)
class Redirect:
    to: str  # path, may name objects of the world: "/admin/users/{staff_member}"

    def __repr__(self):
        return f"302->{self.to}"


@dataclass(frozen=True)
class Upload:
    """A file in a POST body (a fresh stream for every request)."""

    filename: str
    content: bytes = PDF


NEW = "<new>"  # in a Redirect: the id of the object the request created
LOGIN = "302->sign-in"
LOGIN_KEPT = "302->sign-in, kept"
BROWSER_KEY_A = "provider-a-browser-key"
HOME = Redirect("/dashboard")
ORGANISATION = Redirect("/organisation")
SIGNED_OUT = Redirect("/sign-in")

PERSONAS = ("anonymous", "provider_a", "provider_b", "officer", "evaluator", "admin")
PERSONA_ROLES = {
    "provider_a": Role.PROVIDER,
    "provider_b": Role.PROVIDER,
    "officer": Role.OFFICER,
    "evaluator": Role.EVALUATOR,
    "admin": Role.ADMIN,
}
# The rows of these pages run in a world with tenders, a decision, a bid and evidence.
TENDER_PAGES = ("/tenders", "/opportunities", "/bids", "/alerts", "/decisions", "/organisation/evidence")
# ...and these in a world with a tender in evaluation (``evaluation_world``): the evaluators' pages
# and the officers' evaluation pages of a tender (not /tenders/<id>/evaluation-method, a tender page).
EVALUATION_PAGES = re.compile(r"/evaluation/|/tenders/<int:tender_id>/evaluation(/|$)")
# ...and these in a world with tenders at each step of their award (``award_world``): the officers'
# award pages of a tender and the bidders' outcome pages of a bid; and an OCDS record (of a tender whose
# contracts were entered).
AWARD_PAGES = re.compile(r"/tenders/<int:tender_id>/award(/|$)|/bids/<int:bid_id>/outcome(/|$)|/ocds/records/")


@dataclass(frozen=True)
class Row:
    method: str
    rule: str  # exactly as in app.url_map
    answers: tuple  # one per persona, in PERSONAS order
    args: dict = field(default_factory=dict)  # rule argument -> object of the world, its attribute, or a literal
    data: dict = field(default_factory=dict)  # POST body; "{name}" is filled from the world
    changes: bool = False  # an accepted POST changes the database
    note: str = ""
    says: str = ""  # text that every answer other than a refusal must show
    csrf: str = ""  # a form with a prefix: its own CSRF field's name ("lot{award_lot}-csrf_token"), sent as well

    @property
    def expected(self) -> dict:
        return dict(zip(PERSONAS, self.answers, strict=True))

    @property
    def needs_tenders(self) -> bool:
        """Building the tenders, decision, bid and evidence takes time: only these rows get them."""
        return self.rule.startswith(TENDER_PAGES) and not self.needs_evaluation and not self.needs_award

    @property
    def needs_evaluation(self) -> bool:
        """The evaluation pages' rows get the tender in evaluation instead."""
        return bool(EVALUATION_PAGES.match(self.rule))

    @property
    def needs_award(self) -> bool:
        """The award pages' rows get the tenders being awarded instead."""
        return bool(AWARD_PAGES.match(self.rule))

    @property
    def label(self) -> str:
        return f"{self.method} {self.rule}" + (f" ({self.note})" if self.note else "")


def R(method, rule, *answers, args=None, data=None, changes=False, note="", says="", csrf=""):
    return Row(method, rule, tuple(answers), args or {}, data or {}, changes, note, says, csrf)


COLLEAGUE = {"user_id": "colleague_a"}
STAFF = {"user_id": "staff_member"}
FORMER_STAFF = {"user_id": "former_staff_member"}
PROVIDER_ID = {"user_id": "provider_a"}
AGREEMENT = {"agreement_id": "agreement_a"}
SHOW_AGREEMENT = Redirect("/agreements/{agreement_a}")
NOTICES = Redirect("/agreements/notices")
REGISTER = Redirect("/agreements")
CATEGORIES = Redirect("/agreements/categories")
JUNK = {"token": "not-a-real-token"}
NEW_PASSWORD_DATA = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
REGISTRATION = {
    "organisation_name": "Swale Youth Trust",
    "organisation_type": "REGISTERED_CHARITY",
    "charity_number": "1123456",
    "address_line_1": "2 Bank Street",
    "town": "Sittingbourne",
    "postcode": "ME10 4AA",
    "district_ids": "{district}",
    "full_name": "Jo Bloggs",
    "email": "jo@swale-youth.example.org",
    "password": PASSWORD,
    "confirm": PASSWORD,
}
ORGANISATION_DETAILS = {
    "organisation_name": "Swale Youth Trust",
    "organisation_type": "REGISTERED_CHARITY",
    "charity_number": "SC045678",
    "address_line_1": "2 Bank Street",
    "town": "Sittingbourne",
    "postcode": "ME10 4AA",
    "district_ids": "{district}",
}

# Tenders: "draft" is a publishable draft, "tender" a published one (with A's submitted bid and A's
# clarification question), "other_tender" a published one nobody has bid for or asked about yet.
DRAFT = {"tender_id": "draft"}
TENDER = {"tender_id": "tender"}
DRAFT_REFERENCE = {"reference": "draft.reference"}
TENDER_REFERENCE = {"reference": "tender.reference"}
OTHER_REFERENCE = {"reference": "other_tender.reference"}
SHOW_DRAFT = Redirect("/tenders/{draft}")
SHOW_TENDER = Redirect("/tenders/{tender}")
QUESTIONNAIRE = Redirect("/tenders/{draft}/questionnaire")
DRAFT_DOCUMENTS = Redirect("/tenders/{draft}/documents")
QUESTION_A = Redirect("/tenders/{tender}/questions#question-{clarification_a}")
ANSWER_PREVIEW = Redirect("/tenders/{tender}/questions/{clarification_a}/preview")
DRAFT_LOTS = Redirect("/tenders/{draft}/lots")
DRAFT_CHECK = Redirect("/tenders/{draft}/check")
DECISION = {"decision_id": "decision"}
BID = {"bid_id": "bid_a"}
SHOW_BID = Redirect("/bids/{bid_a}")
EVIDENCE_LIST = Redirect("/organisation/evidence")
EVIDENCE = {"evidence_id": "evidence_a"}

# Evaluation (``evaluation_world``): "eval_tender" is in evaluation with four bids: three for lot 1
# only (the third, "failing_bid", failed its pass or fail answer and awaits the officer's decision)
# and "moderated_bid" for lot 2 only (an answer that counts in two lots has one agreed score, which
# waits for both lots' evaluators, so the two lots share no bid here). Lot 1, "eval_lot", is being scored: the evaluator persona is its quality evaluator
# (declared, every assigned answer scored in draft), the officer persona its price evaluator
# (declared), and "removable_member" a quality evaluator who declared an interest in the failing
# bidder ("interest_declaration") and has scored nothing. Lot 2, "moderated_lot", neither persona
# is on: its evaluator has submitted, its prices are checked, and every answer has an agreed score.
EVAL = {"tender_id": "eval_tender"}
EVAL_LOT = {"lot_id": "eval_lot"}
MODERATED_LOT = {"lot_id": "moderated_lot"}
EVALUATION_HOME = Redirect("/evaluation/")
SCORE_SHEET = {**EVAL_LOT, "bid_id": "eval_bid", "question_id": "quality_question"}
EXPLANATION = "The bid names weekly outreach at schools and food banks and a follow-up for every referral made."
PANEL_PAGE = Redirect("/tenders/{eval_tender}/evaluation/lots/{eval_lot}/panel")
DECLARATION = {
    "interest_{bidder_a}": "no",
    "interest_{bidder_b}": "yes",
    "details_{bidder_b}": "My brother became its treasurer last week.",
    "interest_{bidder_c}": "no",
    "interest_{bidder_d}": "no",
}


# Award (``award_world``): five evaluated tenders of one lot of one place (two lots in the proposing
# tender), each at a step of its award. "awarded_tender": approved, its summaries sent ("sent_summary",
# of A's bid), no award notice yet; A's people act for its first bidder ("bid_a", awarded) and B's for
# its second ("bid_b"), so each reads its own outcome only. "proposing_tender": lot 1 ("proposing_lot")
# proposed by one of its officers, awaiting a second officer's approval; lot 2 ("unproposed_lot")
# ranked, nothing proposed. "prepared_tender": approved, its summaries prepared ("prepared_summary"),
# not sent. "published_tender": the award notice published with no standstill (a light touch
# contract), the contracts not entered. "contracted_tender": the same, the contracts entered.
AWARDED = {"tender_id": "awarded_tender"}
PROPOSING = {"tender_id": "proposing_tender"}
PREPARED = {"tender_id": "prepared_tender"}
PUBLISHED = {"tender_id": "published_tender"}
CONTRACTED = {"tender_id": "contracted_tender"}
OUTCOME_A = {"bid_id": "bid_a"}
SEND_OFF = {"voluntary_standstill": "yes", "standstill_days": "8"}
REWORDED = "The bid names the schools it visits each week; it does not say how referrals are followed up."
SENT_REWORDING = {"explanation_{awarded_question_1}": REWORDED, "explanation_{awarded_question_2}": REWORDED}
PREPARED_REWORDING = {"explanation_{prepared_question_1}": REWORDED, "explanation_{prepared_question_2}": REWORDED}
CONTRACT_END = {"end_date": ["31", "3", "2030"]}


def _moment(name: str, when: datetime) -> dict:
    local = when.astimezone(LONDON)
    return {name: [str(local.day), str(local.month), str(local.year)], f"{name}_time": f"{local:%H:%M}"}


def _day(name: str, day: date) -> dict:
    return {name: [str(day.day), str(day.month), str(day.year)]}


def timetable_form(submission_days: int, clarification_days: int, answers_days: int, contract_start: date) -> dict:
    """A timetable's form fields, in days from NOW; the later dates as ``make_tender`` sets them."""
    return {
        **_moment("clarification_deadline", NOW + timedelta(days=clarification_days)),
        **_moment("answers_by", NOW + timedelta(days=answers_days)),
        **_moment("submission_deadline", NOW + timedelta(days=submission_days)),
        **_day("evaluation_date", (NOW + timedelta(days=35)).date()),
        **_day("intended_award_date", (NOW + timedelta(days=50)).date()),
        **_day("standstill_end_date", (NOW + timedelta(days=62)).date()),
        **_day("contract_start_date", contract_start),
    }


TENDER_DETAILS = {
    "reference": "KCC-AM-0001",
    "title": "Young carers' support",
    "description": "Support for young carers.",
    "category_id": "{tender.category_id}",
    "estimated_value_pence": "250000",
    "procedure": "OPEN",
    "is_light_touch": "yes",
    "is_framework": "yes",
}
EVALUATION_METHOD = {
    "quality_weight": "60",
    "price_weight": "40",
    "minimum_quality_score": "50",
    "tie_break": "QUALITY_THEN_PRICE",
    **{f"descriptor_{score}": f"What a score of {score} means" for score in range(6)},
}
LOT = {
    "title": "Swale",
    "description": "Services across Swale",
    "district_ids": ["{district}"],
    "modes": ["FACE_TO_FACE", "VIRTUAL"],
    "estimated_annual_value_pence": "85000",
    "max_providers": "2",
    "pricing_instructions": "Give your annual price, including all staff costs.",
}
QUALITY_QUESTION = {"text": "How will you measure outcomes?", "word_limit": "300", "weight": "0"}
DECISION_RECORD = {
    "number": "26/00420",
    "title": "Family hubs transformation",
    "status": "Approved",
    "decision_maker": "Cabinet Member for Integrated Children's Services",
    "is_key_decision": "yes",
    "is_subject_to_call_in": "yes",
    "is_urgent": "no",
    "is_exempt": "no",
    "reasons": "The hubs open in April.",
    "decision_text": "Agree to commission family hubs.",
    "decision_date": ["14", "10", "2026"],
    "publication_date": ["15", "10", "2026"],
}
SAVED_ANSWER = {
    "answer": "We visit schools and GP surgeries every week.",
    "base_version": "{bid_answer.version}",
    "draft_token": "{draft_token_a}",
    "action": "save",
}

# fmt: off
MATRIX = [
    #  method  rule                                               anonymous  provider_a  provider_b  officer  evaluator  admin
    R("GET",  "/",                                                200,       200,        200,        200,     200,       200),
    R("GET",  "/dashboard",                                       LOGIN,     200,        200,        200,     200,       200),
    R("GET",  "/accessibility",                                   200,       200,        200,        200,     200,       200),
    R("GET",  "/privacy",                                         200,       200,        200,        200,     200,       200),
    R("GET",  "/cookies",                                         200,       200,        200,        200,     200,       200),
    R("GET",  "/help",                                            200,       200,        200,        200,     200,       200),
    R("GET",  "/sign-in",                                         200,       HOME,       HOME,       HOME,    HOME,      HOME),
    R("POST", "/sign-in",                                         400,       HOME,       HOME,       HOME,    HOME,      HOME,
      data={"email": "{provider_a.email}", "password": "wrong password"}, note="wrong password"),
    R("POST", "/sign-out",                                        SIGNED_OUT, SIGNED_OUT, SIGNED_OUT, SIGNED_OUT, SIGNED_OUT, SIGNED_OUT),
    R("GET",  "/verify-email/<token>",                            400,       400,        400,        400,     400,       400, args=JUNK),
    R("GET",  "/verify-email",                                    200,       200,        200,        200,     200,       200),
    R("POST", "/verify-email",                                    200,       200,        200,        200,     200,       200,
      data={"email": "nobody@example.org"}),
    R("GET",  "/password-reset",                                  200,       200,        200,        200,     200,       200),
    R("POST", "/password-reset",                                  200,       200,        200,        200,     200,       200,
      data={"email": "nobody@example.org"}),
    R("GET",  "/password-reset/<token>",                          400,       400,        400,        400,     400,       400, args=JUNK),
    R("POST", "/password-reset/<token>",                          400,       400,        400,        400,     400,       400, args=JUNK,
      data=NEW_PASSWORD_DATA),
    R("GET",  "/invitations/<token>",                             400,       400,        400,        400,     400,       400, args=JUNK),
    R("POST", "/invitations/<token>",                             400,       400,        400,        400,     400,       400, args=JUNK,
      data={"full_name": "Sam Smith", **NEW_PASSWORD_DATA}),
    R("GET",  "/account",                                         LOGIN,     200,        200,        200,     200,       200),
    R("GET",  "/account/password",                                LOGIN,     200,        200,        200,     200,       200),
    R("POST", "/account/password",                                LOGIN,     Redirect("/account"), Redirect("/account"), Redirect("/account"),
      Redirect("/account"), Redirect("/account"), data={"current_password": PASSWORD, **NEW_PASSWORD_DATA}, changes=True),
    R("GET",  "/register",                                        200,       HOME,       HOME,       HOME,    HOME,      HOME),
    R("POST", "/register",                                        200,       HOME,       HOME,       HOME,    HOME,      HOME,
      data=REGISTRATION, changes=True),
    R("GET",  "/organisation",                                    LOGIN,     200,        200,        403,     403,       403),
    R("GET",  "/organisation/colleagues/invite",                  LOGIN,     200,        200,        403,     403,       403),
    R("POST", "/organisation/colleagues/invite",                  LOGIN,     ORGANISATION, ORGANISATION, 403,   403,       403,
      data={"full_name": "Sam Smith", "email": "sam@example.org"}, changes=True),
    R("GET",  "/organisation/colleagues/<int:user_id>/remove",    LOGIN,     200,        404,        403,     403,       403,
      args=COLLEAGUE, note="colleague in A"),
    R("POST", "/organisation/colleagues/<int:user_id>/remove",    LOGIN,     ORGANISATION, 404,      403,     403,       403,
      args=COLLEAGUE, changes=True, note="colleague in A"),
    R("GET",  "/organisation/colleagues/<int:user_id>/remove",    LOGIN,     404,        404,        403,     403,       403,
      args=PROVIDER_ID, note="provider A themselves"),
    R("GET",  "/organisation/colleagues/<int:user_id>/remove",    LOGIN,     404,        404,        403,     403,       403,
      args=STAFF, note="a staff member"),
    # An organisation's administrator changes its own details (there is no other organisation's to ask for).
    R("GET",  "/organisation/details",                            LOGIN,     200,        200,        403,     403,       403),
    R("POST", "/organisation/details",                            LOGIN,     ORGANISATION, ORGANISATION, 403,   403,       403,
      data=ORGANISATION_DETAILS, changes=True),
    R("GET",  "/admin/users",                                     LOGIN,     403,        403,        403,     403,       200),
    R("GET",  "/admin/users/new",                                 LOGIN,     403,        403,        403,     403,       200),
    R("POST", "/admin/users/new",                                 LOGIN,     403,        403,        403,     403,       Redirect("/admin/users"),
      data={"full_name": "Sam Smith", "email": "sam@example.gov.uk", "role": "ADMIN"}, changes=True),
    R("GET",  "/admin/users/<int:user_id>",                       LOGIN,     403,        403,        403,     403,       200,
      args=STAFF, note="staff member"),
    R("POST", "/admin/users/<int:user_id>",                       LOGIN,     403,        403,        403,     403,
      Redirect("/admin/users/{staff_member}"), args=STAFF, data={"role": "ADMIN"}, changes=True, note="staff member"),
    R("GET",  "/admin/users/<int:user_id>",                       LOGIN,     403,        403,        403,     403,       404,
      args=PROVIDER_ID, note="provider"),
    R("POST", "/admin/users/<int:user_id>",                       LOGIN,     403,        403,        403,     403,       404,
      args=PROVIDER_ID, data={"role": "ADMIN"}, note="provider"),
    R("POST", "/admin/users/<int:user_id>/deactivate",            LOGIN,     403,        403,        403,     403,
      Redirect("/admin/users/{staff_member}"), args=STAFF, changes=True, note="staff member"),
    R("POST", "/admin/users/<int:user_id>/deactivate",            LOGIN,     403,        403,        403,     403,       404,
      args=PROVIDER_ID, note="provider"),
    R("POST", "/admin/users/<int:user_id>/reactivate",            LOGIN,     403,        403,        403,     403,
      Redirect("/admin/users/{former_staff_member}"), args=FORMER_STAFF, changes=True, note="deactivated staff member"),
    R("POST", "/admin/users/<int:user_id>/reactivate",            LOGIN,     403,        403,        403,     403,       404,
      args=PROVIDER_ID, note="provider"),
    # The agreements register: procurement officers and administrators.
    R("GET",  "/agreements",                                      LOGIN,     403,        403,        200,     403,       200),
    R("GET",  "/agreements/export.<kind>",                        LOGIN,     403,        403,        200,     403,       200,
      args={"kind": "csv"}),
    R("GET",  "/agreements/import",                               LOGIN,     403,        403,        200,     403,       200),
    R("POST", "/agreements/import",                               LOGIN,     403,        403,        400,     403,       400,
      note="no file chosen"),
    R("GET",  "/agreements/import/template.csv",                  LOGIN,     403,        403,        200,     403,       200),
    R("GET",  "/agreements/<int:agreement_id>",                   LOGIN,     403,        403,        200,     403,       200,
      args=AGREEMENT),
    R("GET",  "/agreements/<int:agreement_id>/extend",            LOGIN,     403,        403,        200,     403,       200,
      args=AGREEMENT),
    R("POST", "/agreements/<int:agreement_id>/extend",            LOGIN,     403,        403,        SHOW_AGREEMENT, 403, SHOW_AGREEMENT,
      args=AGREEMENT, data={"new_end_date": ["31", "3", "2031"], "reason": "Bridging to re-tender",
                            "agreed_by": "Head of Commissioning"}, changes=True),
    R("GET",  "/agreements/notices",                              LOGIN,     403,        403,        200,     403,       200),
    R("POST", "/agreements/notices",                              LOGIN,     403,        403,        NOTICES, 403,       NOTICES,
      data={"months": "9, 2", "notify_on_extension": "y"}, changes=True),
    R("POST", "/agreements/notices/send-due",                     LOGIN,     403,        403,        NOTICES, 403,       NOTICES),
    R("GET",  "/agreements/notices/new",                          LOGIN,     403,        403,        200,     403,       200),
    R("POST", "/agreements/notices/new",                          LOGIN,     403,        403,        REGISTER, 403,      REGISTER,
      data={"subject": "Your agreement", "body": "Please get in touch."}, changes=True),
    R("GET",  "/agreements/dashboard",                            LOGIN,     403,        403,        200,     403,       200),
    R("GET",  "/agreements/dashboard/incumbents",                 LOGIN,     403,        403,        200,     403,       200),
    R("GET",  "/agreements/dashboard/incumbents.csv",             LOGIN,     403,        403,        200,     403,       200),
    R("GET",  "/agreements/reports",                              LOGIN,     403,        403,        200,     403,       200),
    R("GET",  "/agreements/categories",                           LOGIN,     403,        403,        200,     403,       200),
    R("POST", "/agreements/categories",                           LOGIN,     403,        403,        CATEGORIES, 403,    CATEGORIES,
      data={"name": "Access matrix new category"}, changes=True),
    # A provider reads the notices sent to its own organisation.
    R("GET",  "/notices/<int:notice_id>",                         LOGIN,     200,        404,        403,     403,       403,
      args={"notice_id": "notice_a"}, changes=True, note="notice to A (first read is recorded)"),

    # tender_admin: officers build, publish, amend and cancel tenders: procurement officers and administrators.
    R("GET",  "/tenders",                                         LOGIN,     403,        403,        200,     403,       200),
    R("GET",  "/tenders/new",                                     LOGIN,     403,        403,        200,     403,       200),
    R("POST", "/tenders/new",                                     LOGIN,     403,        403,        Redirect("/tenders/<new>"), 403,
      Redirect("/tenders/<new>"), data=TENDER_DETAILS, changes=True),
    R("GET",  "/tenders/<int:tender_id>",                         LOGIN,     403,        403,        200,     403,       200,
      args=DRAFT, note="draft"),
    R("GET",  "/tenders/<int:tender_id>",                         LOGIN,     403,        403,        200,     403,       200,
      args=TENDER, note="published"),
    R("GET",  "/tenders/<int:tender_id>/details",                 LOGIN,     403,        403,        200,     403,       200,
      args=DRAFT),
    R("POST", "/tenders/<int:tender_id>/details",                 LOGIN,     403,        403,        SHOW_DRAFT, 403,    SHOW_DRAFT,
      args=DRAFT, data={**TENDER_DETAILS, "reference": "{draft.reference}"}, changes=True),
    R("GET",  "/tenders/<int:tender_id>/timetable",               LOGIN,     403,        403,        200,     403,       200,
      args=DRAFT),
    R("POST", "/tenders/<int:tender_id>/timetable",               LOGIN,     403,        403,        SHOW_DRAFT, 403,    SHOW_DRAFT,
      args=DRAFT, data=timetable_form(35, 21, 25, date(2030, 4, 1)), changes=True),
    R("GET",  "/tenders/<int:tender_id>/evaluation-method",       LOGIN,     403,        403,        200,     403,       200,
      args=DRAFT),
    R("POST", "/tenders/<int:tender_id>/evaluation-method",       LOGIN,     403,        403,        SHOW_DRAFT, 403,    SHOW_DRAFT,
      args=DRAFT, data=EVALUATION_METHOD, changes=True),
    R("GET",  "/tenders/<int:tender_id>/lots",                    LOGIN,     403,        403,        200,     403,       200,
      args=DRAFT),
    R("GET",  "/tenders/<int:tender_id>/lots/new",                LOGIN,     403,        403,        200,     403,       200,
      args=DRAFT),
    R("POST", "/tenders/<int:tender_id>/lots/new",                LOGIN,     403,        403,        DRAFT_LOTS, 403,    DRAFT_LOTS,
      args=DRAFT, data=LOT, changes=True),
    R("GET",  "/tenders/<int:tender_id>/lots/<int:lot_id>",       LOGIN,     403,        403,        200,     403,       200,
      args={**DRAFT, "lot_id": "draft_lot"}),
    R("POST", "/tenders/<int:tender_id>/lots/<int:lot_id>",       LOGIN,     403,        403,        DRAFT_LOTS, 403,    DRAFT_LOTS,
      args={**DRAFT, "lot_id": "draft_lot"}, data=LOT, changes=True),
    R("GET",  "/tenders/<int:tender_id>/lots/<int:lot_id>/remove", LOGIN,    403,        403,        200,     403,       200,
      args={**DRAFT, "lot_id": "draft_lot"}),
    R("POST", "/tenders/<int:tender_id>/lots/<int:lot_id>/remove", LOGIN,    403,        403,        DRAFT_LOTS, 403,    DRAFT_LOTS,
      args={**DRAFT, "lot_id": "draft_lot"}, changes=True),
    R("GET",  "/tenders/<int:tender_id>/questionnaire",           LOGIN,     403,        403,        200,     403,       200,
      args=DRAFT),
    R("GET",  "/tenders/<int:tender_id>/questionnaire/sections/new", LOGIN,  403,        403,        200,     403,       200,
      args=DRAFT),
    R("POST", "/tenders/<int:tender_id>/questionnaire/sections/new", LOGIN,  403,        403,        QUESTIONNAIRE, 403, QUESTIONNAIRE,
      args=DRAFT, data={"title": "Social value", "kind": "QUALITY"}, changes=True),
    R("GET",  "/tenders/<int:tender_id>/questionnaire/sections/<int:section_id>",
                                                                  LOGIN,     403,        403,        200,     403,       200,
      args={**DRAFT, "section_id": "draft_section"}),
    R("POST", "/tenders/<int:tender_id>/questionnaire/sections/<int:section_id>",
                                                                  LOGIN,     403,        403,        QUESTIONNAIRE, 403, QUESTIONNAIRE,
      args={**DRAFT, "section_id": "draft_section"},
      data={"title": "Quality of the service", "kind": "QUALITY"}, changes=True),
    R("GET",  "/tenders/<int:tender_id>/questionnaire/sections/<int:section_id>/remove",
                                                                  LOGIN,     403,        403,        200,     403,       200,
      args={**DRAFT, "section_id": "draft_section"}),
    R("POST", "/tenders/<int:tender_id>/questionnaire/sections/<int:section_id>/remove",
                                                                  LOGIN,     403,        403,        QUESTIONNAIRE, 403, QUESTIONNAIRE,
      args={**DRAFT, "section_id": "draft_section"}, changes=True),
    R("GET",  "/tenders/<int:tender_id>/questionnaire/sections/<int:section_id>/questions/new",
                                                                  LOGIN,     403,        403,        200,     403,       200,
      args={**DRAFT, "section_id": "draft_section"}),
    R("POST", "/tenders/<int:tender_id>/questionnaire/sections/<int:section_id>/questions/new",
                                                                  LOGIN,     403,        403,        QUESTIONNAIRE, 403, QUESTIONNAIRE,
      args={**DRAFT, "section_id": "draft_section"},
      data=QUALITY_QUESTION, changes=True),
    R("GET",  "/tenders/<int:tender_id>/questionnaire/questions/<int:question_id>",
                                                                  LOGIN,     403,        403,        200,     403,       200,
      args={**DRAFT, "question_id": "draft_question"}),
    R("POST", "/tenders/<int:tender_id>/questionnaire/questions/<int:question_id>",
                                                                  LOGIN,     403,        403,        QUESTIONNAIRE, 403, QUESTIONNAIRE,
      args={**DRAFT, "question_id": "draft_question"},
      data={**QUALITY_QUESTION, "weight": "60"}, changes=True),
    R("GET",  "/tenders/<int:tender_id>/questionnaire/questions/<int:question_id>/remove",
                                                                  LOGIN,     403,        403,        200,     403,       200,
      args={**DRAFT, "question_id": "draft_question"}),
    R("POST", "/tenders/<int:tender_id>/questionnaire/questions/<int:question_id>/remove",
                                                                  LOGIN,     403,        403,        QUESTIONNAIRE, 403, QUESTIONNAIRE,
      args={**DRAFT, "question_id": "draft_question"},
      changes=True),
    R("GET",  "/tenders/<int:tender_id>/documents",               LOGIN,     403,        403,        200,     403,       200,
      args=DRAFT),
    R("POST", "/tenders/<int:tender_id>/documents",               LOGIN,     403,        403,        DRAFT_DOCUMENTS, 403, DRAFT_DOCUMENTS,
      args=DRAFT, data={"kind": "TERMS", "title": "Terms and conditions", "file": Upload("terms.pdf")}, changes=True),
    R("GET",  "/tenders/<int:tender_id>/documents/<int:document_id>/file",
                                                                  LOGIN,     403,        403,        200,     403,       200,
      args={**DRAFT, "document_id": "draft_document"}),
    R("GET",  "/tenders/<int:tender_id>/documents/<int:document_id>/remove",
                                                                  LOGIN,     403,        403,        200,     403,       200,
      args={**DRAFT, "document_id": "draft_document"}),
    R("POST", "/tenders/<int:tender_id>/documents/<int:document_id>/remove",
                                                                  LOGIN,     403,        403,        DRAFT_DOCUMENTS, 403, DRAFT_DOCUMENTS,
      args={**DRAFT, "document_id": "draft_document"},
      changes=True),
    R("GET",  "/tenders/<int:tender_id>/conflicts",               LOGIN,     403,        403,        200,     403,       200,
      args=DRAFT),
    R("POST", "/tenders/<int:tender_id>/conflicts",               LOGIN,     403,        403,        SHOW_DRAFT, 403,    SHOW_DRAFT,
      args=DRAFT, data={"conflicts_assessment": "The panel declared no interests in likely bidders."}, changes=True),
    R("GET",  "/tenders/<int:tender_id>/decision",                LOGIN,     403,        403,        200,     403,       200,
      args=DRAFT),
    R("POST", "/tenders/<int:tender_id>/decision",                LOGIN,     403,        403,        SHOW_DRAFT, 403,    SHOW_DRAFT,
      args=DRAFT, data={"decision_id": "{decision}"}, changes=True),
    R("GET",  "/tenders/<int:tender_id>/agreements",              LOGIN,     403,        403,        200,     403,       200,
      args=DRAFT),
    R("POST", "/tenders/<int:tender_id>/agreements",              LOGIN,     403,        403,        SHOW_DRAFT, 403,    SHOW_DRAFT,
      args=DRAFT, data={"agreement_ids": ["{agreement_a}"]}, changes=True),
    R("GET",  "/tenders/<int:tender_id>/check",                   LOGIN,     403,        403,        200,     403,       200,
      args=DRAFT),
    R("GET",  "/tenders/<int:tender_id>/publish",                 LOGIN,     403,        403,        DRAFT_CHECK, 403,   DRAFT_CHECK,
      args=DRAFT, note="the publish button is on the check page"),
    R("POST", "/tenders/<int:tender_id>/publish",                 LOGIN,     403,        403,        SHOW_DRAFT, 403,    SHOW_DRAFT,
      args=DRAFT, changes=True),
    R("GET",  "/tenders/<int:tender_id>/amend",                   LOGIN,     403,        403,        200,     403,       200,
      args=TENDER),
    R("POST", "/tenders/<int:tender_id>/amend",                   LOGIN,     403,        403,        SHOW_TENDER, 403,   SHOW_TENDER,
      args=TENDER, data={"reason": "More time to bid", "description": "{tender.description}",
                         **timetable_form(35, 14, 18, date(2027, 4, 1))}, changes=True, note="the deadline extended"),
    R("GET",  "/tenders/<int:tender_id>/cancel",                  LOGIN,     403,        403,        200,     403,       200,
      args=TENDER),
    R("POST", "/tenders/<int:tender_id>/cancel",                  LOGIN,     403,        403,        SHOW_TENDER, 403,   SHOW_TENDER,
      args=TENDER, data={"reason": "The service is to be provided in house."}, changes=True),
    R("GET",  "/tenders/<int:tender_id>/questions",               LOGIN,     403,        403,        200,     403,       200,
      args=TENDER),
    R("GET",  "/tenders/<int:tender_id>/questions/<int:clarification_id>/answer",
                                                                  LOGIN,     403,        403,        200,     403,       200,
      args={**TENDER, "clarification_id": "clarification_a"}),
    R("POST", "/tenders/<int:tender_id>/questions/<int:clarification_id>/answer",
                                                                  LOGIN,     403,        403,        ANSWER_PREVIEW, 403, ANSWER_PREVIEW,
      args={**TENDER, "clarification_id": "clarification_a"},
      data={"answer": "Yes: a consortium may bid for both lots.", "audience": "everyone",
            "published_question": "Can a group of organisations bid?"}, changes=True),
    R("GET",  "/tenders/<int:tender_id>/questions/<int:clarification_id>/preview",
                                                                  LOGIN,     403,        403,        200,     403,       200,
      args={**TENDER, "clarification_id": "clarification_a"}, note="A's question, its answer drafted"),
    R("POST", "/tenders/<int:tender_id>/questions/<int:clarification_id>/send",
                                                                  LOGIN,     403,        403,        QUESTION_A, 403,    QUESTION_A,
      args={**TENDER, "clarification_id": "clarification_a"},
      data={"previewed": "{clarification_a_digest}"}, changes=True),

    # tenders: the public opportunity pages. Anyone reads a published tender; a draft is 404 except to
    # officers and administrators (who preview it). Interest, questions and alerts are providers' own.
    R("GET",  "/opportunities",                                   200,       200,        200,        200,     200,       200),
    R("GET",  "/opportunities/<reference>",                       200,       200,        200,        200,     200,       200,
      args=TENDER_REFERENCE, note="published"),
    R("GET",  "/opportunities/<reference>",                       404,       404,        404,        200,     404,       200,
      args=DRAFT_REFERENCE, note="draft"),
    R("GET",  "/opportunities/<reference>/documents/<int:document_id>",
                                                                  200,       200,        200,        200,     200,       200,
      args={**TENDER_REFERENCE, "document_id": "tender_document"}, note="published"),
    R("GET",  "/opportunities/<reference>/documents/<int:document_id>",
                                                                  404,       404,        404,        200,     404,       200,
      args={**DRAFT_REFERENCE, "document_id": "draft_document"}, note="draft"),
    R("GET",  "/opportunities/<reference>/documents/<int:document_id>",
                                                                  404,       404,        404,        404,     404,       404,
      args={**TENDER_REFERENCE, "document_id": "draft_document"},
      note="the draft's document under the published tender"),
    R("POST", "/opportunities/<reference>/interest",              LOGIN,     Redirect("/opportunities/{other_tender.reference}"),
      Redirect("/opportunities/{other_tender.reference}"), 403, 403, 403, args=OTHER_REFERENCE, changes=True),
    R("POST", "/opportunities/<reference>/interest",              LOGIN,     404,        404,        403,     403,       403,
      args=DRAFT_REFERENCE, note="draft"),
    R("GET",  "/opportunities/<reference>/questions/new",         LOGIN,     200,        200,        403,     403,       403,
      args=OTHER_REFERENCE),
    R("POST", "/opportunities/<reference>/questions/new",         LOGIN,     200,        200,        403,     403,       403,
      args=OTHER_REFERENCE, data={"question": "May a consortium bid for both lots?"}, changes=True,
      note="the question is sent", says="Question sent"),
    R("GET",  "/alerts",                                          LOGIN,     200,        200,        403,     403,       403),
    R("POST", "/alerts",                                          LOGIN,     Redirect("/alerts"), Redirect("/alerts"), 403, 403, 403,
      data={"category_ids": ["{tender.category_id}"], "district_ids": ["{district}"]}, changes=True),

    # transparency: the public contracts register (page and CSV) and the Atom feed of new opportunities.
    R("GET",  "/contracts",                                       200,       200,        200,        200,     200,       200),
    R("GET",  "/contracts.csv",                                   200,       200,        200,        200,     200,       200),
    R("GET",  "/opportunities.atom",                              200,       200,        200,        200,     200,       200),
    # open data: the page that explains it, the OCDS release package, a record, the bulk download.
    R("GET",  "/open-data",                                       200,       200,        200,        200,     200,       200),
    R("GET",  "/ocds/releases.json",                              200,       200,        200,        200,     200,       200),
    R("GET",  "/ocds/download.zip",                               200,       200,        200,        200,     200,       200),
    R("GET",  "/ocds/records/<ocid>.json",                        200,       200,        200,        200,     200,       200,
      args={"ocid": "contracted_ocid"}),
    # the audit trail: the chain's published heads are public; a tender's trail is its officers' and administrators'.
    R("GET",  "/audit-trail/heads",                               200,       200,        200,        200,     200,       200),
    R("GET",  "/audit-trail/heads.json",                          200,       200,        200,        200,     200,       200),
    R("GET",  "/tenders/<int:tender_id>/audit-trail",             LOGIN,     403,        403,        200,     403,       200,
      args=TENDER),
    R("GET",  "/tenders/<int:tender_id>/audit-trail",             LOGIN,     403,        403,        404,     403,       404,
      args={"tender_id": "999999"}, note="no such tender"),
    R("GET",  "/tenders/<int:tender_id>/audit-trail.csv",         LOGIN,     403,        403,        200,     403,       200,
      args=TENDER),

    # decisions: the executive decisions register. Anyone reads it; officers and administrators record.
    R("GET",  "/decisions",                                       200,       200,        200,        200,     200,       200),
    R("GET",  "/decisions/<int:decision_id>",                     200,       200,        200,        200,     200,       200,
      args=DECISION),
    R("GET",  "/decisions/<int:decision_id>/documents/<int:document_id>",
                                                                  200,       200,        200,        200,     200,       200,
      args={**DECISION, "document_id": "decision_document"}),
    R("GET",  "/decisions/new",                                   LOGIN,     403,        403,        200,     403,       200),
    R("POST", "/decisions/new",                                   LOGIN,     403,        403,        Redirect("/decisions/<new>/documents/new"),
      403, Redirect("/decisions/<new>/documents/new"), data=DECISION_RECORD, changes=True),
    R("GET",  "/decisions/<int:decision_id>/documents/new",       LOGIN,     403,        403,        200,     403,       200,
      args=DECISION),
    R("POST", "/decisions/<int:decision_id>/documents/new",       LOGIN,     403,        403,        Redirect("/decisions/{decision}"),
      403, Redirect("/decisions/{decision}"), args=DECISION,
      data={"title": "Consultation report", "file": Upload("consultation.pdf")}, changes=True),

    # bids: a provider's own bids. Another organisation's bid is 404; council staff get 403.
    R("GET",  "/bids",                                            LOGIN,     200,        200,        403,     403,       403),
    R("POST", "/opportunities/<reference>/bid",                   LOGIN,     Redirect("/bids/<new>"), Redirect("/bids/<new>"),
      403, 403, 403, args=OTHER_REFERENCE, changes=True),
    R("GET",  "/bids/<int:bid_id>",                               LOGIN,     200,        404,        403,     403,       403,
      args=BID),
    R("GET",  "/bids/<int:bid_id>/lots",                          LOGIN,     200,        404,        403,     403,       403,
      args=BID),
    R("POST", "/bids/<int:bid_id>/lots",                          LOGIN,     SHOW_BID,   404,        403,     403,       403,
      args=BID, data={"lot_ids": ["{tender_lot_1}"]}, changes=True),
    # Declared @public (see CHECKS_ITS_OWN_AUDIENCE): it answers like a providers' page, except that a
    # save after the session has ended is kept (against the signed draft token) for after sign-in.
    R("GET",  "/bids/<int:bid_id>/questions/<int:question_id>",  LOGIN,     200,        404,        403,     403,       403,
      args={**BID, "question_id": "bid_question"}),
    R("POST", "/bids/<int:bid_id>/questions/<int:question_id>",  LOGIN_KEPT, SHOW_BID,  404,        403,     403,       403,
      args={**BID, "question_id": "bid_question"}, data=SAVED_ANSWER, changes=True),
    R("GET",  "/bids/<int:bid_id>/prices",                        LOGIN,     200,        404,        403,     403,       403,
      args=BID),
    R("POST", "/bids/<int:bid_id>/prices",                        LOGIN,     SHOW_BID,   404,        403,     403,       403,
      args=BID, data={"price_{tender_lot_1}": "98000", "price_{tender_lot_2}": "99500.50"}, changes=True),
    R("GET",  "/bids/<int:bid_id>/files",                         LOGIN,     200,        404,        403,     403,       403,
      args=BID),
    R("POST", "/bids/<int:bid_id>/files",                         LOGIN,     Redirect("/bids/{bid_a}/files"), 404, 403, 403, 403,
      args=BID, data={"title": "Staff training plan", "file": Upload("training-plan.pdf")}, changes=True),
    R("GET",  "/bids/<int:bid_id>/files/<int:attachment_id>",     LOGIN,     200,        404,        403,     403,       403,
      args={**BID, "attachment_id": "attachment_a"}),
    R("POST", "/bids/<int:bid_id>/files/<int:attachment_id>/remove", LOGIN,  Redirect("/bids/{bid_a}/files"), 404, 403, 403, 403,
      args={**BID, "attachment_id": "attachment_a"}, changes=True),
    R("GET",  "/bids/<int:bid_id>/evidence",                      LOGIN,     200,        404,        403,     403,       403,
      args=BID),
    R("POST", "/bids/<int:bid_id>/evidence",                      LOGIN,     SHOW_BID,   404,        403,     403,       403,
      args=BID, data={"evidence_ids": ["{evidence_a}"]}, changes=True),
    R("POST", "/bids/<int:bid_id>/evidence",                      LOGIN,     404,        404,        403,     403,       403,
      args=BID, data={"evidence_ids": ["{evidence_b}"]}, note="B's evidence in A's bid (a tampered form)"),
    R("GET",  "/bids/<int:bid_id>/declarations",                  LOGIN,     200,        404,        403,     403,       403,
      args=BID),
    R("POST", "/bids/<int:bid_id>/declarations",                  LOGIN,     SHOW_BID,   404,        403,     403,       403,
      args=BID, data={"confirm": "y"}, changes=True),
    R("GET",  "/bids/<int:bid_id>/submit",                        LOGIN,     200,        404,        403,     403,       403,
      args=BID),
    R("POST", "/bids/<int:bid_id>/submit",                        LOGIN,     Redirect("/bids/{bid_a}/receipts/1"), 404, 403, 403, 403,
      args=BID, note="unchanged since version 1: its receipt again, nothing new"),
    R("GET",  "/bids/<int:bid_id>/receipts/<int:version>",        LOGIN,     200,        404,        403,     403,       403,
      args={**BID, "version": "1"}),
    R("GET",  "/bids/<int:bid_id>/withdraw",                      LOGIN,     200,        404,        403,     403,       403,
      args=BID),
    R("POST", "/bids/<int:bid_id>/withdraw",                      LOGIN,     SHOW_BID,   404,        403,     403,       403,
      args=BID, changes=True),

    # bid_admin: the council's side of the bids, sealed until after the deadline two officers open them.
    # Before that the list shows counts only, and a bid or its file is 404 to officers and administrators.
    # Evaluators never read bids here (403): only the answers assigned to them, on their score sheets.
    R("GET",  "/tenders/<int:tender_id>/bids",                    LOGIN,     403,        403,        200,     403,       200,
      args=TENDER, note="sealed: counts only"),
    R("POST", "/tenders/<int:tender_id>/bids/open",               LOGIN,     403,        403,        400,     403,       403,
      args=TENDER, note="before the deadline", says="Bids cannot be opened before the deadline"),
    R("GET",  "/tenders/<int:tender_id>/bids/<int:bid_id>",       LOGIN,     403,        403,        404,     403,       404,
      args={**TENDER, **BID}, note="sealed"),
    R("GET",  "/tenders/<int:tender_id>/bids/<int:bid_id>/files/<int:file_id>",
                                                                  LOGIN,     403,        403,        404,     403,       404,
      args={**TENDER, **BID, "file_id": "bid_file_a"}, note="sealed"),

    # evaluation: the evaluators' pages (officers too, who may be price evaluators). Nothing but
    # what the panel assigns them: a lot they are not on, an answer not theirs, is 404.
    R("GET",  "/evaluation/",                                     LOGIN,     403,        403,        200,     200,       403),
    R("GET",  "/evaluation/tenders/<int:tender_id>/declaration",  LOGIN,     403,        403,        200,     200,       403,
      args=EVAL),
    R("POST", "/evaluation/tenders/<int:tender_id>/declaration",  LOGIN,     403,        403,        EVALUATION_HOME,
      EVALUATION_HOME, 403, args=EVAL, data=DECLARATION, changes=True, note="a new interest declared"),
    R("GET",  "/evaluation/lots/<int:lot_id>",                    LOGIN,     403,        403,        200,     200,       403,
      args=EVAL_LOT, note="on its panel"),
    R("GET",  "/evaluation/lots/<int:lot_id>",                    LOGIN,     403,        403,        404,     404,       403,
      args=MODERATED_LOT, note="not on its panel"),
    R("GET",  "/evaluation/lots/<int:lot_id>/bids/<int:bid_id>/questions/<int:question_id>",
                                                                  LOGIN,     403,        403,        404,     200,       403,
      args=SCORE_SHEET, note="assigned to the evaluator; the officer is the price evaluator"),
    R("POST", "/evaluation/lots/<int:lot_id>/bids/<int:bid_id>/questions/<int:question_id>",
                                                                  LOGIN,     403,        403,        404,
      Redirect("/evaluation/lots/{eval_lot}"), 403, args=SCORE_SHEET, changes=True, note="a draft score changed",
      data={"score": "2", "explanation": EXPLANATION, "improvement": "", "submission_sha256": "{eval_submission.sha256}"}),
    R("GET",  "/evaluation/lots/<int:lot_id>/bids/<int:bid_id>/questions/<int:question_id>",
                                                                  LOGIN,     403,        403,        404,     404,       403,
      args={**SCORE_SHEET, "bid_id": "failing_bid"}, note="a failed bid, held back until the officer decides"),
    R("GET",  "/evaluation/lots/<int:lot_id>/bids/<int:bid_id>/questions/<int:question_id>",
                                                                  LOGIN,     403,        403,        404,     404,       403,
      args={**SCORE_SHEET, **MODERATED_LOT}, note="a lot the evaluator is not on"),
    R("POST", "/evaluation/lots/<int:lot_id>/submit",             LOGIN,     403,        403,        404,
      400, 403, args=EVAL_LOT, note="a bid awaits its pass or fail decision",
      says="waiting for a pass or fail decision"),
    R("GET",  "/evaluation/lots/<int:lot_id>/prices",             LOGIN,     403,        403,        200,     404,       403,
      args=EVAL_LOT, note="the officer is its price evaluator"),
    R("POST", "/evaluation/lots/<int:lot_id>/prices",             LOGIN,     403,        403,        EVALUATION_HOME,
      404, 403, args=EVAL_LOT, changes=True, note="the officer is its price evaluator"),

    # evaluation_admin: the officers' evaluation of a tender whose bids are open (procurement officers
    # only: evaluators score blind, and never see these pages).
    R("GET",  "/tenders/<int:tender_id>/evaluation",              LOGIN,     403,        403,        200,     403,       403,
      args=EVAL),
    R("GET",  "/tenders/<int:tender_id>/evaluation/lots/<int:lot_id>/panel",
                                                                  LOGIN,     403,        403,        200,     403,       403,
      args={**EVAL, **EVAL_LOT}),
    R("POST", "/tenders/<int:tender_id>/evaluation/lots/<int:lot_id>/panel",
                                                                  LOGIN,     403,        403,        PANEL_PAGE, 403,    403,
      args={**EVAL, **EVAL_LOT}, data={"user_id": "{staff_member}", "role": "QUALITY"}, changes=True),
    R("POST", "/tenders/<int:tender_id>/evaluation/panel/<int:member_id>/remove",
                                                                  LOGIN,     403,        403,        PANEL_PAGE, 403,    403,
      args={**EVAL, "member_id": "removable_member"}, changes=True),
    R("GET",  "/tenders/<int:tender_id>/evaluation/conflicts",    LOGIN,     403,        403,        200,     403,       403,
      args=EVAL),
    R("GET",  "/tenders/<int:tender_id>/evaluation/conflicts/<int:declaration_id>",
                                                                  LOGIN,     403,        403,        200,     403,       403,
      args={**EVAL, "declaration_id": "interest_declaration"}),
    R("POST", "/tenders/<int:tender_id>/evaluation/conflicts/<int:declaration_id>",
                                                                  LOGIN,     403,        403,
      Redirect("/tenders/{eval_tender}/evaluation/conflicts"), 403, 403,
      args={**EVAL, "declaration_id": "interest_declaration"},
      data={"handling": "They do not score the failing bid; the other evaluators do."}, changes=True),
    R("GET",  "/tenders/<int:tender_id>/evaluation/selection",    LOGIN,     403,        403,        200,     403,       403,
      args=EVAL),
    R("GET",  "/tenders/<int:tender_id>/evaluation/selection/<int:bid_id>/<int:question_id>",
                                                                  LOGIN,     403,        403,        200,     403,       403,
      args={**EVAL, "bid_id": "failing_bid", "question_id": "pass_fail_question"}),
    R("POST", "/tenders/<int:tender_id>/evaluation/selection/<int:bid_id>/<int:question_id>",
                                                                  LOGIN,     403,        403,
      Redirect("/tenders/{eval_tender}/evaluation/selection"), 403, 403,
      args={**EVAL, "bid_id": "failing_bid", "question_id": "pass_fail_question"},
      data={"decision": "uphold", "reason": "No employers' liability insurance was in place."}, changes=True),
    R("POST", "/tenders/<int:tender_id>/evaluation/lots/<int:lot_id>/moderation/start",
                                                                  LOGIN,     403,        403,        400,     403,       403,
      args={**EVAL, **EVAL_LOT}, note="scores still to come", says="Moderation cannot begin yet"),
    R("GET",  "/tenders/<int:tender_id>/evaluation/lots/<int:lot_id>/moderation",
                                                                  LOGIN,     403,        403,        200,     403,       403,
      args={**EVAL, **MODERATED_LOT}),
    R("GET",  "/tenders/<int:tender_id>/evaluation/lots/<int:lot_id>/moderation/<int:bid_id>/<int:question_id>",
                                                                  LOGIN,     403,        403,        200,     403,       403,
      args={**EVAL, **MODERATED_LOT, "bid_id": "moderated_bid", "question_id": "quality_question"}),
    R("POST", "/tenders/<int:tender_id>/evaluation/lots/<int:lot_id>/moderation/<int:bid_id>/<int:question_id>",
                                                                  LOGIN,     403,        403,
      Redirect("/tenders/{eval_tender}/evaluation/lots/{moderated_lot}/moderation"), 403, 403,
      args={**EVAL, **MODERATED_LOT, "bid_id": "moderated_bid", "question_id": "quality_question"},
      data={"score": "1", "reason": "Agreed at the panel: the follow-up is not evidenced."}, changes=True,
      note="the agreed score revised"),
    R("POST", "/tenders/<int:tender_id>/evaluation/lots/<int:lot_id>/complete",
                                                                  LOGIN,     403,        403,
      Redirect("/tenders/{eval_tender}/evaluation#lot-{moderated_lot.number}"), 403, 403,
      args={**EVAL, **MODERATED_LOT}, changes=True),
    R("GET",  "/tenders/<int:tender_id>/evaluation/record.xlsx",  LOGIN,     403,        403,        200,     403,       403,
      args=EVAL),

    # award_admin: the officers' award of a tender whose evaluation is complete (procurement officers only:
    # one proposes each lot's award, a different one approves it). A step the tender is not at is
    # refused with a 400 and its reason, and nothing is saved.
    R("GET",  "/tenders/<int:tender_id>/award",                   LOGIN,     403,        403,        200,     403,       403,
      args=AWARDED, note="approved, summaries sent"),
    R("GET",  "/tenders/<int:tender_id>/award",                   LOGIN,     403,        403,        200,     403,       403,
      args=PROPOSING, note="a proposal awaiting approval"),
    R("POST", "/tenders/<int:tender_id>/award/lots/<int:lot_id>/propose",
                                                                  LOGIN,     403,        403,
      Redirect("/tenders/{proposing_tender}/award#lot-{unproposed_lot.number}"), 403, 403,
      args={**PROPOSING, "lot_id": "unproposed_lot"}, data={"lot{unproposed_lot}-winner_bid_ids": "{unproposed_winner}"},
      csrf="lot{unproposed_lot}-csrf_token", changes=True, note="ranked, nothing proposed"),
    R("POST", "/tenders/<int:tender_id>/award/lots/<int:lot_id>/propose",
                                                                  LOGIN,     403,        403,        400,     403,       403,
      args={**AWARDED, "lot_id": "awarded_lot"}, data={"lot{awarded_lot}-winner_bid_ids": "{bid_a}"},
      csrf="lot{awarded_lot}-csrf_token", note="already approved", says="award has been approved: it cannot change"),
    R("POST", "/tenders/<int:tender_id>/award/lots/<int:lot_id>/approve",
                                                                  LOGIN,     403,        403,
      Redirect("/tenders/{proposing_tender}/award#lot-{proposing_lot.number}"), 403, 403,
      args={**PROPOSING, "lot_id": "proposing_lot"}, data={"approve{proposing_lot}-decision_id": ""},
      csrf="approve{proposing_lot}-csrf_token", changes=True, note="proposed by another officer"),
    R("POST", "/tenders/<int:tender_id>/award/lots/<int:lot_id>/approve",
                                                                  LOGIN,     403,        403,        400,     403,       403,
      args={**PROPOSING, "lot_id": "unproposed_lot"}, data={"approve{unproposed_lot}-decision_id": ""},
      csrf="approve{unproposed_lot}-csrf_token", note="nothing proposed", says="Propose the award of lot 2 first"),
    R("POST", "/tenders/<int:tender_id>/award/lots/<int:lot_id>/approve",
                                                                  LOGIN,     403,        403,        400,     403,       403,
      args={**AWARDED, "lot_id": "awarded_lot"}, data={"approve{awarded_lot}-decision_id": ""},
      csrf="approve{awarded_lot}-csrf_token", note="already approved", says="This award has already been approved"),
    R("POST", "/tenders/<int:tender_id>/award/summaries/prepare", LOGIN,     403,        403,
      Redirect("/tenders/{prepared_tender}/award/summaries"), 403, 403, args=PREPARED, changes=True,
      note="written again, before they are sent"),
    R("POST", "/tenders/<int:tender_id>/award/summaries/prepare", LOGIN,     403,        403,        400,     403,       403,
      args=PROPOSING, note="a lot not approved", says="Propose and approve the award of lot 2 first"),
    R("POST", "/tenders/<int:tender_id>/award/summaries/prepare", LOGIN,     403,        403,        400,     403,       403,
      args=AWARDED, note="already sent", says="The assessment summaries have been sent: they cannot be written again"),
    R("GET",  "/tenders/<int:tender_id>/award/summaries",         LOGIN,     403,        403,        200,     403,       403,
      args=AWARDED, note="sent"),
    R("GET",  "/tenders/<int:tender_id>/award/summaries",         LOGIN,     403,        403,        200,     403,       403,
      args=PREPARED, note="prepared"),
    R("POST", "/tenders/<int:tender_id>/award/summaries/send",    LOGIN,     403,        403,
      Redirect("/tenders/{prepared_tender}/award#notice"), 403, 403, args=PREPARED, changes=True),
    R("POST", "/tenders/<int:tender_id>/award/summaries/send",    LOGIN,     403,        403,        400,     403,       403,
      args=AWARDED, note="already sent", says="The assessment summaries have already been sent"),
    R("GET",  "/tenders/<int:tender_id>/award/summaries/<int:summary_id>",
                                                                  LOGIN,     403,        403,        200,     403,       403,
      args={**PREPARED, "summary_id": "prepared_summary"}, note="prepared"),
    R("POST", "/tenders/<int:tender_id>/award/summaries/<int:summary_id>",
                                                                  LOGIN,     403,        403,
      Redirect("/tenders/{prepared_tender}/award/summaries/{prepared_summary}"), 403, 403,
      args={**PREPARED, "summary_id": "prepared_summary"}, data=PREPARED_REWORDING, changes=True, note="prepared"),
    R("GET",  "/tenders/<int:tender_id>/award/summaries/<int:summary_id>",
                                                                  LOGIN,     403,        403,        200,     403,       403,
      args={**AWARDED, "summary_id": "sent_summary"}, note="sent"),
    R("POST", "/tenders/<int:tender_id>/award/summaries/<int:summary_id>",
                                                                  LOGIN,     403,        403,        400,     403,       403,
      args={**AWARDED, "summary_id": "sent_summary"}, data=SENT_REWORDING, note="sent",
      says="This summary has been sent: it cannot change"),
    R("GET",  "/tenders/<int:tender_id>/award/summaries/<int:summary_id>",
                                                                  LOGIN,     403,        403,        404,     403,       403,
      args={**AWARDED, "summary_id": "prepared_summary"}, note="another tender's summary"),
    R("GET",  "/tenders/<int:tender_id>/award/notice",            LOGIN,     403,        403,        200,     403,       403,
      args=AWARDED, note="to publish"),
    R("POST", "/tenders/<int:tender_id>/award/notice",            LOGIN,     403,        403,
      Redirect("/tenders/{awarded_tender}/award/notice"), 403, 403, args=AWARDED, data=SEND_OFF, changes=True,
      note="summaries sent"),
    R("POST", "/tenders/<int:tender_id>/award/notice",            LOGIN,     403,        403,        400,     403,       403,
      args=PREPARED, data=SEND_OFF, note="summaries not sent",
      says="Send every assessment summary before publishing the award notice"),
    R("GET",  "/tenders/<int:tender_id>/award/notice",            LOGIN,     403,        403,        200,     403,       403,
      args=PUBLISHED, note="published"),
    R("GET",  "/tenders/<int:tender_id>/award/contracts",         LOGIN,     403,        403,        200,     403,       403,
      args=PUBLISHED),
    R("POST", "/tenders/<int:tender_id>/award/contracts",         LOGIN,     403,        403,
      Redirect("/tenders/{published_tender}/award/contracts"), 403, 403, args=PUBLISHED, data=CONTRACT_END,
      changes=True, note="no standstill"),
    R("POST", "/tenders/<int:tender_id>/award/contracts",         LOGIN,     403,        403,        400,     403,       403,
      args=AWARDED, data=CONTRACT_END, note="no award notice", says="Publish the award notice first"),
    R("POST", "/tenders/<int:tender_id>/award/details-notice",    LOGIN,     403,        403,
      Redirect("/tenders/{contracted_tender}/award/contracts"), 403, 403, args=CONTRACTED, changes=True,
      note="contracts entered"),
    R("POST", "/tenders/<int:tender_id>/award/details-notice",    LOGIN,     403,        403,        400,     403,       403,
      args=PUBLISHED, note="contracts not entered", says="Enter the contracts first"),

    # award_outcome: a bidder's own outcome and assessment summaries, once sent. Another organisation's
    # bid, or a lot of another tender, is 404; council staff read summaries on the award pages (403).
    R("GET",  "/bids/<int:bid_id>/outcome",                       LOGIN,     200,        404,        403,     403,       403,
      args=OUTCOME_A, note="A's bid"),
    R("GET",  "/bids/<int:bid_id>/outcome",                       LOGIN,     404,        200,        403,     403,       403,
      args={"bid_id": "bid_b"}, note="B's bid"),
    R("GET",  "/bids/<int:bid_id>/outcome/lots/<int:lot_id>.pdf", LOGIN,     200,        404,        403,     403,       403,
      args={**OUTCOME_A, "lot_id": "awarded_lot"}, note="A's bid"),
    R("GET",  "/bids/<int:bid_id>/outcome/lots/<int:lot_id>.pdf", LOGIN,     404,        404,        403,     403,       403,
      args={**OUTCOME_A, "lot_id": "proposing_lot"}, note="a lot of another tender"),

    # evidence: an organisation's quality-assurance documents, its providers' own.
    R("GET",  "/organisation/evidence",                           LOGIN,     200,        200,        403,     403,       403),
    R("GET",  "/organisation/evidence/new",                       LOGIN,     200,        200,        403,     403,       403),
    R("POST", "/organisation/evidence/new",                       LOGIN,     EVIDENCE_LIST, EVIDENCE_LIST, 403,  403,       403,
      data={"kind": "SAFEGUARDING_POLICY", "title": "Safeguarding policy", "file": Upload("safeguarding.pdf"),
            "expires_on": ["31", "3", "2028"]}, changes=True),
    R("GET",  "/organisation/evidence/<int:evidence_id>/file",    LOGIN,     200,        404,        403,     403,       403,
      args=EVIDENCE, note="A's"),
    R("GET",  "/organisation/evidence/<int:evidence_id>/file",    LOGIN,     404,        200,        403,     403,       403,
      args={"evidence_id": "evidence_b"}, note="B's"),
    R("POST", "/organisation/evidence/<int:evidence_id>/archive", LOGIN,     EVIDENCE_LIST, 404,     403,     403,       403,
      args=EVIDENCE, changes=True, note="A's"),
]
# fmt: on

REFUSED = (LOGIN, 403, 404)
CASES = [pytest.param(row, persona, id=f"{row.label}-{persona}") for row in MATRIX for persona in PERSONAS]


# --- the world every cell runs in ------------------------------------------------------------------


@pytest.fixture
def world(request, app, monkeypatch, shared_worlds):
    """Two provider organisations, each with an administrator; a colleague in A; the
    three staff personas; the staff members the admin pages act on; an agreement
    with organisation A and a notice sent to it; and, for the rows that need them, the
    tenders, decision, bid and evidence of ``tenders_bids_and_evidence``. The clock
    stands at NOW.

    Built once per test process and shared by every cell (``shared_worlds``): each cell
    starts from the rows as built, checked by fingerprint, and restored from a copy only
    after a cell changed them (an accepted POST)."""
    monkeypatch.setitem(app.config, "FIXED_NOW", NOW)
    params = request.node.callspec.params if hasattr(request.node, "callspec") else {}
    kind = world_kind(params)
    return shared_worlds.use(WORLD_NAMES[kind], lambda: build_world(app, kind))


TENDERS, EVALUATION, AWARD, PLAIN = "tenders", "evaluation", "award", "plain"
WORLD_NAMES = {
    PLAIN: "access matrix",
    TENDERS: "access matrix, with tenders",
    EVALUATION: "access matrix, in evaluation",
    AWARD: "access matrix, in award",
}


def world_kind(params: dict) -> str:
    """The world a test needs: its row's; for the fuzz campaign (parametrised by route group), the
    evaluation world for a group of evaluation pages, the award world for a group of award pages;
    otherwise the one with tenders."""
    row = params.get("row")
    if row is None and "group" in params:
        from tests.test_fuzz import group_of  # the fuzz campaign imports this module

        rows = [r for r in MATRIX if group_of(r.rule) == params["group"]]
        if rows and all(r.needs_evaluation for r in rows):
            return EVALUATION
        return AWARD if rows and all(r.needs_award for r in rows) else TENDERS
    if row is None:
        return TENDERS
    if row.needs_award:
        return AWARD
    return EVALUATION if row.needs_evaluation else TENDERS if row.needs_tenders else PLAIN


def build_world(app, kind: str) -> dict:
    """The world of ``world``, committed, its objects loaded and detached from any session."""
    db = app.extensions["db_sessionmaker"]()
    try:
        organisation_a, organisation_b = make_organisation(db), make_organisation(db)
        objects = {
            "provider_a": make_user(db, Role.PROVIDER, organisation=organisation_a, is_organisation_admin=True),
            "colleague_a": make_user(db, Role.PROVIDER, organisation=organisation_a, is_organisation_admin=False),
            "provider_b": make_user(db, Role.PROVIDER, organisation=organisation_b, is_organisation_admin=True),
            "officer": make_user(db, Role.OFFICER),
            "evaluator": make_user(db, Role.EVALUATOR),
            "admin": make_user(db, Role.ADMIN),
            "staff_member": make_user(db, Role.EVALUATOR),
            "former_staff_member": make_user(db, Role.OFFICER),
        }
        objects["former_staff_member"].deactivated_at = utcnow()
        category = ServiceCategory(name="Access matrix test services")
        agreement = Agreement(
            reference="KCC-EIP-001",
            organisation_id=organisation_a.id,
            service_name="Early help for young carers",
            category=category,
            annual_value_pence=8_500_000,
            start_date=date(2024, 4, 1),
            original_end_date=date(2030, 3, 31),
            end_date=date(2030, 3, 31),
            districts=list(organisation_a.districts),
        )
        notice = EndingNotice(
            agreement=agreement,
            organisation_id=organisation_a.id,
            kind=NoticeKind.MANUAL,
            subject="Your agreement is ending",
            body="It ends on 31 March 2030.",
        )
        db.add_all([category, agreement, notice])
        db.commit()
        objects.update(district=organisation_a.districts[0].id, agreement_a=agreement, notice_a=notice)
        if kind == TENDERS:
            objects.update(tenders_bids_and_evidence(app, db, objects, category))
        elif kind == EVALUATION:
            objects.update(evaluation_world(app, db, objects))
        elif kind == AWARD:
            objects.update(award_world(app, db, objects))
        # Tests read the objects' columns long after this session is gone: load them all now.
        for value in objects.values():
            if isinstance(value, Base):
                db.refresh(value)
        db.expunge_all()
        return objects
    finally:
        db.close()


def add_questionnaire(db, tender: Tender) -> None:
    """A pass or fail selection question and two quality questions weighted 60 and 40 for every lot."""
    selection = QuestionnaireSection(tender_id=tender.id, position=1, title="Selection", kind=QuestionKind.PASS_FAIL)
    quality = QuestionnaireSection(tender_id=tender.id, position=2, title="Quality", kind=QuestionKind.QUALITY)
    db.add_all([selection, quality])
    db.flush()
    db.add_all(
        [
            Question(
                tender_id=tender.id,
                section_id=selection.id,
                position=1,
                kind=QuestionKind.PASS_FAIL,
                text="Do you hold employers' liability insurance of at least £5m?",
                passing_answer=True,
            ),
            Question(
                tender_id=tender.id,
                section_id=quality.id,
                position=2,
                kind=QuestionKind.QUALITY,
                text="How will you reach families who do not ask for help?",
                word_limit=500,
                weight=60,
            ),
            Question(
                tender_id=tender.id,
                section_id=quality.id,
                position=3,
                kind=QuestionKind.QUALITY,
                text="How will you safeguard children?",
                word_limit=500,
                weight=40,
            ),
        ]
    )


def tenders_bids_and_evidence(app, db, objects, agreements_category) -> dict:
    """A decision with a document; a published tender (two lots, a document, a questionnaire)
    with A's clarification question and A's bid, submitted with an attachment and A's
    evidence; B's evidence; another published tender nobody has touched; and a publishable
    draft (in the agreement's category, starting after it ends, so it can replace it)."""
    provider_a = objects["provider_a"]
    decision = make_decision(db)
    document = store_pdf(app, db, "Equality impact assessment.pdf")
    decision_document = DecisionDocument(
        decision_id=decision.id, file_id=document.id, title="Equality impact assessment"
    )
    tender = make_tender(app, db, decision=decision)
    add_questionnaire(db, tender)
    other_tender = make_tender(app, db, lots=1, documents=0)
    draft = make_tender(app, db, status=TenderStatus.DRAFT, category=agreements_category.name)
    draft.contract_start_date = date(2030, 4, 1)
    draft.conflicts_assessment = "No conflicts: the panel has no links with likely bidders."
    draft.conflicts_assessed_at, draft.conflicts_assessed_by_id = NOW, objects["officer"].id
    add_questionnaire(db, draft)
    eia = store_pdf(app, db, "Framework equality impact assessment.pdf")  # a framework is published with its EIA
    db.add(
        TenderDocument(
            tender_id=draft.id,
            kind=DocumentKind.EQUALITY_IMPACT_ASSESSMENT,
            title="Equality Impact Assessment",
            file_id=eia.id,
        )
    )
    clarification = Clarification(
        tender_id=tender.id,
        organisation_id=provider_a.organisation_id,
        asked_by_id=provider_a.id,
        question="Can a consortium bid?",
        asked_at=NOW,
        answer="Yes, with a lead organisation.",  # drafted, not yet sent
        is_answer_for_everyone=True,
    )
    db.add_all([decision_document, clarification])
    db.commit()

    # A's bid and evidence, through the services, as the pages make them, in one unit of work.
    with app.test_request_context(), transaction() as session:
        user, bid_tender = session.get(User, provider_a.id), session.get(Tender, tender.id)
        evidence = evidence_services.add_evidence(
            session, user, EvidenceKind.INSURANCE, "Public liability", "insurance.pdf", PDF, date(2027, 12, 31), NOW
        )
        bid = drafting.start_bid(session, user, bid_tender, NOW)
        lot_ids = [lot.id for lot in bid_tender.lots]
        drafting.choose_lots(session, user, bid, lot_ids, NOW)
        for question in bid_tender.questions:
            text = "We will do this well." if question.kind is QuestionKind.QUALITY else None
            drafting.save_answer(session, user, bid, question, text, True, 0, NOW)
        drafting.save_prices(session, user, bid, dict.fromkeys(lot_ids, 95_000_00), NOW)
        attachment = drafting.attach(session, user, bid, "method-statement.pdf", PDF, "Method statement", NOW)
        drafting.choose_evidence(session, user, bid, [evidence.id], NOW)
        drafting.confirm_declarations(session, user, bid, True, NOW)
        submission.submit(session, user, bid, NOW)
        evidence_b = evidence_services.add_evidence(
            session,
            session.get(User, objects["provider_b"].id),
            EvidenceKind.ACCOUNTS,
            "Annual accounts",
            "accounts.pdf",
            PDF,
            None,
            NOW,
        )
        session.flush()
        bid_id, attachment_id, evidence_id, evidence_b_id = bid.id, attachment.id, evidence.id, evidence_b.id

    db.expire_all()
    bid = db.get(Bid, bid_id)
    bid_question = next(q for q in tender.questions if q.kind is QuestionKind.QUALITY)
    lot_1, lot_2 = sorted(tender.lots, key=lambda lot: lot.number)
    draft_section = next(s for s in draft.sections if s.kind is QuestionKind.QUALITY)
    with app.app_context():  # A's token from A's browser: the key it is bound to is that browser's cookie
        draft_token_a = draft_tokens.sign(provider_a, bid.id, bid_question.id, BROWSER_KEY_A)
    return {
        "decision": decision,
        "decision_document": decision_document,
        "tender": tender,
        "tender_document": tender.documents[0],
        "tender_lot_1": lot_1,
        "tender_lot_2": lot_2,
        "clarification_a": clarification,
        "clarification_a_digest": draft_digest(clarification),
        "other_tender": other_tender,
        "draft": draft,
        "draft_lot": draft.lots[0],
        "draft_document": draft.documents[0],
        "draft_section": draft_section,
        "draft_question": next(q for q in draft.questions if q.section_id == draft_section.id),
        "bid_a": bid,
        "attachment_a": db.get(BidAttachment, attachment_id),
        "bid_file_a": db.get(BidAttachment, attachment_id).file_id,
        "evidence_a": db.get(Evidence, evidence_id),
        "evidence_b": db.get(Evidence, evidence_b_id),
        "bid_question": bid_question,
        "bid_answer": db.scalar(
            select(BidAnswer).where(BidAnswer.bid_id == bid.id, BidAnswer.question_id == bid_question.id)
        ),
        "draft_token_a": draft_token_a,
    }


def evaluation_world(app, db, objects) -> dict:
    """A tender in evaluation (``tests.evaluation.world.build_opened_tender``: three bids, two
    lots, one pass or fail and two quality questions), set up through the services as the
    pages would: see the comment above ``EVAL`` for who is where."""
    opened = build_opened_tender(
        app,
        db,
        bids=4,
        lots=2,
        passes=[True, True, False, True],
        bid_overrides={0: {"lots": [0]}, 1: {"lots": [0]}, 2: {"lots": [0]}, 3: {"lots": [1]}},
    )
    db.commit()
    with app.test_request_context(), transaction() as session:
        tender = session.get(Tender, opened.tender.id)

        def state(scores_of=None):
            return evaluation_state.load(session, tender, scores_of=scores_of)

        def user(u):
            return session.get(User, u.id)

        boss, price_checker = user(opened.officers[0]), user(opened.officers[1])
        evaluator, officer = user(objects["evaluator"]), user(objects["officer"])
        newcomer, second = (user(e) for e in opened.evaluators)
        lot_1, lot_2 = opened.lots[0].id, opened.lots[1].id
        for lot_id, member, role in (
            (lot_1, evaluator, PanelRole.QUALITY),
            (lot_1, officer, PanelRole.PRICE),
            (lot_1, newcomer, PanelRole.QUALITY),
            (lot_2, second, PanelRole.QUALITY),
            (lot_2, price_checker, PanelRole.PRICE),
        ):
            panel.appoint(session, boss, state(), lot_id, member, role, [], NOW)
        organisations = [organisation.id for organisation in opened.organisations]
        none = dict.fromkeys(organisations, (False, ""))
        for person in (evaluator, officer, second, price_checker):
            conflicts.declare(session, person, state(), none, NOW)
        interest = {**none, organisations[2]: (True, "I was its treasurer until last year.")}
        conflicts.declare(session, newcomer, state(), interest, NOW)

        def score_everything(person, lot_id):
            current = state(person.id)
            lot = current.lot(lot_id)
            member = next(m for m in current.panel(lot, PanelRole.QUALITY) if m.user_id == person.id)
            assigned = current.assignments(member)
            assert assigned, "nothing for the evaluator to score"
            for bid, question in assigned:
                scoring.save_score(
                    session, person, state(person.id), lot, bid, question, 3, EXPLANATION, "", bid.sha256, NOW
                )
            return lot

        score_everything(evaluator, lot_1)  # drafts, not submitted
        lot = score_everything(second, lot_2)
        scoring.submit_scores(session, second, state(second.id), lot, NOW)
        scoring.confirm_prices(session, price_checker, state(), lot, NOW)
        moderation.start(session, boss, state(), lot, NOW)
        current = state()
        for bid, question in current.answers_to_moderate(lot):
            moderation.moderate(session, boss, current, lot, bid, question, 3, "", NOW)
        session.flush()
        removable = session.scalar(select(PanelMember.id).where(PanelMember.user_id == newcomer.id))
        declaration = session.scalar(
            select(ConflictDeclaration.id).where(
                ConflictDeclaration.user_id == newcomer.id, ConflictDeclaration.has_interest.is_(True)
            )
        )
    db.expire_all()
    return {
        "eval_tender": opened.tender,
        "eval_lot": opened.lots[0],
        "moderated_lot": opened.lots[1],
        "eval_bid": opened.bids[0],
        "failing_bid": opened.bids[2],
        "eval_submission": opened.submissions[0],
        "quality_question": opened.quality_questions[0],
        "pass_fail_question": opened.pass_fail_questions[0],
        "bidder_a": opened.organisations[0],
        "bidder_b": opened.organisations[1],
        "bidder_c": opened.organisations[2],
        "bidder_d": opened.organisations[3],
        "moderated_bid": opened.bids[3],
        "removable_member": db.get(PanelMember, removable),
        "interest_declaration": db.get(ConflictDeclaration, declaration),
    }


def award_world(app, db, objects) -> dict:
    """Five evaluated tenders (``tests.awards.world.build_evaluated_tender``), each taken through the
    award services to a different step: see the comment above ``AWARDED`` for which is where. Each
    tender's proposals are made by its own first officer and approved by its second: never the
    officer persona, who may therefore approve any proposal."""
    with app.test_request_context():
        awarded = build_evaluated_tender(app, db, bids=3, passes=[True, True, False])
        award_through_summaries_sent(db, awarded)
        proposing = build_evaluated_tender(app, db, bids=2, lots=2, replaced_agreements=False)
        proposing_lot, unproposed_lot = proposing.lots
        decisions.propose(
            db, proposing.officer, proposing.tender, proposing_lot, top_ranked(db, proposing_lot), "", NOW
        )
        prepared = build_evaluated_tender(app, db, bids=2, replaced_agreements=False)
        for lot in prepared.lots:
            award = decisions.propose(db, prepared.officer, prepared.tender, lot, top_ranked(db, lot), "", NOW)
            decisions.approve(db, prepared.approver, prepared.tender, award, None, NOW)
        summaries.prepare(db, prepared.officer, prepared.tender, NOW)
        published, contracted = (
            build_evaluated_tender(app, db, bids=2, replaced_agreements=False, contract_start_date=date(2027, 4, 1))
            for _ in range(2)
        )
        for tender in (published, contracted):  # a light touch contract, with no standstill
            award_through_summaries_sent(db, tender)
            notice.publish(db, tender.officer, tender.tender, NOW, voluntary_standstill=False)
        contracts.enter(db, contracted.officer, contracted.tender, date(2030, 3, 31), NOW)
        # A's and B's people act for the first two bidders of the awarded tender.
        for persona, organisation in zip(("provider_a", "provider_b"), awarded.organisations, strict=False):
            db.get(User, objects[persona].id).organisation_id = organisation.id
        db.flush()

        def summary_of(bid):
            return db.scalar(select(AssessmentSummary).where(AssessmentSummary.bid_id == bid.id))

        found = {
            "awarded_tender": awarded.tender,
            "awarded_lot": awarded.lot,
            "bid_a": awarded.bids[0],
            "bid_b": awarded.bids[1],
            "sent_summary": summary_of(awarded.bids[0]),
            "awarded_question_1": awarded.quality_questions[0],
            "awarded_question_2": awarded.quality_questions[1],
            "proposing_tender": proposing.tender,
            "proposing_lot": proposing_lot,
            "unproposed_lot": unproposed_lot,
            "unproposed_winner": db.get(Bid, top_ranked(db, unproposed_lot)[0]),
            "prepared_tender": prepared.tender,
            "prepared_summary": summary_of(prepared.bids[0]),
            "prepared_question_1": prepared.quality_questions[0],
            "prepared_question_2": prepared.quality_questions[1],
            "published_tender": published.tender,
            "contracted_tender": contracted.tender,
            "contracted_ocid": f"{app.config['OCDS_OCID_PREFIX']}-{contracted.tender.reference}",
        }
    db.commit()
    return found


class _Fill(dict):
    """str.format_map source: "{provider_a}" is the user's id, "{provider_a.email}" an attribute."""

    def __init__(self, world):
        super().__init__({key: _Id(value) for key, value in world.items()})


class _Id:
    def __init__(self, value):
        self.value = value

    def __format__(self, spec):
        return str(getattr(self.value, "id", self.value))

    def __getattr__(self, name):
        return getattr(self.value, name)


def fill(value, world):
    if isinstance(value, list):
        return [fill(item, world) for item in value]
    if isinstance(value, Upload):
        return io.BytesIO(value.content), value.filename
    return value.format_map(_Fill(world))


def url_for_row(row: Row, world) -> str:
    def argument(match):
        name = match.group(1)
        value = row.args[name]  # an object of the world ("draft"), its attribute ("draft.reference"), or a literal
        return fill("{" + value + "}", world) if value.split(".")[0] in world else value

    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", argument, row.rule)


def snapshot(app) -> dict:
    """Each table's row count and a hash of its rows: what a refused request must leave
    untouched (equal exactly when every table holds the same rows)."""
    return fingerprint(app.extensions["db_engine"])


def sign_in(persona, world, login_as, client):
    """Through the session (the sign-in form has its own row, and its own tests). Every
    client is A's browser as far as the draft key goes: a save kept after A's session
    ended is kept only from the browser that was issued the token."""
    client.set_cookie(draft_tokens.DRAFT_KEY_COOKIE, BROWSER_KEY_A, path="/bids/")
    if persona != "anonymous":
        login_as(world[persona])
    return client


def assert_answer(response, expected, url, world):
    location = response.headers.get("Location", "")
    if expected in (LOGIN, LOGIN_KEPT):
        assert response.status_code == 302, f"expected a redirect to sign in, got {response.status_code}"
        target = urlsplit(location)
        assert target.path == "/sign-in", location
        if expected == LOGIN:
            assert parse_qs(target.query).get("next") == [url], location
        else:  # back to the page, to apply what was kept
            assert re.fullmatch(re.escape(url) + r"\?resume=[\w-]+", parse_qs(target.query)["next"][0]), location
    elif isinstance(expected, Redirect):
        assert response.status_code == 302, f"expected 302 to {expected.to}, got {response.status_code}"
        target = urlsplit(location)
        pattern = r"\d+".join(re.escape(part) for part in fill(expected.to, world).split(NEW))
        assert re.fullmatch(pattern, target._replace(scheme="", netloc="").geturl()), location
    else:
        assert response.status_code == expected, f"expected {expected}, got {response.status_code} {location}".rstrip()
    if response.status_code == 400:
        assert CSRF_FAILURE_TEXT not in response.get_data(as_text=True), "a CSRF failure, not an access decision"


# --- the matrix --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("row", "persona"), CASES)
def test_access(row, persona, app, client, world, login_as, shared_worlds):
    sign_in(persona, world, login_as, client)
    url = url_for_row(row, world)
    data = {}
    if row.method == "POST":
        token = csrf_token_for(client)
        data = {
            "csrf_token": token,
            **({fill(row.csrf, world): token} if row.csrf else {}),
            **{fill(key, world): fill(value, world) for key, value in row.data.items()},
        }
    expected = row.expected[persona]

    before = shared_worlds.held_fingerprint()  # the world as built: checked, or restored, before each cell
    response = client.open(url, method=row.method, data=data)
    after = snapshot(app)

    assert_answer(response, expected, url, world)
    if expected in REFUSED:
        assert after == before, "a refused request changed the database"
    elif row.changes and expected != HOME:
        assert after != before, "the accepted request changed nothing: the row's data does not exercise the route"
    if expected == LOGIN_KEPT:
        changed = {table for table in before if before[table] != after[table]}
        assert changed == {"pending_save"}, f"only the kept text may be stored until sign-in, not {changed}"
    if row.says and expected not in REFUSED:
        assert row.says in response.get_data(as_text=True)


def test_a_provider_who_is_not_organisation_admin_is_refused(app, client, world, login_as, db):
    """organisation_admin: a provider, but only their organisation's administrators."""
    member = world["colleague_a"]
    login_as(member)
    assert client.get("/organisation").status_code == 200
    assert client.get("/organisation/colleagues/invite").status_code == 403
    assert client.get(f"/organisation/colleagues/{world['provider_a'].id}/remove").status_code == 403

    before = snapshot(app)
    response = client.post(
        f"/organisation/colleagues/{world['provider_a'].id}/remove", data={"csrf_token": csrf_token_for(client)}
    )
    assert response.status_code == 403
    response = client.post(
        "/organisation/colleagues/invite",
        data={"csrf_token": csrf_token_for(client), "full_name": "Sam Smith", "email": "sam@example.org"},
    )
    assert response.status_code == 403
    assert snapshot(app) == before


# --- the matrix against the app's routes and their declarations ----------------------------------------


def routes(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_matrix_covers_every_route(app):
    in_matrix = {(row.method, row.rule) for row in MATRIX}
    assert routes(app) - in_matrix == set(), "routes with no row in the access matrix"
    assert in_matrix - routes(app) == set(), "matrix rows for routes that do not exist"


def test_every_endpoint_declares_an_audience(app):
    for endpoint in app.view_functions:
        if endpoint == "static":
            continue
        audience = audience_of(app, endpoint)
        assert audience in (ANYONE, SIGNED_IN) or (
            isinstance(audience, frozenset) and audience and all(isinstance(r, Role) for r in audience)
        ), f"{endpoint} declares no audience ({audience!r})"


# Routes declared @public that check who may use them themselves, and the audience they must then
# answer like. bids.question: a save that arrives after the session has ended must still be read, to
# keep what was typed (against its signed draft token) for after sign-in; so the view, not the
# decorator, sends a signed-out GET to sign in, refuses other roles with 403 and checks CSRF.
CHECKS_ITS_OWN_AUDIENCE = {"bids.question": frozenset({Role.PROVIDER})}


def test_matrix_agrees_with_declared_audiences(app):
    """A public route never sends visitors to sign in; a protected one always does, and
    refuses signed-in users of other roles with 403."""
    adapter = app.url_map.bind("localhost")
    for row in MATRIX:
        endpoint = next(
            rule.endpoint for rule in adapter.map.iter_rules() if rule.rule == row.rule and row.method in rule.methods
        )  # GET and POST may differ
        audience = audience_of(app, endpoint)
        expected = row.expected
        if endpoint in CHECKS_ITS_OWN_AUDIENCE:
            assert audience == ANYONE, f"{endpoint} is no longer declared public: drop the exception"
            audience = CHECKS_ITS_OWN_AUDIENCE[endpoint]
            assert expected["anonymous"] in (LOGIN, LOGIN_KEPT), row.label
        elif audience == ANYONE:
            assert LOGIN not in expected.values() and LOGIN_KEPT not in expected.values(), row.label
            continue
        else:
            assert expected["anonymous"] == LOGIN, row.label
        if isinstance(audience, frozenset):
            for persona, role in PERSONA_ROLES.items():
                if role not in audience:
                    assert expected[persona] == 403, f"{row.label}: {persona}"
                else:
                    assert expected[persona] != 403, f"{row.label}: {persona}"


def test_each_persona_is_who_the_matrix_says(world, db):
    assert world["agreement_a"].organisation_id == world["provider_a"].organisation_id
    assert world["notice_a"].organisation_id == world["provider_a"].organisation_id
    assert world["provider_a"].organisation_id != world["provider_b"].organisation_id
    assert world["colleague_a"].organisation_id == world["provider_a"].organisation_id
    assert world["provider_a"].is_organisation_admin and world["provider_b"].is_organisation_admin
    assert not world["colleague_a"].is_organisation_admin
    assert {persona: world[persona].role for persona in PERSONA_ROLES} == PERSONA_ROLES
    assert world["staff_member"].role.is_staff and world["former_staff_member"].deactivated_at is not None
    organisation_a = world["provider_a"].organisation_id
    assert world["bid_a"].organisation_id == organisation_a and world["bid_a"].status.name == "SUBMITTED"
    assert world["bid_a"].tender_id == world["tender"].id and world["attachment_a"].bid_id == world["bid_a"].id
    assert world["evidence_a"].organisation_id == organisation_a
    assert world["evidence_b"].organisation_id == world["provider_b"].organisation_id
    assert world["clarification_a"].organisation_id == organisation_a
    assert world["clarification_a"].answered_at is None
    assert world["tender"].status is world["other_tender"].status is TenderStatus.PUBLISHED
    assert world["draft"].status is TenderStatus.DRAFT
    assert not db.scalar(select(Bid.id).where(Bid.tender_id == world["other_tender"].id))
    assert world["decision_document"].decision_id == world["decision"].id
    assert world["tender"].submission_deadline > NOW  # the bids are sealed


def test_the_evaluation_world_is_as_the_matrix_says(app, monkeypatch, shared_worlds, db):
    monkeypatch.setitem(app.config, "FIXED_NOW", NOW)
    world = shared_worlds.use(WORLD_NAMES[EVALUATION], lambda: build_world(app, EVALUATION))
    tender = db.get(Tender, world["eval_tender"].id)
    assert tender.status is TenderStatus.EVALUATION
    current = evaluation_state.load(db, tender)
    lot_1, lot_2 = current.lot(world["eval_lot"].id), current.lot(world["moderated_lot"].id)
    on = {(m.user_id, m.lot_id, m.role) for m in current.members}
    assert (world["evaluator"].id, lot_1.id, PanelRole.QUALITY) in on
    assert (world["officer"].id, lot_1.id, PanelRole.PRICE) in on
    assert not {(u, lot) for u, lot, _ in on if u in (world["evaluator"].id, world["officer"].id) and lot == lot_2.id}
    assert current.has_declared(world["evaluator"].id) and current.has_declared(world["officer"].id)
    member = next(m for m in current.members if m.user_id == world["evaluator"].id)
    assert member.submitted_at is None and current.scored_count(member) == len(current.assignments(member)) > 0
    assert current.bid(world["failing_bid"].id) not in current.bids_going_forward(lot_1)
    assert world["interest_declaration"].has_interest
    assert current.status_of(lot_2).name == "MODERATION"


def test_the_award_world_is_as_the_matrix_says(app, monkeypatch, shared_worlds, db):
    monkeypatch.setitem(app.config, "FIXED_NOW", NOW)
    world = shared_worlds.use(WORLD_NAMES[AWARD], lambda: build_world(app, AWARD))

    def tender(name):
        return db.get(Tender, world[name].id)

    def award_of(lot):
        return db.scalar(select(LotAward).where(LotAward.lot_id == world[lot].id))

    def notice_of(name):
        return db.scalar(select(AwardNotice).where(AwardNotice.tender_id == world[name].id))

    officer = world["officer"].id
    assert world["bid_a"].organisation_id == db.get(User, world["provider_a"].id).organisation_id
    assert world["bid_b"].organisation_id == db.get(User, world["provider_b"].id).organisation_id
    assert world["bid_a"].organisation_id != world["bid_b"].organisation_id
    assert world["bid_a"].tender_id == world["bid_b"].tender_id == world["awarded_tender"].id
    assert [b.id for b in award_of("awarded_lot").winners] == [world["bid_a"].id]
    assert world["sent_summary"].bid_id == world["bid_a"].id and world["sent_summary"].sent_at is not None
    assert notice_of("awarded_tender") is None
    proposed = award_of("proposing_lot")
    assert proposed.status is LotAwardStatus.PROPOSED and proposed.proposed_by_id != officer
    assert award_of("unproposed_lot") is None
    assert award_of("proposing_lot").tender_id == world["proposing_tender"].id
    assert world["prepared_summary"].tender_id == world["prepared_tender"].id
    assert world["prepared_summary"].sent_at is None
    for name in ("awarded_tender", "proposing_tender", "prepared_tender"):
        assert tender(name).status is TenderStatus.EVALUATION
    for name in ("published_tender", "contracted_tender"):
        assert tender(name).status is TenderStatus.AWARDED and notice_of(name).standstill_ends_on is None
    assert notice_of("published_tender").contracts_entered_at is None
    assert notice_of("contracted_tender").contracts_entered_at is not None
    assert notice_of("contracted_tender").details_notice_published_at is None
