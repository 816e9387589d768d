"""In Chromium: the award of an evaluated tender, from the ranking to the new agreements,
and the bidders reading their outcome.

The world (``tests.awards.world.build_evaluated_tender``): one lot of one place, three
bids, the first ranked first, the second ranked second, the third failing its pass or
fail answer; two officers; a person for each bidder; an agreement of each bidder (and
of one organisation that did not bid) that the tender replaces. A light touch tender,
the server's clock at Monday 23 November 2026.

Officer 1 opens the award page from the tender page and proposes the top-ranked bid;
the page offers officer 1 no approval of its own proposal, and refuses one sent anyway
(as a page left open from before would send it), with its message. Officer 2 approves.
Officer 1 writes the summaries, previews the second-ranked bidder's (an empty
explanation is refused, then one is reworded), sends them all, publishes the award
notice with the default voluntary standstill of 8 working days and sees its end, 3
December 2026 (St Andrew's Day, Monday 30 November, is a Scottish bank holiday). The
contracts page refuses contracts during the standstill, naming 4 December 2026; the
test moves the clock to that day, and officer 1 enters the contracts and sees the new
agreement; officer 2's home page lists the contract details notice as due. The winner
and the second-ranked bidder each sign in, go from their bid page ("what happens next"
gives the standstill's end) to the outcome page, read their summary (the loser the
winner's scores too) and download the PDF. axe-core checks every distinct page.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from portal.accounts.models import Role
from tests import factories
from tests.awards.world import build_evaluated_tender, top_ranked
from tests.browser.test_bid_journey import follow, heading, sign_in_by_keyboard, summary_value, tab_to
from tests.browser.test_evaluation_journey import Axe as EvaluationAxe

STANDSTILL_ENDS = "3 December 2026"
FIRST_CONTRACT_DAY = "4 December 2026"
AFTER_STANDSTILL = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
REWORDED = "Your answer named the schools you visit but not how often families are followed up."

# Each fieldset's legend and the words in it (axe-core has no rule that a group of
# radios, checkboxes or date boxes must be named).
FIELDSETS = """() => Array.from(document.querySelectorAll('main fieldset')).map(f => {
    const legend = f.querySelector(':scope > legend');
    return [f.querySelector('input, select, textarea')?.name || '?', legend ? legend.textContent.trim() : ''];
})"""


class Axe(EvaluationAxe):
    """axe-core as the evaluation journey runs it, and every fieldset has a legend with words."""

    def check(self, page: Page, name: str) -> None:
        if name in self.checked:
            return
        super().check(page, name)
        unnamed = [field for field, legend in page.evaluate(FIELDSETS) if not legend]
        assert not unnamed, f"{name}: {page.url}: a fieldset without a legend, for {unnamed}"


def test_two_officers_award_send_summaries_wait_the_standstill_and_enter_contracts_and_bidders_read_theirs(
    browser, live_url, app, db, clock_at
):
    world = build_evaluated_tender(app, db, bids=3, passes=[True, True, False])
    people = [factories.make_user(db, Role.PROVIDER, organisation=o) for o in world.organisations]
    db.commit()
    tender, lot = world.tender, world.lot
    tender_id, lot_id, reference = tender.id, lot.id, tender.reference
    winner_bid, second_bid = world.bids[0].id, world.bids[1].id
    second_receipt = f"{live_url}/bids/{second_bid}/receipts/{world.submissions[1].version}"
    assert top_ranked(db, lot) == [winner_bid]
    winner_name, second_name, failed_name = (o.name for o in world.organisations)
    officer_email, approver_email = world.officer.email, world.approver.email
    officer_name, approver_name = world.officer.full_name, world.approver.full_name
    title, decision_id = tender.title, tender.decision_id
    questions = len(world.quality_questions)
    award_url = f"{live_url}/tenders/{tender_id}/award"
    axe = Axe()
    contexts = []

    def signed_in(email: str) -> Page:
        context = browser.new_context(accept_downloads=True)
        context.set_default_timeout(8_000)
        contexts.append(context)
        page = context.new_page()
        sign_in_by_keyboard(page, live_url, email)
        return page

    try:
        # --- Officer 1: from the tender page to the award page; proposes the top-ranked bid ---
        boss = signed_in(officer_email)
        boss.goto(f"{live_url}/tenders/{tender_id}")
        boss.get_by_role("link", name="Award", exact=True).or_(
            boss.get_by_role("button", name="Award", exact=True)
        ).first.click()
        expect(boss).to_have_url(award_url)
        expect(heading(boss)).to_have_text("Award")
        ranking = boss.locator("#ranking-1")
        expect(ranking.locator("tbody tr")).to_have_count(3)
        expect(ranking.locator("tbody tr").first).to_contain_text(winner_name)
        expect(boss.locator("#decision-1")).to_have_text("No award has been proposed yet.")
        axe.check(boss, "award page")

        boss.get_by_role("button", name="Propose the award of lot 1", exact=True).click()  # empty: refused
        expect(boss.locator(".govuk-error-summary")).to_contain_text(
            "Select the bids to award, or give the reason for making no award"
        )
        axe.check(boss, "award page (propose error)")
        # The labels on the refused page are the bidders' names alone (the first showing has the
        # rank and total too: "1. <name> (total 100.00)").
        # By keyboard: Tab to the top-ranked bid's checkbox, Space, Tab on to the button, Enter.
        top = boss.get_by_role("group", name="Bids to award").get_by_role(
            "checkbox", name=re.compile(rf"^(1\. )?{re.escape(winner_name)}\b")
        )
        tab_to(boss, top)
        boss.keyboard.press("Space")
        expect(top).to_be_checked()
        follow(boss, boss.get_by_role("button", name="Propose the award of lot 1", exact=True))
        expect(boss).to_have_url(f"{award_url}#lot-1")
        expect(boss.locator(".govuk-notification-banner--success")).to_contain_text(
            "The award of lot 1 has been proposed. A different officer must approve it."
        )
        expect(boss.locator("#decision-1")).to_contain_text(f"Award to {winner_name}")
        expect(boss.locator("#decision-1")).to_contain_text(f"By {officer_name}")
        expect(boss.locator("#ranking-1 tbody tr").first.locator(".govuk-tag")).to_have_text("Proposed")
        axe.check(boss, "award page (proposed)")

        # The proposer is offered no approval; one sent anyway is refused with its message.
        expect(boss.get_by_role("button", name="Approve the award of lot 1", exact=True)).to_have_count(0)
        with boss.expect_navigation(wait_until="load"):
            boss.evaluate(
                """([action, field]) => {
                    const token = document.querySelector('input[name$="csrf_token"]').value;
                    const form = document.createElement('form');
                    form.method = 'post';
                    form.action = action;
                    const input = document.createElement('input');
                    input.type = 'hidden';
                    input.name = field;
                    input.value = token;
                    form.appendChild(input);
                    document.body.appendChild(form);
                    form.submit();
                }""",
                [f"/tenders/{tender_id}/award/lots/{lot_id}/approve", f"approve{lot_id}-csrf_token"],
            )
        summary = boss.locator(".govuk-error-summary")
        expect(summary).to_be_visible()
        expect(summary).to_contain_text("There is a problem")
        expect(summary).to_contain_text("A different procurement officer must approve the award you proposed")
        expect(boss).to_have_title(re.compile(r"^Error: "))
        expect(boss.locator("#decision-1")).to_contain_text("Not yet: a different procurement officer must approve it")
        axe.check(boss, "award page (approve refused)")

        # --- Officer 2 approves, citing the tender's decision ------------------------------------
        second_officer = signed_in(approver_email)
        second_officer.goto(award_url)
        decision = second_officer.get_by_label("Decision that authorises the award (optional)", exact=True)
        decision.select_option(value=str(decision_id))
        follow(second_officer, second_officer.get_by_role("button", name="Approve the award of lot 1", exact=True))
        expect(second_officer).to_have_url(f"{award_url}#lot-1")
        expect(second_officer.locator(".govuk-notification-banner--success")).to_contain_text(
            "The award of lot 1 has been approved."
        )
        expect(second_officer.locator("#decision-1")).to_contain_text(f"By {approver_name}")
        expect(second_officer.locator("#ranking-1 tbody tr").first.locator(".govuk-tag")).to_have_text("Awarded")
        axe.check(second_officer, "award page (approved)")

        # --- Officer 1: writes, previews, rewords and sends the summaries ------------------------
        boss.goto(award_url)
        expect(boss.locator("#decision-1")).to_contain_text(f"By {approver_name}")
        follow(boss, boss.get_by_role("button", name="Write the assessment summaries", exact=True))
        expect(boss).to_have_url(f"{award_url}/summaries")
        expect(boss.locator(".govuk-notification-banner--success")).to_contain_text(
            "3 assessment summaries have been written"
        )
        rows = boss.locator("#summaries tbody tr")
        expect(rows).to_have_count(3)
        expect(rows.filter(has_text="Not yet")).to_have_count(3)
        for name in (winner_name, second_name, failed_name):
            expect(rows.filter(has_text=name)).to_have_count(1)
        axe.check(boss, "summaries list")

        boss.get_by_role("link", name=re.compile(rf"^{re.escape(second_name)}\s*, lot 1$")).click()
        expect(boss).to_have_url(re.compile(rf"{re.escape(award_url)}/summaries/\d+$"))
        summary_url = boss.url
        expect(heading(boss)).to_have_text("Assessment summary")
        preview = boss.locator("#summary-preview")
        expect(preview).to_contain_text(winner_name)  # the winner's scores, shown to the unsuccessful bidder
        expect(preview.locator("#criteria tbody tr")).to_have_count(questions)
        axe.check(boss, "summary preview")

        explanation = boss.get_by_label(re.compile(r"Why question \d+ scored \d")).first
        explanation.fill("")
        boss.get_by_role("button", name="Save the wording", exact=True).click()  # empty: refused
        expect(boss.locator(".govuk-error-summary")).to_contain_text(re.compile(r"Explain the score for question \d+"))
        expect(boss).to_have_title(re.compile(r"^Error: "))
        axe.check(boss, "summary preview (error)")
        # The error summary's link leads to the field.
        boss.locator(".govuk-error-summary a").first.click()
        expect(explanation).to_be_focused()
        explanation.fill(REWORDED)
        boss.get_by_role("button", name="Save the wording", exact=True).click()
        expect(boss).to_have_url(summary_url)
        expect(boss.locator(".govuk-notification-banner--success")).to_contain_text(
            f"The wording of {second_name}'s summary has been saved."
        )
        expect(boss.locator("#criteria")).to_contain_text(REWORDED)
        axe.check(boss, "summary preview (saved)")

        boss.get_by_role("link", name="Back to the summaries", exact=True).click()
        expect(boss.locator("#summaries tbody tr").filter(has_text=second_name)).to_contain_text("(reworded)")
        follow(boss, boss.get_by_role("button", name="Send every summary", exact=True))
        expect(boss).to_have_url(f"{award_url}#notice")
        expect(boss.locator(".govuk-notification-banner--success")).to_contain_text(
            "3 assessment summaries have been sent"
        )

        # --- The award notice, with the voluntary standstill as it comes ------------------------
        follow(boss, boss.get_by_role("link", name="Publish the award notice", exact=True))
        expect(boss).to_have_url(f"{award_url}/notice")
        standstill = boss.get_by_role("group", name="Will there be a voluntary standstill?")
        expect(standstill.get_by_role("radio", name="Yes", exact=True)).to_be_checked()
        expect(boss.get_by_label("Length of the standstill, in working days", exact=True)).to_have_value("8")
        axe.check(boss, "notice (before)")
        follow(boss, boss.get_by_role("button", name="Publish the award notice", exact=True))
        expect(boss).to_have_url(f"{award_url}/notice")
        expect(boss.locator(".govuk-notification-banner--success")).to_contain_text(
            f"The standstill ends at the end of {STANDSTILL_ENDS}."
        )
        expect(summary_value(boss, "Standstill")).to_contain_text(
            f"8 working days (voluntary), ending at the end of {STANDSTILL_ENDS}"
        )
        expect(summary_value(boss, "Contracts")).to_contain_text(f"Can be entered from {FIRST_CONTRACT_DAY}")
        axe.check(boss, "notice (after)")

        # --- Contracts during the standstill: refused, with the first day ----------------------
        boss.get_by_role("link", name="Go to the contracts", exact=True).click()
        expect(boss).to_have_url(f"{award_url}/contracts")
        expect(boss.locator("#standstill")).to_contain_text(f"Contracts can be entered from {FIRST_CONTRACT_DAY}")
        expect(boss.get_by_role("button", name="Enter the contracts", exact=True)).to_have_count(0)
        axe.check(boss, "contracts (standstill)")
        # A page left open from after the standstill would send the form: refused, nothing saved.
        with boss.expect_navigation(wait_until="load"):
            boss.evaluate(
                """([day, month, year]) => {
                    const token = document.querySelector('input[name$="csrf_token"]').value;
                    const form = document.createElement('form');
                    form.method = 'post';
                    for (const [name, value] of [['csrf_token', token], ['end_date', day],
                                                 ['end_date', month], ['end_date', year]]) {
                        const input = document.createElement('input');
                        input.type = 'hidden';
                        input.name = name;
                        input.value = value;
                        form.appendChild(input);
                    }
                    document.body.appendChild(form);
                    form.submit();
                }""",
                ["31", "3", "2030"],
            )
        expect(boss.locator(".govuk-error-summary")).to_contain_text(
            f"contracts can be entered from {FIRST_CONTRACT_DAY}"
        )
        expect(boss).to_have_title(re.compile(r"^Error: "))
        axe.check(boss, "contracts (refused during the standstill)")
        boss.goto(award_url)
        expect(boss.locator("main")).to_contain_text(f"ends at the end of {STANDSTILL_ENDS}")
        expect(boss.locator("main")).to_contain_text(f"Contracts can be entered from {FIRST_CONTRACT_DAY}")
        axe.check(boss, "award page (standstill)")

        # --- The clock moves past the standstill: the contracts are entered ---------------------
        clock_at(AFTER_STANDSTILL)
        boss.reload()
        boss.get_by_role("link", name="Enter the contracts", exact=True).click()
        expect(boss).to_have_url(f"{award_url}/contracts")
        expect(boss.locator("#standstill")).to_have_count(0)
        end = boss.get_by_role("group", name="When do the contracts end?")
        expect(end.get_by_label("Day", exact=True)).to_have_value("31")
        expect(end.get_by_label("Month", exact=True)).to_have_value("03")
        expect(end.get_by_label("Year", exact=True)).to_have_value("2030")
        axe.check(boss, "contracts (after the standstill)")
        follow(boss, boss.get_by_role("button", name="Enter the contracts", exact=True))
        expect(boss).to_have_url(f"{award_url}/contracts")
        expect(boss.locator(".govuk-notification-banner--success")).to_contain_text(
            "1 new agreement is in the register"
        )
        created = boss.locator("#agreements tbody tr")
        expect(created).to_have_count(1)
        expect(created.first).to_contain_text(winner_name)
        expect(created.first).to_contain_text("1 April 2027 to 31 March 2030")
        replaced = boss.locator("#replaced tbody tr")
        expect(replaced).to_have_count(4)
        expect(
            replaced.filter(has_text=winner_name).get_by_role("link", name=re.compile("^Its new agreement"))
        ).to_be_visible()
        expect(replaced.filter(has_text="Not renewed")).to_have_count(3)
        expect(boss.locator("main")).to_contain_text("Due by 2 April 2027")
        axe.check(boss, "contracts (entered)")

        # --- Officer 2's home: the contract details notice is due ------------------------------
        second_officer.goto(f"{live_url}/dashboard")
        due = second_officer.locator("#details-notices + p + ul")
        expect(second_officer.locator("#details-notices")).to_have_text("Contract details notices due")
        expect(due).to_contain_text(reference)
        expect(due).to_contain_text("due by 2 April 2027")
        expect(due).not_to_contain_text("Overdue")
        axe.check(second_officer, "officer home (details notice due)")

        # --- The bidders: bid page, outcome, PDF -------------------------------------------------
        def bidder_reads(person, bid_id: int, name: str, outcome: str) -> Page:
            page = signed_in(person.email)
            follow(
                page, page.locator("#your-bids").locator("xpath=..").get_by_role("link", name=title, exact=True).first
            )
            expect(page).to_have_url(f"{live_url}/bids/{bid_id}")
            expect(page.locator("#standstill-end")).to_contain_text(f"End of {STANDSTILL_ENDS} (8 working days")
            expect(page.locator("#outcome")).to_contain_text(f"{outcome}")
            axe.check(page, f"bid page with what happens next ({name})")
            follow(page, page.get_by_role("link", name="Read your assessment summary", exact=True))
            expect(page).to_have_url(f"{live_url}/bids/{bid_id}/outcome")
            expect(summary_value(page, "Outcome").first).to_have_text(outcome)
            expect(page.locator("#standstill-end")).to_contain_text(f"End of {STANDSTILL_ENDS}")
            axe.check(page, f"outcome page ({name})")
            link = page.get_by_role("link", name=re.compile(r"^Download the assessment summary for .* \(PDF\)$"))
            tab_to(page, link)
            with page.expect_download() as info:
                page.keyboard.press("Enter")
            download = info.value
            assert download.suggested_filename.endswith("-lot-1.pdf"), download.suggested_filename
            with open(download.path(), "rb") as stream:
                assert stream.read(5) == b"%PDF-", "the download is not a PDF"
            return page

        winner = bidder_reads(people[0], winner_bid, "winner", "Successful")
        expect(winner.locator("main")).not_to_contain_text("The winning bid")
        expect(winner.locator(".criterion")).to_have_count(questions)

        loser = bidder_reads(people[1], second_bid, "loser", "Not successful")
        expect(loser.locator("main")).to_contain_text(f"The winning bid: {winner_name}")
        expect(loser.locator(".criterion .winner-score")).to_have_count(questions)
        expect(loser.locator(".criterion .winner-score").first).to_have_text("5 out of 5")
        expect(loser.locator(".criterion").first).to_contain_text(REWORDED)
        expect(loser.locator("main")).not_to_contain_text(failed_name)
        # The receipt says what happens next too.
        loser.goto(second_receipt)
        expect(loser.locator("#standstill-end")).to_contain_text(f"End of {STANDSTILL_ENDS} (8 working days")
        expect(loser.locator("#outcome")).to_contain_text("Not successful")
        axe.check(loser, "receipt with what happens next")
        # Another organisation's outcome does not exist for it.
        assert loser.goto(f"{live_url}/bids/{winner_bid}/outcome").status == 404
    finally:
        for context in contexts:
            context.close()

    print(f"\naxe-core: {len(axe.checked)} pages in {axe.seconds:.1f} s")
    assert {
        "award page",
        "award page (propose error)",
        "award page (approve refused)",
        "summaries list",
        "summary preview",
        "summary preview (error)",
        "notice (before)",
        "notice (after)",
        "contracts (standstill)",
        "contracts (after the standstill)",
        "contracts (entered)",
        "officer home (details notice due)",
        "bid page with what happens next (winner)",
        "bid page with what happens next (loser)",
        "outcome page (winner)",
        "outcome page (loser)",
    } <= set(axe.checked), axe.checked
