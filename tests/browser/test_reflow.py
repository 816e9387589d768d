"""No page scrolls sideways at 320 CSS pixels wide (WCAG 2.2, 1.4.10 Reflow): the pages of
the axe sweep, as every persona, in Chromium at 320 by 640.

A page overflows when the document is wider than the viewport; the test names the page
and the widest elements that stick out, so the fix is easy to find.
"""

from __future__ import annotations

import pytest

from tests.browser.test_axe_sweep import (
    PERSONAS,
    build_world,
    candidate_urls,
    client_signed_in_as,
    html_pages,
    sign_in,
)
from tests.tenders.conftest import make_decision  # noqa: F401 (a fixture the world needs)

WIDTH = 320

# What sticks out: elements whose right edge passes the viewport, outermost first.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return null;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && !out.some(o => o.contains(el))) out.push(el);
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    culprits: out.slice(0, 3).map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
      (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "")),
  };
}"""


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_no_page_scrolls_sideways_at_320_pixels(
    persona, page, app, db, live_url, monkeypatch, tmp_path, clock_at, make_tender
):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "outbox")
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_PATH", str(tmp_path / "outbox"))
    world = build_world(app, db, clock_at, make_tender)
    page.set_viewport_size({"width": WIDTH, "height": 640})
    if PERSONAS[persona]:
        sign_in(page, live_url, PERSONAS[persona])
    urls, _skipped = html_pages(client_signed_in_as(app, PERSONAS[persona]), candidate_urls(app, world))
    assert len(urls) >= 10
    problems = []
    for url in urls:
        page.goto(live_url + url)
        found = page.evaluate(OVERFLOW)
        if found:
            problems.append(f"{url}  {found['scrollWidth']}px wide: {', '.join(found['culprits'])}")
    print(f"\n{persona}: {len(urls)} pages checked at {WIDTH}px")
    assert not problems, f"{len(problems)} pages scroll sideways at {WIDTH}px as {persona}:\n" + "\n".join(problems)
