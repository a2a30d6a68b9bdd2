"""Search in a real browser: header suggestions, the search page, facets, a hit."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_employee_finds_an_insight_from_the_header(page: Page) -> None:
    sign_in(page, "erin@e2e.test")
    box = page.get_by_role("searchbox", name="Search insights and proposals")
    box.press_sequentially("refu", delay=60)
    suggestions = page.locator("#header-suggest")
    # The drainer of the live server indexes new content within about a second.
    expect(suggestions.get_by_role("link", name="Refund took five weeks")).to_be_visible(timeout=15_000)
    expect(suggestions.get_by_role("heading", name="Feedback")).to_be_visible()
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=refu"))
    page.goto("/search?q=refund")
    expect(page.get_by_text("2 results for “refund”")).to_be_visible()
    expect(page.locator("mark").first).to_be_visible()
    page.locator(".facet").filter(has=page.get_by_role("heading", name="Sentiment")).get_by_role(
        "link", name="positive"
    ).click()
    expect(page.get_by_text("1 result for “refund”")).to_be_visible()
    expect(page.get_by_role("link", name="Refund took five weeks")).to_have_count(0)
    page.get_by_role("link", name="Refund on the spot in the store").click()
    expect(page.get_by_role("heading", name="Refund on the spot in the store")).to_be_visible()
    expect(page.get_by_text("The store refunded my lamp at once")).to_be_visible()
