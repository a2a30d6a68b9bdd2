"""The author of an anonymous proposal is warned before commenting under their name on it."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.comments.models import Comment
from app.core.errors import ValidationFailed
from app.people.models import Person
from app.proposals import service as proposal_service
from app.proposals.schemas import ProposalCreate
from tests import factories
from tests.browser import Browser


def anonymous_proposal(db: Session, author: Person) -> int:
    proposal = proposal_service.create(
        db, actor=author, data=ProposalCreate(title="Quiet idea", problem="p", change="c", anonymous=True)
    )
    assert proposal.id is not None
    return proposal.id


def test_service_refuses_an_unconfirmed_named_comment_by_the_anonymous_author(
    db: Session, employee: Person
) -> None:
    proposal_id = anonymous_proposal(db, employee)
    with pytest.raises(ValidationFailed) as refused:
        factories.posted_comment(db, by=employee, on=("proposal", proposal_id), body="Me!")
    assert "confirm_named" in refused.value.errors
    assert db.exec(select(Comment).where(Comment.target_id == proposal_id)).first() is None
    factories.posted_comment(db, by=employee, on=("proposal", proposal_id), body="Me!", confirm_named=True)
    assert db.exec(select(Comment).where(Comment.target_id == proposal_id)).first() is not None


def test_others_comment_without_any_confirmation(db: Session, employee: Person, cx: Person) -> None:
    proposal_id = anonymous_proposal(db, employee)
    factories.posted_comment(db, by=cx, on=("proposal", proposal_id), body="Good idea")


def test_page_warns_the_author_and_nobody_else(
    browser: Browser, db: Session, employee: Person, cx: Person
) -> None:
    proposal_id = anonymous_proposal(db, employee)
    mine = browser.sign_in_as(employee).get(f"/proposals/{proposal_id}").text
    assert "You posted this proposal anonymously" in mine and 'name="confirm_named"' in mine
    theirs = browser.sign_in_as(cx).get(f"/proposals/{proposal_id}").text
    assert "You posted this proposal anonymously" not in theirs and 'name="confirm_named"' not in theirs


def test_form_without_the_box_is_refused_with_the_warning(
    browser: Browser, db: Session, employee: Person
) -> None:
    proposal_id = anonymous_proposal(db, employee)
    browser.sign_in_as(employee)
    refused = browser.post(
        "/comments", {"target_type": "proposal", "target_id": proposal_id, "body": "It was me"}
    )
    assert refused.status_code == 422 and "Tick the box" in refused.text
    posted = browser.post(
        "/comments",
        {"target_type": "proposal", "target_id": proposal_id, "body": "It was me", "confirm_named": "1"},
    )
    assert posted.status_code == 303
