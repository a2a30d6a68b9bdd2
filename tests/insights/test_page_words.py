"""Pages say things as a person would: plurals, titles rather than ids, counts that match the list."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import Session

from app.core.models import utcnow
from app.insights.models import Kind
from app.notifications import service as notification_service
from app.people.models import Person
from app.proposals import decisions
from app.proposals import schemas as proposal_schemas
from app.proposals import service as proposal_service
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


def test_a_leaders_home_shows_what_waits_for_them(
    db: Session, browser: Browser, leader: Person, employee: Person
) -> None:
    fresh = factories.proposal(db, title="Evening slots", author=employee)
    long_ago = utcnow() - timedelta(days=40)
    factories.proposal(db, title="Lockers at stations", author=employee, created_at=long_ago)
    page = browser.sign_in_as(leader).get("/").text
    assert "Waiting for you" in page and "<strong>2</strong> proposals without an official response" in page
    assert "1 overdue" in page and f'href="/proposals/{fresh.id}"' in page
    assert "Waiting for you" not in browser.sign_in_as(employee).get("/").text
    # The figures are kept for half a minute, but an answer given meanwhile shows on the next view.
    decision = proposal_schemas.Decision(status="under_review", response="We are looking at it.")
    decisions.decide(db, actor=leader, proposal_id=fresh.id or 0, decision=decision)
    page = browser.sign_in_as(leader).get("/").text
    assert "<strong>1</strong> proposal without an official response" in page
    assert f'href="/proposals/{fresh.id}"' not in page


def test_an_employees_home_shows_their_proposals_and_what_they_support(
    db: Session, browser: Browser, employee: Person, cx: Person
) -> None:
    own = factories.proposal(db, title="My quiet idea", author=employee, is_anonymous=True)
    theirs = factories.proposal(db, title="Their good idea", author=cx)
    proposal_service.support(db, actor=employee, proposal_id=theirs.id or 0)
    page = browser.sign_in_as(employee).get("/").text
    assert "Your proposals and what happened" in page
    assert f'<a href="/proposals/{own.id}">My quiet idea</a>' in page and "(anonymous)" in page
    assert f'<a href="/proposals/{theirs.id}">Their good idea</a>' in page
    assert "My quiet idea" not in browser.sign_in_as(cx).get("/").text  # only its author sees it there
