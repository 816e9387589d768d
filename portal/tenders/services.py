"""The tenders domain's service verbs in one namespace, for other domains,
commands and tests (``from portal.tenders import services``).

They live by noun: ``lifecycle`` (publishing, amending, closing, evaluation,
award, cancelling), ``authority`` (the decision, the conflicts assessment, the
replaced agreements), ``interest`` (interest and alerts), ``clarifications``
and ``drafting`` (building a draft); the checks they share are in ``checks``.
Every verb takes the session, flushes, and never commits.
"""

from __future__ import annotations

from portal.tenders.authority import (
    link_agreements,
    link_decision,
    link_replaced_agreements,
    record_conflicts_assessment,
)
from portal.tenders.checks import publication_problems, quality_weight_totals, require_draft, timetable_problems
from portal.tenders.clarifications import MAX_QUESTION_LENGTH, answer, ask
from portal.tenders.interest import (
    alert_preferences,
    has_interest,
    interested_users,
    matching_alert_users,
    register_interest,
    set_alert_preferences,
)
from portal.tenders.lifecycle import AMENDABLE, amend, award, cancel, close_due, close_if_due, publish, start_evaluation

__all__ = [
    "AMENDABLE",
    "MAX_QUESTION_LENGTH",
    "alert_preferences",
    "amend",
    "answer",
    "ask",
    "award",
    "cancel",
    "close_due",
    "close_if_due",
    "has_interest",
    "interested_users",
    "link_agreements",
    "link_decision",
    "link_replaced_agreements",
    "matching_alert_users",
    "publication_problems",
    "publish",
    "quality_weight_totals",
    "record_conflicts_assessment",
    "register_interest",
    "require_draft",
    "set_alert_preferences",
    "start_evaluation",
    "timetable_problems",
]
