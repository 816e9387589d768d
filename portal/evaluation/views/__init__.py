"""Evaluation pages: the evaluators' (``evaluator``: home, declaration, score
sheets, prices) and the officers' (``officer``: progress, panels, conflicts,
selection, moderation, results and the evaluation record)."""

from __future__ import annotations

from portal.evaluation.views.evaluator import bp as evaluator_bp
from portal.evaluation.views.officer import bp as officer_bp

__all__ = ["evaluator_bp", "officer_bp"]
