"""By keyboard alone: the header's suggestions are reached with the arrow keys, and after an update
in place (supporting a proposal) the focus stays where the person was, not at the top of the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_arrow_keys_move_through_the_header_suggestions(page: Page) -> None:
    sign_in(page, "erin@e2e.test")
    box = page.get_by_role("searchbox").first
    box.press_sequentially("refund", delay=30)
    first = page.locator("#header-suggest a").first
    expect(first).to_be_visible(timeout=15_000)
    box.press("ArrowDown")
    expect(first).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(box).to_be_focused()
    box.press("ArrowDown")
    page.keyboard.press("Escape")
    expect(box).to_be_focused()
    expect(page.locator("#header-suggest a")).to_have_count(0)


def test_supporting_by_keyboard_keeps_the_focus_on_the_support_button(page: Page) -> None:
    sign_in(page, "olle@e2e.test")
    page.goto("/proposals")
    link = page.get_by_role("link", name="Evening delivery slots for working families").first
    page.goto(link.get_attribute("href") or "")  # a whole page load: htmx has taken its forms in
    support = page.get_by_role("button", name=re.compile("Support this proposal"))
    support.focus()
    page.keyboard.press("Enter")
    withdraw = page.get_by_role("button", name=re.compile("You support this"))
    expect(withdraw).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name=re.compile("Support this proposal"))).to_be_focused()
