"""Theme pages and API: the design's shapes, filters, the pain point form, permissions."""

from __future__ import annotations

from sqlmodel import Session, select

from app.auth import service as auth_service
from app.insights.models import Evidence, Insight
from app.people.models import Person
from app.themes import service as theme_service
from tests.browser import Browser, bearer


def token(db: Session, person: Person) -> dict[str, str]:
    return bearer(auth_service.create_token(db, actor=person, owner=person).token)


def test_api_has_the_design_shape(
    browser: Browser, db: Session, cx: Person, employee: Person, feedback: dict[str, list[Insight]]
) -> None:
    theme_service.refresh(db)
    listed = browser.client.get("/api/v1/themes", headers=token(db, cx))
    assert listed.status_code == 200
    themes = listed.json()["themes"]
    assert themes and set(themes[0]) >= {
        "id",
        "label",
        "terms",
        "size",
        "growth",
        "sentiment",
        "covered_by_pain_point_ids",
    }
    assert set(themes[0]["sentiment"]) == {"negative", "neutral", "positive"}
    assert sum(t["size"] for t in themes) <= 72
    one = browser.client.get(f"/api/v1/themes/{themes[0]['id']}", headers=token(db, cx)).json()
    assert len(one["feedback_ids"]) == one["size"] and 1 <= len(one["quotes"]) <= 3
    assert browser.client.get("/api/v1/themes", headers=token(db, employee)).status_code == 403
    assert browser.client.get("/api/v1/themes?since=2999-01-01", headers=token(db, cx)).json()["themes"] == []
    for bad in ("since=0", "since=2026-02-30", "department=0"):
        assert browser.client.get(f"/api/v1/themes?{bad}", headers=token(db, cx)).status_code == 422
    made = browser.client.post(f"/api/v1/themes/{themes[0]['id']}/pain-point", headers=token(db, cx))
    assert made.status_code == 201 and made.json()["kind"] == "pain_point"
    assert sorted(made.json()["evidence_ids"]) == sorted(one["feedback_ids"])
    again = browser.client.get(f"/api/v1/themes/{themes[0]['id']}", headers=token(db, cx)).json()
    assert again["covered_by_pain_point_ids"] == [made.json()["id"]]
    assert browser.client.get("/api/v1/themes/999999", headers=token(db, cx)).status_code == 404


def test_pages_show_themes_a_chart_and_open_the_pain_point_form(
    browser: Browser, db: Session, cx: Person, feedback: dict[str, list[Insight]]
) -> None:
    browser.sign_in_as(cx)
    assert "No themes yet" in browser.get("/themes").text
    theme_service.refresh(db)
    page = browser.get("/themes").text
    view = theme_service.themes(db, actor=cx)[0]
    assert view.theme.label.capitalize() in page and "no pain point yet" in page
    detail = browser.get(f"/themes/{view.theme.id}").text
    assert '<svg class="volume-chart"' in detail and "Feedback per week" in detail and "<table" in detail
    form = browser.get(f"/insights/new?kind=pain_point&theme={view.theme.id}").text
    assert form.count('name="evidence_ids"') == view.size and view.theme.label.capitalize() in form
    published = browser.post(
        "/insights/new",
        {
            "kind": "pain_point",
            "title": "Refunds take weeks",
            "severity": "3",
            "evidence_ids": view.member_ids,
        },
        follow_redirects=True,
    )
    assert published.status_code == 200 and "Pain point published" in published.text
    made = db.exec(select(Insight).where(Insight.title == "Refunds take weeks")).one()
    assert len(db.exec(select(Evidence).where(Evidence.pain_point_id == made.id)).all()) == view.size
    assert "covered by a pain point" in browser.get("/themes").text


def test_the_pain_point_form_suggests_themes_while_typing(
    browser: Browser, db: Session, cx: Person, employee: Person, feedback: dict[str, list[Insight]]
) -> None:
    theme_service.refresh(db)
    browser.sign_in_as(cx)
    hints = browser.get("/themes/suggest", params={"title": "My refund never came"}).text
    assert "Themes that say the same" in hints and "/themes/" in hints
    browser.sign_in_as(employee)
    assert browser.get("/themes").status_code == 403
    assert "Themes that say the same" not in browser.get("/themes/suggest", params={"title": "refund"}).text
