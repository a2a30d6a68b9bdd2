"""Leadership in a real browser: work the queue, decide in public, the proposer hears of it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_leader_accepts_with_a_response_and_the_proposer_sees_it(page: Page) -> None:
    sign_in(page, "leo@e2e.test")
    page.get_by_role("link", name="Dashboard", exact=True).click()
    conversion = (
        page.locator(".card")
        .filter(has=page.get_by_role("heading", name="Conversion"))
        .locator(".big-number")
    )
    before = conversion.inner_text()
    # On a phone too, the charts keep readable labels: they scroll rather than shrink.
    chart = page.locator("svg.chart").first
    assert chart.evaluate("svg => svg.getBoundingClientRect().width") >= 560
    label_px = page.locator("svg.chart .chart-label").first.evaluate("t => t.getBoundingClientRect().height")
    assert label_px >= 11, label_px
    page.get_by_role("link", name="Review", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Review queue"))).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Evening delivery slots for working families")
    row.get_by_role("link", name="Answer").click()
    expect(page.get_by_role("heading", name="Decide")).to_be_visible()
    page.get_by_label("New status").select_option("accepted")
    page.get_by_label("Official response (shown to everyone)").fill(
        "Yes: the last van will run until 21:00 from March."
    )
    suggested = page.locator(".decision-form .hint strong").inner_text()
    expect(page.get_by_label("Owner team (when accepting)")).to_have_value("")  # accepted: the suggestion
    page.get_by_role("button", name="Publish decision").click()
    expect(page.get_by_text("Decision published: accepted.")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("the last van will run until 21:00")
    expect(page.get_by_text(f"Owner team: {suggested}.")).to_be_visible()
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(conversion).not_to_have_text(before)  # the dashboard's numbers moved
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "ada@e2e.test")  # she proposed it
    expect(page.locator(".badge-count")).to_be_visible()
    page.get_by_role("link", name="Notifications").click()
    notification = page.get_by_role("link", name=re.compile("is now accepted"))
    expect(notification).to_be_visible()
    notification.click()
    expect(page.locator("#timeline")).to_contain_text("Yes: the last van will run until 21:00 from March.")
