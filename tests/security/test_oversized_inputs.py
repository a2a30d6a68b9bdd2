"""F12 of security.md: oversized inputs get 413 or 422 quickly, never a 500, and change nothing:
a 10 MB JSON body, a 100,000-character title, 1,001 form fields, JSON nested 10,000 levels deep,
and a 50,000-line Markdown body (rendered within its bound, security.md H2)."""

from __future__ import annotations

import json

from sqlmodel import Session, func, select

from app.auth import service as auth_service
from app.core.markdown import MAX_SOURCE, render
from app.insights.models import Insight
from app.people.models import Person
from app.proposals.models import Proposal
from tests import factories
from tests.browser import Browser, bearer


def _count(db: Session, model: type) -> int:
    return db.exec(select(func.count()).select_from(model)).one()


def test_a_10_mb_json_body_is_413_before_it_is_read(browser: Browser, db: Session, cx: Person) -> None:
    token = auth_service.create_token(db, actor=cx, owner=cx).token
    body = json.dumps(
        {"kind": "feedback", "title": "Big", "quote": "x" * (10 * 1024 * 1024), "channel": "survey"}
    )
    response = browser.client.post(
        "/api/v1/insights", headers={**bearer(token), "Content-Type": "application/json"}, content=body
    )
    assert response.status_code == 413
    assert _count(db, Insight) == 0


def test_a_100_000_character_title_is_422(browser: Browser, db: Session, cx: Person) -> None:
    token = auth_service.create_token(db, actor=cx, owner=cx).token
    response = browser.client.post(
        "/api/v1/insights",
        headers=bearer(token),
        json={"kind": "feedback", "title": "t" * 100_000, "quote": "q", "channel": "survey"},
    )
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "title"
    assert _count(db, Insight) == 0


def test_json_nested_10_000_levels_is_refused_not_a_500(
    browser: Browser, db: Session, employee: Person
) -> None:
    token = auth_service.create_token(db, actor=employee, owner=employee).token
    deep = "[" * 10_000 + "]" * 10_000
    body = '{"title": "Deep", "problem": "p", "change": "c", "insight_ids": ' + deep + "}"
    response = browser.client.post(
        "/api/v1/proposals", headers={**bearer(token), "Content-Type": "application/json"}, content=body
    )
    assert response.status_code in (400, 422), response.text[:300]
    assert "Traceback" not in response.text
    assert _count(db, Proposal) == 0


def test_1001_form_fields_are_refused_and_change_nothing(
    browser: Browser, db: Session, employee: Person
) -> None:
    browser.sign_in_as(employee)
    fields = {"title": "Many fields", "problem": "p", "change": "c"}
    fields.update({f"extra{n}": "x" for n in range(1001)})
    response = browser.post("/proposals/new", data=fields)
    assert response.status_code in (400, 413, 422), response.status_code
    assert "Traceback" not in response.text
    assert _count(db, Proposal) == 0


def test_a_50_000_line_markdown_body_is_cut_to_its_bound_and_renders() -> None:
    source = "".join(f"- item **{n}** with a [link](https://example.test/{n})\n" for n in range(50_000))
    html = str(render(source))
    assert "<li>item <strong>0</strong>" in html
    assert len(html) < 3 * MAX_SOURCE  # only the first MAX_SOURCE characters were rendered
    assert "item <strong>49999</strong>" not in html


def test_a_50_000_line_comment_is_refused_by_its_length_and_changes_nothing(
    browser: Browser, db: Session, employee: Person
) -> None:
    proposal = factories.proposal(db)
    token = auth_service.create_token(db, actor=employee, owner=employee).token
    response = browser.client.post(
        f"/api/v1/proposals/{proposal.id}/comments", headers=bearer(token), json={"body": "line\n" * 50_000}
    )
    assert response.status_code == 422
