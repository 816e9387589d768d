"""In Chromium: the evaluation of an opened tender, from the panel to the ranking.

The world (``tests.evaluation.world.build_opened_tender``): one lot, a pass or
fail question and two quality questions, three bids at the same price, the
third failing its pass or fail answer; two evaluators and two officers.

The officer appoints both evaluators (quality) and the second officer (price)
on the lot's panel page and upholds the failed answer. The second evaluator
declares an interest in the first bidder and scores the second bidder's answers,
every explanation carrying a marker; the first evaluator declares no interest
and scores all four answers of the two bids going forward. Both score with the
keyboard alone (Tab to the radios, Space and the arrow keys to pick, typing,
Enter on "Save and continue", which goes on to the next unscored answer).
No page the first evaluator sees ever shows the marker, before or after the
second submits. The price officer checks the prices; the officer begins
moderation, sees both evaluators' scores side by side, records the agreed
scores (with a reason where they differ), completes the lot and sees the
ranking. axe-core checks every distinct page, the score sheet's error state
included.
"""

from __future__ import annotations

import re
import time

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Page, expect

from portal.tenders.models import TenderStatus
from tests.browser.test_axe_sweep import axe_problems
from tests.browser.test_bid_journey import follow, heading, sign_in_by_keyboard, tab_to, type_into
from tests.evaluation.world import build_opened_tender

MARKER = "SECOND-EVALUATOR-ONLY"
EXPLANATION = "The bid names weekly outreach at schools and food banks and a follow-up for every referral."
SECOND_EXPLANATION = f"{MARKER} The bid says little about families who never come forward by themselves."
AGREED_REASON = "Agreed at the panel: the follow-up of every referral is evidenced in the answer."


class Axe:
    """axe-core once per distinct page (a page seen again in another state is checked again
    under another name), with the rules the axe sweep runs: the defaults, as
    ``assert_accessible`` runs them, plus the duplicate-id rules."""

    def __init__(self):
        self.checked: list[str] = []
        self.seconds = 0.0

    def check(self, page: Page, name: str) -> None:
        if name in self.checked:
            return
        started = time.monotonic()
        page.wait_for_load_state("load")
        expect(page.locator("main h1")).to_have_count(1)
        page.evaluate(AXE_SCRIPT)
        problems = axe_problems(page, f"{name}: {page.url}")
        assert not problems, "\n".join(problems)
        self.checked.append(name)
        self.seconds += time.monotonic() - started


def assert_blind(page: Page) -> None:
    """Nothing of the second evaluator's explanations on the page the first evaluator sees."""
    assert MARKER not in page.content(), f"{page.url} shows the second evaluator's explanation"


def score_by_keyboard(page: Page, value: int, explanation: str) -> None:
    """On a score sheet with no score picked: Tab into the score radios, Space picks 0 and
    ArrowDown moves the choice on to ``value``; type the explanation; Enter on Save and continue."""
    first = page.locator("input[name=score][value='0']")
    tab_to(page, first)
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    for _ in range(value):
        page.keyboard.press("ArrowDown")
    expect(page.locator(f"input[name=score][value='{value}']")).to_be_checked()
    expect(page.locator(f"input[name=score][value='{value}']")).to_be_focused()
    type_into(page, page.get_by_label("Why this score", exact=True), explanation)
    follow(page, page.get_by_role("button", name="Save and continue", exact=True))


def declare(page: Page, world, interests: dict[int, str]) -> None:
    """On the declaration page: an answer for every organisation, details for an interest."""
    for org in world.organisations:
        if org.id in interests:
            page.locator(f"input[name=interest_{org.id}][value=yes]").check()
            page.locator(f"textarea[name=details_{org.id}]").fill(interests[org.id])
        else:
            page.locator(f"input[name=interest_{org.id}][value=no]").check()
    page.get_by_role("button", name="Confirm your declaration", exact=True).click()


def sheet_links(page: Page) -> list[str]:
    """The score sheets' addresses, in the order the lot page lists them."""
    return page.locator("main table a.govuk-link").evaluate_all("links => links.map(a => a.href)")


def test_two_evaluators_score_blind_by_keyboard_and_the_officer_moderates_to_a_ranking(
    browser, live_url, app, db, clock_at
):
    world = build_opened_tender(app, db, bids=3, passes=[True, True, False])
    db.commit()
    tender, lot = world.tender, world.lot
    tender_id, lot_id = tender.id, lot.id
    assert tender.status is TenderStatus.EVALUATION
    bid_a, bid_b, bid_c = world.bids
    org_a, org_b, org_c = (o.name for o in world.organisations)
    q1, q2 = world.quality_questions
    pf = world.pass_fail_questions[0]
    evaluator_1, evaluator_2 = world.evaluators
    officer, price_officer = world.officers
    names = {u.id: u.full_name for u in (*world.evaluators, *world.officers)}
    emails = {u.id: u.email for u in (*world.evaluators, *world.officers)}
    progress_url = f"{live_url}/tenders/{tender_id}/evaluation"
    lot_url = f"{live_url}/evaluation/lots/{lot_id}"
    axe = Axe()

    def sheet_url(bid, question):
        return f"{lot_url}/bids/{bid.id}/questions/{question.id}"

    contexts = []
    # "Save and continue" not going on to the next unscored answer is recorded, and the journey
    # carries on from that answer, so one run reports it and checks everything after it too.
    not_continued: list[str] = []

    def went_on(page: Page, expected: str) -> None:
        page.wait_for_load_state("load")
        if page.url != expected:
            not_continued.append(f"Save and continue led to {page.url}, not the next unscored answer {expected}")
            page.goto(expected)
        expect(page).to_have_url(expected)

    def signed_in(user) -> Page:
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        sign_in_by_keyboard(page, live_url, emails[user.id])
        return page

    try:
        # --- The officer appoints the panel and decides the failed answer -------------------
        boss = signed_in(officer)
        boss.goto(f"{live_url}/tenders/{tender_id}")
        boss.get_by_role("button", name="Evaluation", exact=True).or_(
            boss.get_by_role("link", name="Evaluation", exact=True)
        ).first.click()
        expect(boss).to_have_url(progress_url)
        axe.check(boss, "officer progress")
        boss.get_by_role("link", name=re.compile(r"^Appoint or change the panel")).click()
        expect(boss).to_have_url(f"{progress_url}/lots/{lot_id}/panel")
        axe.check(boss, "panel")
        for user, role in (
            (evaluator_1, "Quality evaluator"),
            (evaluator_2, "Quality evaluator"),
            (price_officer, "Price evaluator"),
        ):
            who = boss.get_by_label("Who", exact=True)
            option = who.locator("option").filter(has_text=re.compile(rf"^{re.escape(names[user.id])} \("))
            who.select_option(value=option.get_attribute("value"))
            boss.get_by_role("radio", name=role, exact=True).check()
            boss.get_by_role("button", name="Appoint", exact=True).click()
            expect(boss).to_have_url(f"{progress_url}/lots/{lot_id}/panel")
            expect(boss.locator("#panel")).to_contain_text(names[user.id])
        axe.check(boss, "panel with members")
        panel_rows = boss.locator("#panel tbody tr")
        expect(panel_rows).to_have_count(3)

        boss.get_by_role("link", name="Back to the evaluation").click()
        boss.get_by_role("link", name="Pass or fail selection", exact=True).click()
        expect(boss).to_have_url(f"{progress_url}/selection")
        axe.check(boss, "selection")
        boss.get_by_role("link", name=re.compile(rf"^Decide question \d+ for {re.escape(org_c)}$")).click()
        expect(boss).to_have_url(f"{progress_url}/selection/{bid_c.id}/{pf.id}")
        axe.check(boss, "selection decision")
        boss.get_by_role("button", name="Save decision", exact=True).click()  # empty: the error state
        expect(boss.locator(".govuk-error-summary")).to_be_visible()
        axe.check(boss, "selection decision (error)")
        boss.get_by_role("radio", name="Yes, the bid fails and goes no further", exact=True).check()
        boss.get_by_label("Reason", exact=True).fill("No insurance of the kind asked for was in place.")
        boss.get_by_role("button", name="Save decision", exact=True).click()
        expect(boss).to_have_url(f"{progress_url}/selection")
        expect(boss.locator("#failures")).to_contain_text("Failure upheld")

        # --- Evaluator 2: declares an interest in the first bidder, scores the rest ----------
        second = signed_in(evaluator_2)
        second.goto(f"{live_url}/evaluation/")
        second.get_by_role("link", name=re.compile(r"^Declare your interests")).click()
        declare(second, world, {world.organisations[0].id: "My sister chairs its trustees."})
        expect(second).to_have_url(f"{live_url}/evaluation/")
        second.get_by_role("link", name=re.compile(r"^Score the answers for lot 1")).click()
        expect(second).to_have_url(lot_url)
        expect(second.get_by_role("heading", level=2, name=org_a, exact=True)).to_have_count(0)  # conflicted
        links_2 = sheet_links(second)
        assert links_2 == [sheet_url(bid_b, q1), sheet_url(bid_b, q2)], links_2
        assert second.goto(sheet_url(bid_a, q1)).status == 404
        second.goto(links_2[0])
        score_by_keyboard(second, 3, SECOND_EXPLANATION)
        went_on(second, links_2[1])
        score_by_keyboard(second, 5, SECOND_EXPLANATION)
        expect(second).to_have_url(lot_url)
        expect(second.locator("#scored-count")).to_contain_text("You have scored 2 of 2 answers")

        # --- Evaluator 1: from the home page, by links, declares and scores by keyboard -------
        first = signed_in(evaluator_1)
        follow(first, first.get_by_role("link", name="Your evaluations", exact=True))
        expect(first).to_have_url(f"{live_url}/evaluation/")
        expect(first.locator("#to-do-count")).to_contain_text("2 things to do")
        assert_blind(first)
        axe.check(first, "evaluator home")
        assert first.goto(sheet_url(bid_a, q1)).status == 404  # nothing before declaring
        first.goto(f"{live_url}/evaluation/")
        follow(first, first.get_by_role("link", name=re.compile(r"^Declare your interests")))
        expect(first).to_have_url(f"{live_url}/evaluation/tenders/{tender_id}/declaration")
        axe.check(first, "declaration")
        first.get_by_role("button", name="Confirm your declaration", exact=True).click()  # empty: the error state
        expect(first.locator(".govuk-error-summary")).to_be_visible()
        axe.check(first, "declaration (error)")
        declare(first, world, {})
        expect(first).to_have_url(f"{live_url}/evaluation/")
        assert_blind(first)
        follow(first, first.get_by_role("link", name=re.compile(r"^Score the answers for lot 1")))
        expect(first).to_have_url(lot_url)
        expect(first.locator("#scored-count")).to_contain_text("You have scored 0 of 4 answers")
        assert_blind(first)
        axe.check(first, "lot")
        links_1 = sheet_links(first)
        assert sorted(links_1) == sorted(sheet_url(b, q) for b in (bid_a, bid_b) for q in (q1, q2)), links_1
        assert sheet_url(bid_c, q1) not in links_1  # the failed bid goes no further

        # The first sheet, sent empty: the error summary, then scored by keyboard.
        follow(first, first.get_by_role("link", name=re.compile(r"^Question \d+ from ")).first)
        expect(first).to_have_url(links_1[0])
        expect(heading(first)).to_have_text(re.compile(r"^Question \d+$"))
        assert_blind(first)
        axe.check(first, "score sheet")
        follow(first, first.get_by_role("button", name="Save and continue", exact=True))
        expect(first.locator(".govuk-error-summary")).to_be_visible()
        expect(first.locator(".govuk-error-summary")).to_contain_text("Select a score from 0 to 5")
        expect(first).to_have_title(re.compile(r"^Error: "))
        axe.check(first, "score sheet (error)")
        scores_1 = {sheet_url(bid_a, q1): 4, sheet_url(bid_a, q2): 3, sheet_url(bid_b, q1): 2, sheet_url(bid_b, q2): 5}
        for n, url in enumerate(links_1):
            expect(first).to_have_url(url)
            assert_blind(first)
            score_by_keyboard(first, scores_1[url], EXPLANATION)
            # Save and continue goes on to the next unscored answer, then back to the lot.
            if n + 1 < len(links_1):
                went_on(first, links_1[n + 1])
            else:
                expect(first).to_have_url(lot_url)
        expect(first.locator("#scored-count")).to_contain_text("You have scored 4 of 4 answers")
        assert_blind(first)

        # Before the second evaluator submits, and after: nothing of theirs shows.
        def first_sees_nothing_of_the_second():
            for url in (f"{live_url}/evaluation/", lot_url, sheet_url(bid_b, q1), sheet_url(bid_b, q2)):
                assert first.goto(url).status == 200, url
                assert_blind(first)
            assert first.goto(progress_url).status == 403

        first_sees_nothing_of_the_second()
        second.goto(lot_url)
        second.get_by_role("button", name="Submit your scores for lot 1", exact=True).click()
        expect(second).to_have_url(f"{live_url}/evaluation/")
        expect(second.locator(".govuk-notification-banner--success")).to_contain_text("have been submitted")
        first_sees_nothing_of_the_second()

        first.goto(lot_url)
        follow(first, first.get_by_role("button", name="Submit your scores for lot 1", exact=True))
        expect(first).to_have_url(f"{live_url}/evaluation/")
        expect(first.locator(".govuk-notification-banner--success")).to_contain_text("Your 4 scores for lot 1")
        first_sees_nothing_of_the_second()
        first.goto(sheet_url(bid_b, q1))
        expect(first.locator("main")).to_contain_text("this one is locked")
        axe.check(first, "score sheet (locked)")

        # --- The price officer declares and checks the prices --------------------------------
        pricer = signed_in(price_officer)
        pricer.get_by_role("link", name="Your evaluations", exact=True).click()
        expect(pricer).to_have_url(f"{live_url}/evaluation/")
        pricer.get_by_role("link", name=re.compile(r"^Declare your interests")).click()
        declare(pricer, world, {})
        pricer.get_by_role("link", name=re.compile(r"^Check the prices for lot 1")).click()
        expect(pricer).to_have_url(f"{lot_url}/prices")
        expect(pricer.locator("#prices tbody tr")).to_have_count(2)  # the failed bid is not in the evaluation
        axe.check(pricer, "prices")
        pricer.get_by_role("button", name="Confirm the prices are checked", exact=True).click()
        expect(pricer).to_have_url(f"{live_url}/evaluation/")

        # --- The officer: conflicts, moderation, completion, ranking --------------------------
        boss.goto(progress_url)
        boss.get_by_role("link", name="Conflicts of interest", exact=True).click()
        expect(boss).to_have_url(f"{progress_url}/conflicts")
        expect(boss.locator("#declarations")).to_contain_text("My sister chairs its trustees.")
        axe.check(boss, "conflicts")
        boss.get_by_role("link", name=re.compile(r"^Record how it is handled")).click()
        axe.check(boss, "conflict handling")
        boss.get_by_label("How the conflict is handled", exact=True).fill(
            f"{names[evaluator_2.id]} does not score {org_a}; {names[evaluator_1.id]} scores it alone."
        )
        boss.get_by_role("button", name="Save", exact=True).click()
        expect(boss).to_have_url(f"{progress_url}/conflicts")
        expect(boss.locator("#assessment")).to_contain_text(f"does not score {org_a}")

        boss.goto(progress_url)
        axe.check(boss, "officer progress (ready to moderate)")
        boss.get_by_role("button", name="Begin moderation of lot 1", exact=True).click()
        moderation_url = f"{progress_url}/lots/{lot_id}/moderation"
        expect(boss).to_have_url(moderation_url)
        expect(boss.locator("#answers tbody tr")).to_have_count(4)
        axe.check(boss, "moderation list")

        boss.get_by_role("link", name=re.compile(rf"^{re.escape(org_b)}, question \d+$")).first.click()
        expect(boss).to_have_url(f"{moderation_url}/{bid_b.id}/{q1.id}")
        individual = boss.locator("#individual-scores")
        expect(individual.locator("caption")).to_contain_text("spread 1")
        expect(individual.locator("tbody tr")).to_have_count(2)
        expect(individual.locator("tbody tr").filter(has_text=names[evaluator_1.id])).to_contain_text("2")
        expect(individual.locator("tbody tr").filter(has_text=names[evaluator_2.id])).to_contain_text(MARKER)
        expect(individual.locator("tbody tr").filter(has_text=names[evaluator_2.id])).to_contain_text("3")
        axe.check(boss, "moderation sheet")
        boss.get_by_role("radio", name=re.compile(r"^3: ")).check()
        boss.get_by_role("button", name="Save and continue", exact=True).click()  # no reason: refused
        expect(boss.locator(".govuk-error-summary")).to_be_visible()
        axe.check(boss, "moderation sheet (error)")
        agreed = {(bid_a.id, q1.id): 4, (bid_a.id, q2.id): 3, (bid_b.id, q1.id): 3, (bid_b.id, q2.id): 5}
        boss.get_by_role("radio", name=re.compile(r"^3: ")).check()
        boss.get_by_label("Reason for the agreed score", exact=True).fill(AGREED_REASON)
        boss.get_by_role("button", name="Save and continue", exact=True).click()
        # Save and continue goes on to the answers still without an agreed score.
        for _ in range(3):
            match = re.search(r"/moderation/(\d+)/(\d+)$", boss.url)
            assert match, boss.url
            key = (int(match.group(1)), int(match.group(2)))
            boss.get_by_role("radio", name=re.compile(rf"^{agreed[key]}: ")).check()
            boss.get_by_role("button", name="Save and continue", exact=True).click()
        expect(boss).to_have_url(moderation_url)
        rows = boss.locator("#answers tbody tr")
        expect(rows.filter(has_text="Not yet")).to_have_count(0)
        axe.check(boss, "moderation list (all agreed)")

        boss.get_by_role("button", name="Complete the evaluation of lot 1", exact=True).click()
        expect(boss).to_have_url(f"{progress_url}#lot-1")
        ranking = boss.locator("#ranking-1")
        expect(ranking).to_be_visible()
        first_row = ranking.locator("tbody tr").first
        expect(first_row.locator("td").nth(0)).to_have_text("1")
        expect(first_row.locator("td").nth(1)).to_contain_text(org_b)
        expect(ranking.locator("tbody tr").filter(has_text=org_a).locator("td").nth(0)).to_have_text("2")
        expect(ranking.locator("tbody tr").filter(has_text=org_c).locator("td").nth(0)).to_have_text("–")
        axe.check(boss, "ranking")
    finally:
        for context in contexts:
            context.close()

    print(f"\naxe-core: {len(axe.checked)} pages in {axe.seconds:.1f} s")
    assert not not_continued, "\n".join(not_continued)
    assert {
        "evaluator home",
        "declaration",
        "lot",
        "score sheet",
        "score sheet (error)",
        "prices",
        "officer progress",
        "panel",
        "selection",
        "selection decision",
        "conflicts",
        "moderation list",
        "moderation sheet",
        "ranking",
    } <= set(axe.checked), axe.checked
