"""The search page, header suggestions, the search API and health, over HTTP."""

from __future__ import annotations

from sqlmodel import Session

from app.auth import service as auth_service
from app.insights import service as insight_service
from app.insights.models import Status
from app.people.models import Person
from tests import factories
from tests.browser import Browser, bearer
from tests.conftest import SearchIndex


def seed(db: Session, cx: Person) -> dict[str, int]:
    logistics = factories.department(db, name="Logistics")
    ids = {}
    for key, title, quote, tags, dept in [
        (
            "late",
            "Late delivery of the sofa",
            "The delivery came two days late",
            ["late-delivery"],
            logistics.id,
        ),
        ("window", "Delivery window too wide", "Four hours is a morning", ["delivery-window"], logistics.id),
        ("refund", "Refund took five weeks", "Money back after five weeks", ["refunds"], None),
    ]:
        insight = factories.published(
            db,
            by=cx,
            title=title,
            quote=quote,
            channel="survey",
            tags=tags,
            department_id=dept,
            sentiment="negative",
        )
        ids[key] = insight.id or 0
    return ids


def test_search_page_shows_hits_facets_and_highlights(
    browser: Browser, db: Session, cx: Person, employee: Person, search_index: SearchIndex
) -> None:
    ids = seed(db, cx)
    search_index.sync()
    page = browser.sign_in_as(employee).get("/search?q=delivery")
    assert page.status_code == 200
    assert "<strong>2</strong> results" in page.text
    assert "<mark>delivery</mark>" in page.text or "<mark>Delivery</mark>" in page.text
    assert (
        f'href="/insights/{ids["late"]}"' in page.text
        and f'href="/insights/{ids["refund"]}"' not in page.text
    )
    assert 'href="/search?q=delivery&amp;department=Logistics"' in page.text  # a facet link keeps the query
    narrowed = browser.get("/search?q=delivery&tag=delivery-window", headers={"HX-Request": "true"})
    assert "<html" not in narrowed.text and "<strong>1</strong> result " in narrowed.text


def test_search_page_helps_when_empty_or_misspelt(
    browser: Browser, db: Session, cx: Person, employee: Person, search_index: SearchIndex
) -> None:
    seed(db, cx)
    search_index.sync()
    browser.sign_in_as(employee)
    assert "Find what customers say" in browser.get("/search").text
    misspelt = browser.get("/search?q=refnd")
    assert (
        "the results for <strong>refund</strong>" in misspelt.text and "Search instead for" in misspelt.text
    )
    exactly = browser.get("/search?q=refnd&exact=1")
    assert "Did you mean" in exactly.text and "refund" in exactly.text
    nothing = browser.get("/search?q=zebra")
    assert "Nothing found for “zebra”" in nothing.text


def test_malformed_queries_get_a_message_never_a_500(
    browser: Browser, employee: Person, search_index: SearchIndex
) -> None:
    browser.sign_in_as(employee)
    for q in ["a*", '"unclosed', "((((", "title:* OR body:*~9", "-", "OR OR", "x" * 500, "%_%", "' OR 1=1--"]:
        response = browser.get("/search", params={"q": q})
        assert response.status_code == 200, q


def test_search_says_unavailable_when_the_index_is_broken(
    browser: Browser, db: Session, cx: Person, employee: Person, search_index: SearchIndex
) -> None:
    seed(db, cx)
    search_index.sync()
    backend = search_index.backend
    for toc in backend.directory.glob("_MAIN_*.toc"):  # type: ignore[attr-defined]
        toc.write_bytes(b"broken")
    backend._close()  # type: ignore[attr-defined]
    page = browser.sign_in_as(employee).get("/search?q=delivery")
    assert page.status_code == 200 and "Search is temporarily unavailable" in page.text
    assert browser.get("/").status_code == 200  # the rest of the portal works
    health = browser.get("/healthz")
    assert (
        health.status_code == 503 and health.json()["index"] == "error" and health.json()["database"] == "ok"
    )


def test_healthz_reports_index_ok_and_backlog(browser: Browser, search_index: SearchIndex) -> None:
    health = browser.anonymous().get("/healthz").json()
    assert health["status"] == "ok" and health["index"] == "ok" and health["search_backlog"] == 0


def test_header_suggestions_fragment(
    browser: Browser, db: Session, cx: Person, employee: Person, search_index: SearchIndex
) -> None:
    seed(db, cx)
    search_index.sync()
    fragment = browser.sign_in_as(employee).get("/search/suggest?q=refu", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "Refund took five weeks" in fragment.text
    assert 'href="/search?q=refu"' in fragment.text


def test_search_api_has_the_design_shape(
    browser: Browser, db: Session, cx: Person, employee: Person, search_index: SearchIndex
) -> None:
    ids = seed(db, cx)
    search_index.sync()
    headers = bearer(auth_service.create_token(db, actor=employee, owner=employee).token)
    body = browser.client.get("/api/v1/search?q=delivery&sort=newest", headers=headers).json()
    assert set(body) == {"total", "page", "hits", "facets", "suggestion"}
    assert body["total"] == 2 and body["page"] == 1
    hit = body["hits"][1]
    assert set(hit) == {"type", "id", "kind", "title", "snippet", "url"}
    assert hit["type"] == "insight" and hit["url"] == f"/insights/{hit['id']}"
    assert hit["snippet"] == "The <mark>delivery</mark> came two days late"
    assert body["facets"]["kind"] == {"feedback": 2} and body["facets"]["department"] == {"Logistics": 2}
    assert [h["id"] for h in body["hits"]] == [ids["window"], ids["late"]]  # newest first
    filtered = browser.client.get("/api/v1/search?q=delivery&tag=late-delivery", headers=headers).json()
    assert [h["id"] for h in filtered["hits"]] == [ids["late"]]
    bad = browser.client.get("/api/v1/search?q=a*", headers=headers)
    assert bad.status_code == 400 and "2 letters" in bad.json()["detail"]


def test_search_api_hides_archived_insights_from_employees(
    browser: Browser, db: Session, cx: Person, employee: Person, search_index: SearchIndex
) -> None:
    ids = seed(db, cx)
    insight_service.set_status(db, actor=cx, insight_id=ids["refund"], status=Status.archived)
    search_index.sync()
    employee_headers = bearer(auth_service.create_token(db, actor=employee, owner=employee).token)
    cx_headers = bearer(auth_service.create_token(db, actor=cx, owner=cx).token)
    assert browser.client.get("/api/v1/search?q=refund", headers=employee_headers).json()["total"] == 0
    assert browser.client.get("/api/v1/search?q=refund", headers=cx_headers).json()["total"] == 1


def test_a_misspelt_search_shows_the_suggestions_results_and_follows_no_typo(
    browser: Browser, db: Session, cx: Person, search_index: SearchIndex
) -> None:
    factories.published(
        db, by=cx, kind="pain_point", title="Late delivery again", severity=3, body="The delivery came late."
    )
    search_index.sync()
    page = browser.sign_in_as(cx).get("/search?q=delivry").text
    assert "Nothing matched “delivry”, so these are the results for <strong>delivery</strong>" in page
    assert "Late delivery again" in page
    assert 'name="target_key" value="delivery"' in page and 'name="target_key" value="delivry"' not in page
    assert "exact=1" in page
    exact = browser.get("/search?q=delivry&exact=1").text
    assert "Did you mean" in exact and "Late delivery again" not in exact
    assert "Follow this search" not in exact  # a typo that finds nothing is not offered to follow
