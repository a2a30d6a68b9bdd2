"""Importing feedback in a real browser: a CX person uploads a slice of a real review export,
maps its columns, checks it, imports it while the page shows the counters, and finds a review."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from urllib.parse import quote_plus

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in
from tests.reviews import export

pytestmark = pytest.mark.e2e

SLICE = 1500


def review_slice(target: Path) -> tuple[int, str, str]:
    """The first SLICE reviews as their own file; returns how many have no text, and the title and
    words of a review whose title no other review of the slice has (to search for)."""
    rows = export(SLICE)
    with target.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    header, body = rows[0], rows[1:]
    text, title = header.index("Review Text"), header.index("Title")
    titles = [r[title] for r in body if r[text].strip()]
    unique = next(t for t in titles if len(t.split()) >= 3 and titles.count(t) == 1 and t.isascii())
    words = next(r[text] for r in body if r[title] == unique)
    return sum(1 for r in body if not r[text].strip()), unique, words


def test_cx_imports_a_review_export_and_finds_a_review(page: Page, tmp_path: Path) -> None:
    empty, title, words = review_slice(tmp_path / "reviews-slice.csv")
    assert empty > 0  # review exports have ratings without words
    sign_in(page, "cass@e2e.test")
    page.goto("/insights")
    page.get_by_role("link", name="Import feedback").click()
    expect(page.get_by_role("heading", name="Import feedback")).to_be_visible()
    page.get_by_label("File").set_input_files(tmp_path / "reviews-slice.csv")
    page.get_by_role("button", name="Upload and map columns").click()

    expect(page.get_by_role("heading", name="Map the columns")).to_be_visible()
    expect(page.get_by_text("CSV, utf-8, separated by commas")).to_be_visible()
    expect(page.get_by_role("region", name="The first rows of the file")).to_be_visible()
    # The guesses from the column names, and the two choices only a person can make.
    expect(page.locator("#map-quote")).to_have_value("Review Text")
    expect(page.locator("#map-title")).to_have_value("Title")
    expect(page.get_by_label("Score (rating 1-5 or NPS 0-10)")).to_have_value("Rating")
    page.get_by_label("Reference (answer or ticket id)").select_option("Column 1")
    page.get_by_label("Where this feedback came from").select_option("review")
    page.get_by_role("button", name="Check every row (dry run)").click()

    status = page.locator("#job-status")
    expect(status.get_by_text("Not imported")).to_be_visible(timeout=30_000)  # polled, no reload
    expect(status.get_by_role("heading", name="Rows to fix")).to_be_visible()
    expect(status.get_by_text("the customer's words are empty").first).to_be_visible()
    expect(status.locator('[data-counter="error_count"]')).to_have_text(str(empty))

    page.locator("summary", has_text="Change the mapping").click()
    page.get_by_label("Skip rows without the customer's words").check()
    page.get_by_role("button", name="Check every row (dry run)").click()
    expect(status.get_by_text("Checked, not imported")).to_be_visible(timeout=30_000)
    would = f"{SLICE - empty:,}"
    expect(status.locator('[data-counter="imported"]')).to_have_text(would)
    expect(status.locator('[data-counter="skipped_empty"]')).to_have_text(str(empty))

    page.get_by_role("button", name=f"Import {would} rows now").click()
    expect(
        page.get_by_role("progressbar").or_(status.get_by_text("Imported", exact=True)).first
    ).to_be_visible()
    expect(status.get_by_text(f"Imported {would} pieces of review feedback")).to_be_visible(timeout=60_000)

    # The live portal's drainer indexes the new rows in the background: searchable soon after.
    deadline = time.monotonic() + 90
    while True:
        page.goto(f"/search?q={quote_plus(title)}")
        hit = page.get_by_role("link", name=title, exact=True)
        if hit.count() or time.monotonic() > deadline:
            break
        time.sleep(1)
    hit.first.click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.get_by_text(" ".join(words.split()[:8])).first).to_be_visible()
