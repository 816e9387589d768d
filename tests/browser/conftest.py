"""Browser tests: Debian's Chromium driven by Playwright, checked with axe-core.

Every test in this folder carries the ``browser`` marker. Where Chromium is not
installed the tests are skipped, except in CI (``CI`` set), where that is a
failure: CI must run them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

# The tenders fixtures the journeys and the axe sweep use (a fixture is found by name,
# so it is imported here, where no test takes it as a parameter).
from tests.tenders.conftest import (  # noqa: F401
    clock_at,
    make_category,
    make_decision,
    make_tender,
)

CHROMIUM = Path("/usr/bin/chromium")
HERE = Path(__file__).resolve().parent
NO_CHROMIUM = f"Chromium is not installed at {CHROMIUM}; the browser tests need Debian's chromium package"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def _is_browser_test(item) -> bool:
    return HERE in Path(str(item.path)).resolve().parents


def pytest_collection_modifyitems(config, items):
    # This hook sees every collected item, not only this folder's: filter by path.
    missing = not CHROMIUM.exists()
    for item in items:
        if not _is_browser_test(item):
            continue
        item.add_marker(pytest.mark.browser)
        if missing and not _in_ci():
            item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))


@pytest.fixture(scope="session", autouse=True)
def _chromium_required_in_ci():
    """In CI a missing Chromium fails every browser test rather than skipping it.

    Session-scoped and autouse, so it runs before pytest-playwright launches the browser.
    """
    if not CHROMIUM.exists() and _in_ci():
        pytest.fail(f"{NO_CHROMIUM}. CI must run the browser tests.", pytrace=False)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, _chromium_required_in_ci):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


def assert_accessible(page) -> None:
    """axe-core finds no violations on the page as it is now.

    It first waits for the document to finish loading and show its heading:
    run just after a click, axe could otherwise check a page still arriving.
    """
    page.wait_for_load_state("load")
    expect(page.locator("main h1")).to_have_count(1)
    results = Axe().run(page)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"
