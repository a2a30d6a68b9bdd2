"""Pages say things as a person would: plurals, titles rather than ids, counts that match the list."""

from __future__ import annotations

import re

from sqlmodel import Session

from app.insights.models import Kind
from app.notifications import service as notification_service
from app.people.models import Person
from tests import factories
from tests.browser import Browser


def test_the_home_page_counts_each_kind_in_words(db: Session, browser: Browser, cx: Person) -> None:
    for n in range(3):
        factories.insight(db, kind=Kind.success_story, title=f"Story {n}", author=cx)
    factories.insight(db, kind=Kind.pain_point, title="The one pain", author=cx)
    page = browser.sign_in_as(cx).get("/").text
    assert re.search(r"<strong>3</strong><span>success stories</span>", page)
    assert re.search(r"<strong>1</strong><span>pain point</span>", page)
    assert "storys" not in page
    assert [Kind.success_story.noun(n) for n in (1, 2)] == ["success story", "success stories"]
    assert Kind.feedback.noun(7) == "feedback"


def test_what_you_follow_lists_titles(db: Session, browser: Browser, employee: Person, cx: Person) -> None:
    insight = factories.insight(db, kind=Kind.pain_point, title="Parcels arrive late", author=cx)
    proposal = factories.proposal(db, title="Evening delivery slots")
    for target_type, key in (
        ("insight", str(insight.id)),
        ("proposal", str(proposal.id)),
        ("proposal", "999999"),
    ):
        notification_service.follow(db, person=employee, target_type=target_type, target_key=key)
    page = browser.sign_in_as(employee).get("/me").text
    assert f'<a href="/insights/{insight.id}">Parcels arrive late</a>' in page
    assert f'<a href="/proposals/{proposal.id}">Evening delivery slots</a>' in page
    assert "proposal 999999 (no longer there)" in page
    assert f"proposal {proposal.id}<" not in page and f"insight {insight.id}<" not in page


def test_a_filter_updates_the_headings_count_too(db: Session, browser: Browser, cx: Person) -> None:
    for n in range(3):
        factories.insight(db, kind=Kind.pain_point, title=f"Pain {n}", author=cx)
    factories.insight(db, kind=Kind.persona, title="Paula the planner", author=cx)
    browser.sign_in_as(cx)
    fragment = browser.client.get("/insights?kind=persona", headers={"HX-Request": "true"}).text
    assert '<span class="count" id="insight-total" hx-swap-oob="true">1</span>' in fragment
    whole = browser.get("/insights?kind=persona").text
    assert '<span class="count" id="insight-total">1</span>' in whole and "hx-swap-oob" not in whole
