"""Evaluation: panels, conflict declarations, pass or fail selection, blind individual
scores, moderation, quality thresholds, price scores and the ranking of each lot."""
