"""Steps that cannot be undone ask first, with or without JavaScript (a <details> panel whose own
button does it): closing a pulse round, removing a stage, deleting a comment, merging a duplicate."""

from __future__ import annotations

import re

from sqlmodel import Session

from app.insights.models import JourneyStage, Kind
from app.people.models import Person
from tests import factories
from tests.browser import Browser


def asks_first(page: str, label: str, confirm_label: str, action: str) -> bool:
    """The page shows `label` as a summary that opens a panel whose button posts to `action`."""
    pattern = (
        r'<details class="confirm">\s*<summary[^>]*>' + re.escape(label) + r"</summary>.*?"
        r'<form method="post" action="'
        + re.escape(action)
        + r'".*?'
        + re.escape(confirm_label)
        + r"</button>"
    )
    return re.search(pattern, page, re.DOTALL) is not None


def test_closing_a_pulse_round_asks_first(browser: Browser, db: Session, leader: Person) -> None:
    team, _ = factories.team_of(db, 5)
    round_ = factories.opened_pulse(db, by=leader, teams=[team])
    page = browser.sign_in_as(leader).get(f"/pulse/{round_.id}").text
    assert asks_first(
        page, "Close now and release results", "Yes, close the round", f"/pulse/{round_.id}/close"
    )


def test_removing_a_stage_asks_first(browser: Browser, db: Session, cx: Person) -> None:
    journey = factories.insight(db, kind=Kind.journey_map, title="Ordering", author=cx)
    stage = JourneyStage(journey_id=journey.id or 0, name="Pay", position=0)
    db.add(stage)
    db.commit()
    page = browser.sign_in_as(cx).get(f"/insights/{journey.id}/stages").text
    action = f"/insights/{journey.id}/stages/{stage.id}/delete"
    assert asks_first(page, "Remove", "Yes, remove Pay", action)


def test_deleting_a_comment_asks_first(browser: Browser, db: Session, cx: Person) -> None:
    insight = factories.insight(db, kind=Kind.pain_point, title="Late parcels", author=cx)
    comment = factories.posted_comment(db, by=cx, on=("insight", insight.id or 0), body="Seen it too")
    page = browser.sign_in_as(cx).get(f"/insights/{insight.id}").text
    assert asks_first(page, "Delete", "Yes, delete it", f"/comments/{comment.id}/delete")
