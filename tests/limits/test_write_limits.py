"""Per-person write limits, counted in the database (security.md H1)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.auth import service as auth_service
from app.core.config import get_settings
from app.core.errors import RateLimited
from app.limits import service as write_limits
from app.people.models import Person
from app.proposals import service as proposal_service
from app.proposals.schemas import ProposalCreate
from tests import factories
from tests.browser import Browser, bearer


def test_seventh_comment_in_a_minute_is_refused_with_retry_after(db: Session, employee: Person) -> None:
    proposal = factories.proposal(db)
    assert proposal.id is not None
    for n in range(6):
        factories.posted_comment(db, by=employee, on=("proposal", proposal.id), body=f"c{n}")
    with pytest.raises(RateLimited) as limited:
        factories.posted_comment(db, by=employee, on=("proposal", proposal.id), body="c7")
    assert limited.value.retry_after in range(1, 62)
    assert "6 comments per minute" in limited.value.message
    # Another person is not affected.
    other = factories.person(db)
    factories.posted_comment(db, by=other, on=("proposal", proposal.id), body="mine")


def test_proposals_are_limited_per_hour(
    db: Session, employee: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_LIMIT_PROPOSALS_PER_HOUR", "2")
    get_settings.cache_clear()
    for n in range(2):
        proposal_service.create(
            db, actor=employee, data=ProposalCreate(title=f"Idea number {n}", problem="p", change="c")
        )
    with pytest.raises(RateLimited):
        proposal_service.create(
            db, actor=employee, data=ProposalCreate(title="Idea number 3", problem="p", change="c")
        )


def test_api_answers_429_with_retry_after(
    browser: Browser, db: Session, employee: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_LIMIT_SUPPORTS_PER_MINUTE", "3")
    get_settings.cache_clear()
    headers = bearer(auth_service.create_token(db, actor=employee, owner=employee).token)
    proposals = [factories.proposal(db, title=f"P{n}") for n in range(4)]
    codes = [
        browser.client.post(f"/api/v1/proposals/{p.id}/support", headers=headers).status_code
        for p in proposals
    ]
    assert codes == [200, 200, 200, 429]
    last = browser.client.post(f"/api/v1/proposals/{proposals[3].id}/support", headers=headers)
    assert last.status_code == 429 and 1 <= int(last.headers["Retry-After"]) <= 61
    assert proposal_service.get(db, proposal_id=proposals[3].id or 0).support_count == 0


def test_the_demo_loader_is_not_limited(db: Session, employee: Person) -> None:
    proposal = factories.proposal(db)
    with write_limits.bypass():
        for n in range(10):
            factories.posted_comment(db, by=employee, on=("proposal", proposal.id or 0), body=f"c{n}")
