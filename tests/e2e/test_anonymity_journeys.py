"""An anonymous proposal in a real browser: its author cannot support it by name, and when a leader
merges it into another as a duplicate, the author follows the original and hears the answer, but is
never carried there as a supporter (not even one without a name: the count would tell)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def publish(page: Page, title: str, *, anonymously: bool) -> str:
    page.goto("/proposals/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("The problem").fill("Customers without a car cannot collect their parcels.")
    page.get_by_label("The proposed change").fill("Lockers at the main railway stations.")
    if anonymously:
        page.get_by_label(re.compile("Post anonymously")).check()
    page.get_by_role("button", name="Publish proposal").click()
    expect(page.get_by_text("Your proposal is published.")).to_be_visible()
    return page.url


def test_an_anonymous_author_is_counted_but_never_named_after_a_merge(page: Page) -> None:
    sign_in(page, "cass@e2e.test")
    original_url = publish(page, "Parcel lockers at railway stations", anonymously=False)
    original_id = original_url.rstrip("/").rsplit("/", 1)[1]
    page.get_by_role("button", name="Sign out").click()

    # Erin proposes the same anonymously; the page tells her she cannot support it.
    sign_in(page, "erin@e2e.test")
    duplicate_url = publish(page, "Lockers where commuters pass", anonymously=True)
    expect(page.locator(".flash")).to_contain_text("Nobody else sees that it was you.")
    support_box = page.locator("#support-box")
    expect(support_box).to_contain_text("you cannot support it")
    expect(support_box.get_by_role("button", name=re.compile("Support this proposal"))).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()

    # Leo marks it a duplicate of Cass's proposal.
    sign_in(page, "leo@e2e.test")
    page.goto(duplicate_url)
    page.get_by_label("New status").select_option("duplicate")
    page.get_by_label("Official response (shown to everyone)").fill(
        "Cass proposed the same; we look at both there."
    )
    page.get_by_label(re.compile("Duplicate of")).fill("lockers railway")  # words of its title
    page.get_by_role("button", name="Publish decision").click()
    # Nothing is merged before Leo sees the original's title and status, and confirms.
    expect(page.get_by_role("heading", name="Merge this proposal into another?")).to_be_focused()
    original = page.get_by_role("radio", name=re.compile("Parcel lockers at railway stations"))
    expect(original).to_be_checked()
    expect(original).to_have_value(original_id)
    page.get_by_role("button", name="Merge into the chosen proposal").click()
    expect(page.get_by_text("Decision published: duplicate.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # Olle reads the original: no supporter came with the merge, and Erin's name is nowhere.
    sign_in(page, "olle@e2e.test")
    page.goto(original_url)
    expect(page.locator("#support-box")).to_contain_text("0 supporters")
    expect(page.locator("main")).not_to_contain_text("Erin")
    page.get_by_role("button", name="Sign out").click()

    # Erin hears of it, and follows the original.
    sign_in(page, "erin@e2e.test")
    page.get_by_role("link", name="Notifications").click()
    page.get_by_role("link", name=re.compile("was merged into “Parcel lockers at railway stations”")).click()
    expect(page.get_by_role("button", name="Stop following")).to_be_visible()
