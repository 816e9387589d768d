"""Demo: a tender evaluated from end to end and ready to award, so a newcomer can
walk award → summaries → notice → standstill → contracts in ``make run``.

It is a second short breaks call (the evaluation demo's bids and panel), taken
through the evaluation services exactly as the panel would: declarations, the
selection decision, both evaluators' scores, moderation, the price check and the
completed lots. Loaded once (matched by its reference).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from portal.accounts.models import Role
from portal.evaluation import conflicts, moderation, scoring, selection
from portal.evaluation.demo_data import _staff, opened_tender
from portal.evaluation.state import PENDING
from portal.evaluation.state import load as evaluation

REFERENCE = "KCC-DCS-SB-H"
TITLE = "Holiday short breaks for disabled children"

# The agreed score of each organisation's answer to each quality question (in order);
# the second evaluator scores one lower where marked, so moderation has a spread to settle.
AGREED = {
    "Thanet Family Link": [4, 4, 3],
    "Medway Valley Young Carers": [3, 4, 4],
    "Weald Short Breaks CIC": [4, 3, 3],
    "Ashford Sunflower Play Scheme": [2, 2, 2],
}
SECOND_LOWER = {("Medway Valley Young Carers", 0), ("Thanet Family Link", 2)}
WORDS = {
    2: "The answer states intentions but gives few specifics: it names no lead, no training plan and no "
    "measure of the difference the breaks make, so it meets the requirement only in part.",
    3: "The answer meets the requirement: it describes the approach and who is responsible, with one or two "
    "examples, but it does not say how the service will be checked or improved over the contract.",
    4: "The answer meets the requirement fully with convincing evidence: named roles, supervision, training "
    "records and examples from its current short breaks, and how families' views change the service.",
}
BETTER = "Evidence of outcomes measured over time, and how the service changed as a result, would have scored higher."


def load(session: Session, now: datetime) -> int:
    """Create the evaluated tender (once); returns 1 if created, else 0."""
    tender = opened_tender(session, now, REFERENCE, TITLE, days_closed=21)
    if tender is None:
        return 0
    evaluate(session, tender)
    return 1


def evaluate(session: Session, tender) -> None:
    """Take an opened demo tender through the whole evaluation, as its panel would."""
    lead = _staff(session, Role.OFFICER)[0]
    evaluators = _staff(session, Role.EVALUATOR)
    moment = tender.evaluation_started_at + timedelta(days=1)

    state = load_state = evaluation(session, tender)
    nothing_declared = {org_id: (False, "") for org_id, _name in state.bidding_organisations}
    for person in [*evaluators, lead]:
        conflicts.declare(session, person, evaluation(session, tender), nothing_declared, moment)
    state = evaluation(session, tender)
    for bid in state.bids:
        if state.selection(bid).status == PENDING:
            for question in state.selection(bid).failures:
                selection.decide(
                    session,
                    lead,
                    state,
                    bid,
                    question,
                    True,
                    "The bid said its safeguarding policy has not been reviewed in the last 12 months, which the "
                    "specification requires of every provider caring for disabled children.",
                    moment,
                )

    for number, evaluator in enumerate(evaluators):
        scored_at = moment + timedelta(days=2, hours=number)
        mine = evaluation(session, tender, scores_of=evaluator.id)
        for member in mine.memberships(evaluator.id):
            for bid, question in mine.assignments(member):
                if mine.score_of(evaluator.id, bid, question):
                    continue  # an answer counting in both lots is scored once
                index = [q.id for q in mine.quality_questions(member.lot)].index(question.id)
                score = AGREED[bid.organisation][index] - (
                    1 if number and (bid.organisation, index) in SECOND_LOWER else 0
                )
                scoring.save_score(
                    session,
                    evaluator,
                    evaluation(session, tender, scores_of=evaluator.id),
                    member.lot,
                    bid,
                    question,
                    score,
                    WORDS[score],
                    BETTER if score < 4 else "",
                    bid.sha256,
                    scored_at,
                )
        for member in evaluation(session, tender, scores_of=evaluator.id).memberships(evaluator.id):
            scoring.submit_scores(
                session, evaluator, evaluation(session, tender, scores_of=evaluator.id), member.lot, scored_at
            )

    moderated_at = moment + timedelta(days=5)
    for lot in load_state.lots:
        # Each step reads the evaluation as the step before left it.
        state = evaluation(session, tender)
        moderation.start(session, lead, state, state.lot(lot.id), moderated_at)
        state = evaluation(session, tender)
        scoring.confirm_prices(session, lead, state, state.lot(lot.id), moderated_at)
    for lot in load_state.lots:
        state = evaluation(session, tender)
        for bid, question in state.answers_to_moderate(state.lot(lot.id)):
            if state.moderated_score(bid, question):
                continue
            index = [q.id for q in state.quality_questions(state.lot(lot.id))].index(question.id)
            agreed = AGREED[bid.organisation][index]
            differs = (bid.organisation, index) in SECOND_LOWER
            moderation.moderate(
                session,
                lead,
                evaluation(session, tender),
                state.lot(lot.id),
                bid,
                question,
                agreed,
                "Agreed at the moderation meeting: the answer's examples and named lead meet the higher descriptor."
                if differs
                else "",
                moderated_at,
            )
    for lot in load_state.lots:
        state = evaluation(session, tender)
        moderation.complete(session, lead, state, state.lot(lot.id), moderated_at + timedelta(hours=2))
    session.flush()
