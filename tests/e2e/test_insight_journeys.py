"""Insight library journeys in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from app.insights.kinds import KINDS, Kind
from tests.e2e.conftest import fill_in, sign_in

pytestmark = pytest.mark.e2e

STAGES = [("Discover", 1), ("Decide", 0), ("Pay", -1), ("Wait for delivery", -2), ("Receive", 2)]


def _publish_journey(page: Page, title: str) -> str:
    sign_in(page, "cass@e2e.test")
    page.get_by_role("link", name="Insights", exact=True).click()
    expect(page).to_have_url(re.compile(r"/insights$"))
    page.locator(".page-head").get_by_role("link", name="Publish an insight").click()
    page.get_by_role("link", name=re.compile("Journey map")).click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Persona").fill("Maya, first-time buyer")
    page.get_by_role("button", name="Publish").click()
    expect(page).to_have_url(re.compile(r"/insights/\d+/stages$"))
    expect(page.get_by_text("Journey map published. Now add its stages.")).to_be_visible()
    for number, (name, emotion) in enumerate(STAGES, start=1):
        form = page.locator("form.stage-add")
        form.get_by_label("Stage name").fill(name)
        form.get_by_label("Emotion").select_option(str(emotion))
        form.get_by_label("Customer goal").fill(f"Goal of {name}")
        form.get_by_role("button", name="Add stage").click()
        expect(page.locator(".stage-item")).to_have_count(number)
    return page.url.rsplit("/stages", 1)[0]


def test_cx_publishes_a_journey_map_with_five_stages_and_sees_the_curve(page: Page) -> None:
    url = _publish_journey(page, "Buying a sofa online")
    page.get_by_role("link", name="View the journey map").click()
    expect(page.get_by_role("heading", name="Buying a sofa online")).to_be_visible()
    # The kind's colours come from its declaration (/kinds.css), its actions from its partial.
    background = KINDS[Kind.journey_map].badge[0]
    rgb = "rgb({}, {}, {})".format(*(int(background[i : i + 2], 16) for i in (1, 3, 5)))
    expect(page.locator(".detail-head .kind-badge")).to_have_css("background-color", rgb)
    expect(page.get_by_role("link", name="Edit stages")).to_be_visible()
    curve = page.get_by_role("img", name=re.compile("Customer emotion across the 5 stages"))
    expect(curve).to_be_visible()
    expect(curve.locator("circle")).to_have_count(5)
    expect(page.get_by_role("columnheader", name="4. Wait for delivery")).to_be_visible()
    expect(page.get_by_text("-2 · very negative")).to_be_visible()
    assert page.url.endswith(url.rsplit("/", 1)[-1])
    # Each point of the curve stands over its stage's column (within 2 px), on a phone too.
    centres = "els => els.map(e => { const r = e.getBoundingClientRect(); return r.x + r.width / 2; })"
    dots = curve.locator("circle").evaluate_all(centres)
    columns = page.locator(".journey-grid thead th[scope=col]").evaluate_all(centres)
    assert len(dots) == len(columns) == 5
    assert all(abs(d - c) <= 2 for d, c in zip(dots, columns, strict=True)), (dots, columns)


def test_employee_sees_the_journey_map_but_cannot_edit_it(page: Page) -> None:
    url = _publish_journey(page, "Returning a lamp")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "erin@e2e.test")
    page.goto(url)
    expect(page.get_by_role("heading", name="Returning a lamp")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Customer emotion"))).to_be_visible()
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Archive")).to_have_count(0)
    response = page.goto(url + "/edit")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not for your role")).to_be_visible()


# Markup and script in every field a CX person types into.
HOSTILE_FEEDBACK = {
    "Title": "<img src=x onerror=alert(1)>",
    "What the customer said": '"><script>alert(2)</script>',
    "Source channel": "social",
    "Details": "<script>alert(3)</script> [click me](javascript:alert(4)) **still bold**",
}


def test_hostile_markdown_shows_as_text_and_opens_no_dialog(page: Page) -> None:
    sign_in(page, "cass@e2e.test")
    page.goto("/insights/new?kind=feedback")
    fill_in(page, HOSTILE_FEEDBACK)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Feedback published.")).to_be_visible()
    expect(page.get_by_role("heading", name="<img src=x onerror=alert(1)>")).to_be_visible()
    expect(page.get_by_text("<script>alert(3)</script>", exact=False)).to_be_visible()
    expect(page.locator(".prose strong")).to_have_text("still bold")
    expect(page.locator(".prose a")).to_have_count(0)
    page.reload()  # the page fixture fails the test if any dialog opened


def test_oversized_upload_gets_a_clear_message(page: Page) -> None:
    sign_in(page, "cass@e2e.test")
    page.goto("/insights/new?kind=feedback")
    feedback = {"Title": "Has a big attachment", "What the customer said": "See the file."}
    fill_in(page, {**feedback, "Source channel": "survey"})
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Feedback published.")).to_be_visible()
    page.get_by_label(re.compile("Attach an image, PDF or CSV")).set_input_files(
        {
            "name": "huge.pdf",
            "mimeType": "application/pdf",
            "buffer": b"%PDF-1.4\n" + b"0" * (21 * 1024 * 1024),
        }
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("alert")).to_have_text("The file is too large: at most 20 MB is accepted.")
    expect(page.get_by_text("No files attached.")).to_be_visible()


def test_wrong_file_type_is_refused_by_the_server_with_a_clear_message(page: Page) -> None:
    sign_in(page, "cass@e2e.test")
    page.goto("/insights/new?kind=persona")
    page.get_by_label("Title").fill("Persona with a fake image")
    page.get_by_label("Customer segment").fill("Families")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Persona published.")).to_be_visible()
    page.get_by_label(re.compile("Attach an image, PDF or CSV")).set_input_files(
        {"name": "photo.png", "mimeType": "image/png", "buffer": b"<html><script>alert(1)</script></html>"}
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("alert")).to_contain_text("Only images (PNG, JPEG, WebP, GIF), PDF and CSV files")
