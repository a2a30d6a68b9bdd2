"""Proposal pages and API over HTTP."""

from __future__ import annotations

from sqlmodel import Session, select

from app.auth import service as auth_service
from app.people.models import Person
from app.proposals import service as proposal_service
from app.proposals.models import Proposal
from tests import factories
from tests.browser import Browser, bearer
from tests.conftest import SearchIndex


def test_employee_proposes_through_the_form(browser: Browser, db: Session, employee: Person) -> None:
    insight = factories.insight(db, title="Wardrobe left downstairs")
    dept = factories.department(db, name="Logistics")
    browser.sign_in_as(employee)
    form = browser.get(f"/proposals/new?insight={insight.id}")
    assert "Wardrobe left downstairs" in form.text and 'name="anonymous"' in form.text
    response = browser.post(
        "/proposals/new",
        {
            "title": "Carry furniture to the right floor",
            "problem": "Items are left in the hallway",
            "change": "Check the floor at booking",
            "impact": "Fewer complaints",
            "insight_ids": str(insight.id),
            "department_ids": str(dept.id),
        },
    )
    assert response.status_code == 303
    page = browser.get(response.headers["location"])
    assert "Your proposal is published." in page.text and "Proposed by Erin Employee" in page.text
    assert "Wardrobe left downstairs" in page.text and "Affects Logistics" in page.text
    insight_page = browser.get(f"/insights/{insight.id}")
    assert "Carry furniture to the right floor" in insight_page.text


def test_invalid_proposal_shows_errors_and_saves_nothing(
    browser: Browser, db: Session, employee: Person
) -> None:
    browser.sign_in_as(employee)
    response = browser.post("/proposals/new", {"title": "x", "problem": "", "change": ""})
    assert response.status_code == 422 and "Nothing was saved yet" in response.text
    assert db.exec(select(Proposal)).all() == []


def test_anonymous_proposal_never_shows_the_author_to_others(
    browser: Browser, db: Session, employee: Person, leader: Person, search_index: SearchIndex
) -> None:
    browser.sign_in_as(employee)
    created = browser.post(
        "/proposals/new", {"title": "Anonymous idea here", "problem": "p", "change": "c", "anonymous": "1"}
    )
    url = created.headers["location"]
    assert "Posted anonymously by you" in browser.get(url).text
    search_index.sync()
    browser.sign_in_as(leader)
    page = browser.get(url)
    assert "Posted anonymously." in page.text and employee.name not in page.text
    assert employee.name not in browser.get("/proposals").text
    assert employee.name not in browser.get("/search?q=anonymous").text
    token = auth_service.create_token(db, actor=leader, owner=leader).token
    api = browser.client.get(f"/api/v1{url}", headers=bearer(token)).json()
    assert api["author"] is None and api["anonymous"] is True
    assert employee.email not in str(api)


def test_support_with_htmx_updates_the_box_in_place(
    browser: Browser, db: Session, employee: Person, cx: Person
) -> None:
    browser.sign_in_as(employee)
    url = browser.post(
        "/proposals/new", {"title": "Evening delivery slots", "problem": "p", "change": "c"}
    ).headers["location"]
    browser.sign_in_as(cx)
    fragment = browser.post(f"{url}/support", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "You support this" in fragment.text and "Cass Cx" in fragment.text
    plain = browser.post(f"{url}/unsupport")
    assert plain.status_code == 303
    assert "Support this proposal" in browser.get(url).text


def test_proposal_api_and_support_endpoints(
    browser: Browser, db: Session, employee: Person, cx: Person
) -> None:
    insight = factories.insight(db)
    headers = bearer(auth_service.create_token(db, actor=employee, owner=employee).token)
    proposal = {"title": "Show delivery cost early", "problem": "Surprise costs", "change": "Show it early"}
    evidence = {"impact": "Fewer abandoned baskets", "insight_ids": [insight.id]}
    created = browser.client.post("/api/v1/proposals", headers=headers, json={**proposal, **evidence})
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "new" and body["support_count"] == 0 and body["insight_ids"] == [insight.id]
    assert (
        body["author"] == employee.name
        and body["url"] == f"/proposals/{body['id']}"
        and body["responses"] == []
    )
    cx_headers = bearer(auth_service.create_token(db, actor=cx, owner=cx).token)
    assert browser.client.post(f"/api/v1/proposals/{body['id']}/support", headers=cx_headers).json() == {
        "support_count": 1
    }
    assert browser.client.delete(f"/api/v1/proposals/{body['id']}/support", headers=cx_headers).json() == {
        "support_count": 0
    }
    listing = browser.client.get("/api/v1/proposals?status=new&sort=support", headers=headers).json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == body["id"]
    unknown = browser.client.post("/api/v1/proposals", headers=headers, json={"title": "x", "author_id": 1})
    assert unknown.status_code == 422


def test_similar_proposals_appear_while_typing(
    browser: Browser, db: Session, employee: Person, cx: Person, search_index: SearchIndex
) -> None:
    browser.sign_in_as(employee)
    browser.post(
        "/proposals/new", {"title": "Evening delivery slots for families", "problem": "p", "change": "c"}
    )
    search_index.sync()
    browser.sign_in_as(cx)
    fragment = browser.get(
        "/proposals/similar?title=evening+deliveries&problem=", headers={"HX-Request": "true"}
    )
    assert "Evening delivery slots for families" in fragment.text and "Support this instead" in fragment.text


def test_insight_picker_finds_published_insights_of_any_kind(
    browser: Browser, db: Session, employee: Person
) -> None:
    from app.insights.models import Kind, Status

    factories.insight(db, kind=Kind.pain_point, title="Wardrobe left downstairs")
    factories.insight(db, title="Old wardrobe story", status=Status.archived)
    page = browser.sign_in_as(employee).get("/proposals/pick-insights?q=wardrobe")
    assert "Wardrobe left downstairs" in page.text and "Old wardrobe story" not in page.text
    assert 'name="insight_ids"' in page.text


def test_insight_picker_uses_the_search_index(
    browser: Browser, db: Session, cx: Person, employee: Person, search_index: SearchIndex
) -> None:

    factories.published(db, by=cx, kind="pain_point", title="Deliveries arrive days late", severity=3)
    search_index.sync()
    # "delivery" is not a substring of "Deliveries": only the stemmed index finds it.
    page = browser.sign_in_as(employee).get("/proposals/pick-insights?q=delivery")
    assert "Deliveries arrive days late" in page.text


def test_without_javascript_find_lists_insights_to_tick_and_publishes_nothing(
    browser: Browser, db: Session, employee: Person, cx: Person
) -> None:
    from app.insights.models import Kind

    late = factories.insight(db, kind=Kind.pain_point, title="Parcels arrive late", author=cx)
    browser.sign_in_as(employee)
    typed = {"title": "Evening slots", "problem": "Nobody home", "change": "Later vans", "q": "parcels"}
    found = browser.post("/proposals/new", {**typed, "action": "find"})
    assert found.status_code == 200
    assert f'name="insight_ids" value="{late.id}"' in found.text and 'value="Evening slots"' in found.text
    assert db.exec(select(Proposal)).all() == []
    published = browser.post("/proposals/new", {**typed, "insight_ids": str(late.id)})
    assert published.status_code == 303
    proposal = db.exec(select(Proposal)).one()
    assert [
        i.id for i in proposal_service.addressed_insights(db, actor=employee, proposal_id=proposal.id or 0)
    ] == [late.id]
