"""The questionnaire the tender and bid fixtures give their tenders (a plain
helper, shared by tests/tenders/conftest.py and tests/bids/conftest.py)."""

from __future__ import annotations

from portal.tenders.models import Question, QuestionKind, QuestionnaireSection, Tender


def add_questionnaire(
    db, tender: Tender, *, word_limits: tuple[int, int] = (500, 500), outreach_guidance: str = ""
) -> None:
    """Add to the (flushed) ``tender`` a pass or fail selection question (with no
    short title, so pages show its first words) and two quality questions
    weighted 60 and 40 with short titles, with these word limits; not committed."""
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
                short_title="Reaching families",
                text="How will you reach families who do not ask for help?",
                word_limit=word_limits[0],
                weight=60,
                guidance=outreach_guidance,
            ),
            Question(
                tender_id=tender.id,
                section_id=quality.id,
                position=3,
                kind=QuestionKind.QUALITY,
                short_title="Safeguarding",
                text="How will you safeguard children?",
                word_limit=word_limits[1],
                weight=40,
            ),
        ]
    )
