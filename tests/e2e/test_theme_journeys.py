"""From an import to a theme to a new pain point, in a real browser: a CX person imports a review
export, the themes are found (`portal themes refresh`, as the worker would), she opens the first
uncovered theme, reads its chart and quotes, makes a pain point of it with its feedback as
evidence, edits the title before publishing, and the theme then shows as covered."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from app.themes import service as theme_service
from tests.e2e.conftest import LiveServer, sign_in
from tests.reviews import review_rows

pytestmark = pytest.mark.e2e

ROWS = 300


def test_from_an_import_to_a_theme_to_a_pain_point(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    source = tmp_path / "shop-reviews.csv"
    with source.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(review_rows(ROWS))
    sign_in(page, "cass@e2e.test")
    page.goto("/imports")
    page.get_by_label("File").set_input_files(source)
    page.get_by_role("button", name="Upload and map columns").click()
    expect(page.get_by_role("heading", name="Map the columns")).to_be_visible()
    page.get_by_label("Where this feedback came from").select_option("review")
    page.get_by_role("button", name="Check every row (dry run)").click()
    status = page.locator("#job-status")
    expect(status.get_by_text("Checked, not imported")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name=re.compile(r"Import [\d,]+ rows now")).click()
    expect(status.get_by_text(re.compile(r"Imported [\d,]+ pieces of review feedback"))).to_be_visible(
        timeout=60_000
    )

    with live_server.session() as session:  # what `portal themes refresh` does (the worker does it too)
        assert theme_service.refresh(session).themes >= 2

    page.get_by_role("link", name="Themes").first.click()
    expect(page.get_by_role("heading", name="Themes", exact=True)).to_be_visible()
    first = page.locator(".theme-card").filter(has_text="no pain point yet").first
    label = first.get_by_role("heading").inner_text()
    first.get_by_role("link").click()
    expect(page.get_by_role("heading", name=label)).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Feedback in this theme per week"))).to_be_visible()
    expect(page.get_by_role("heading", name="What customers say")).to_be_visible()

    page.get_by_role("link", name="Make a pain point").click()
    expect(page.get_by_label("Title")).to_have_value(label)
    expect(page.locator('input[name="evidence_ids"]:checked').first).to_be_attached()
    page.get_by_label("Title").fill(f"Customers report: {label}")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Pain point published.")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Customers report: {label}")).to_be_visible()

    page.goto("/themes")
    card = page.locator(".theme-card").filter(has=page.get_by_role("heading", name=label, exact=True))
    expect(card).to_contain_text("covered by a pain point")
