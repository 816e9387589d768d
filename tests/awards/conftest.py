"""Award fixtures: the clock stands at ``NOW`` unless a test moves it (the evaluation tests' fixture)."""

from __future__ import annotations

from tests.evaluation.conftest import clock_at  # noqa: F401 (an autouse fixture, shared)
