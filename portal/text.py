"""Showing long free text (decision reasons, descriptions) as paragraphs."""

from __future__ import annotations


def paragraphs(text: str | None) -> list[str]:
    """Each non-blank line as a paragraph, so the page keeps the author's breaks
    without inline styles or unescaped HTML."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
