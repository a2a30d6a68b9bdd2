"""Participation in a real browser: find, comment with a mention, propose, support, be notified."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import CHROMIUM_FLAGS, LiveServer, fill_in, sign_in  # noqa: F401

pytestmark = pytest.mark.e2e


def test_employee_comments_proposes_and_others_support_and_hear(
    page: Page, chromium: Browser, live_server: LiveServer
) -> None:
    # Ada (who will be mentioned) is signed in elsewhere and watches her notification badge.
    ada_context = chromium.new_context(base_url=live_server.url)
    ada = ada_context.new_page()
    sign_in(ada, "ada@e2e.test")
    expect(ada.get_by_role("heading", name="Good to see you, Ada")).to_be_visible()
    ada.goto("/notifications")  # other journeys may have told her things already: start from zero
    if ada.get_by_role("button", name="Mark all read").count():
        ada.get_by_role("button", name="Mark all read").click()
        expect(ada.get_by_text("All notifications are marked read.")).to_be_visible()
    ada.goto("/")
    expect(ada.locator(".badge-count")).to_have_count(0)

    # Olle, from Logistics, finds the pain point by search and comments with a mention.
    sign_in(page, "olle@e2e.test")
    expect(page.get_by_role("heading", name="Good to see you, Olle")).to_be_visible()
    page.goto("/search?q=parcels+late")
    expect(page.get_by_role("link", name="Parcels arrive days late")).to_be_visible(timeout=15_000)
    page.get_by_role("link", name="Parcels arrive days late").click()
    expect(page.get_by_role("heading", name="Parcels arrive days late")).to_be_visible()
    page.get_by_label("Add a comment").fill("@ada could the evening crews take these?")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".comment").filter(has_text="could the evening crews take these")).to_be_visible()

    # He proposes an improvement and is shown the similar proposal while typing.
    page.get_by_role("link", name="Propose an improvement").click()
    page.get_by_label("Title").press_sequentially("Evening deliveries for people at work", delay=20)
    expect(page.get_by_role("region", name="Similar proposals")).to_contain_text(
        "Evening delivery slots for working families", timeout=15_000
    )
    page.get_by_label("The problem").fill("Deliveries come while customers are at work.")
    page.get_by_label("The proposed change").fill("Let the last van run until 21:00.")
    page.get_by_role("button", name="Publish proposal").click()
    expect(page.get_by_text("Your proposal is published.")).to_be_visible()
    expect(page.get_by_text("Parcels arrive days late")).to_be_visible()
    proposal_url = page.url

    # The mentioned person's count changes without a reload.
    expect(ada.locator(".badge-count")).to_have_text("1", timeout=30_000)

    # A second employee supports it.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "erin@e2e.test")
    page.goto(proposal_url)
    page.get_by_role("button", name="▲ Support this proposal").click()
    expect(page.get_by_role("button", name=re.compile("You support this"))).to_be_visible()
    expect(page.locator(".support-total")).to_contain_text("1 supporter")

    ada.get_by_role("link", name="Notifications").click()
    expect(ada.get_by_role("link", name=re.compile("Olle Other mentioned you"))).to_be_visible()
    ada_context.close()


def test_anonymous_author_is_warned_before_commenting_under_their_name(page: Page) -> None:
    sign_in(page, "olle@e2e.test")
    page.goto("/proposals/new")
    proposal = {
        "Title": "Quiet hours for the warehouse radio",
        "The problem": "The radio drowns out the scanner beeps.",
        "The proposed change": "Turn it down during picking.",
    }
    fill_in(page, proposal)
    page.get_by_label(re.compile("anonymously", re.IGNORECASE)).check()
    page.get_by_role("button", name="Publish proposal").click()
    expect(page.get_by_text("Posted anonymously by you")).to_be_visible()

    # The warning is there before anything is typed, and the box must be ticked to post.
    expect(page.get_by_role("note")).to_contain_text("You posted this proposal anonymously")
    page.get_by_label("Add a comment").fill("Happy to explain more.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".comment").filter(has_text="Happy to explain more")).to_have_count(0)
    page.get_by_label("Post under my name anyway").first.check()
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".comment").filter(has_text="Happy to explain more")).to_be_visible()
