"""Insight pages over HTTP: who sees what, forms, stage editor, pickers, hostile input."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from sqlmodel import Session, select

from app.insights.models import Insight, JourneyStage, Kind, Status
from app.people.models import Person
from tests import factories
from tests.browser import Browser, assert_refused_at_the_fields

# security.md C3 / F11: every user text field gets these, and the page must keep them inert.
XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "<iframe src=//evil.example>",
    '<div hx-get="/logout" hx-trigger="load">x</div>',
    "{{7*7}}",
    "${7*7}",
    "<style>body{display:none}</style>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
]


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _assert_inert(html: str, vector: str) -> None:
    """Parse what the browser gets: no element or attribute from the vector may exist."""
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    parsed = _Elements()
    parsed.feed("<main " + main)
    for tag, attrs in parsed.elements:
        assert tag not in {"script", "iframe", "style", "img", "object", "embed"}, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in {"href", "src", "action", "formaction"}:
                assert not value.strip().lower().startswith(("javascript:", "data:", "//")), (
                    tag,
                    name,
                    value,
                )
            if name.startswith(("hx-", "data-hx")):
                assert "/logout" not in value, (tag, name, value)
    text = "".join(parsed.text)
    if "7*7" in vector:
        assert "7*7" in text  # shown literally, never evaluated


def test_employee_sees_an_insight_without_edit_controls_and_gets_403_on_edit(
    browser: Browser, db: Session, employee: Person
) -> None:
    insight = factories.insight(db, title="Late parcel")
    browser.sign_in_as(employee)
    page = browser.get(f"/insights/{insight.id}")
    assert page.status_code == 200 and "Late parcel" in page.text
    assert f'href="/insights/{insight.id}/edit"' not in page.text and ">Archive<" not in page.text
    assert browser.get(f"/insights/{insight.id}/edit").status_code == 403
    assert browser.post(f"/insights/{insight.id}/archive").status_code == 403
    db.refresh(insight)
    assert insight.status == Status.published


def test_cx_publishes_feedback_through_the_form(browser: Browser, db: Session, cx: Person) -> None:
    browser.sign_in_as(cx)
    assert "Publish an insight" in browser.get("/insights").text
    response = browser.post(
        "/insights/new",
        {
            "kind": "feedback",
            "title": "Chairs arrived in two deliveries",
            "quote": "Two vans, two days.",
            "channel": "review",
            "sentiment": "negative",
            "score": "2",
            "tags": "Split delivery, communication",
            "product_area": "Delivery",
            "body": "Seen **three** times this week.",
        },
    )
    assert response.status_code == 303
    page = browser.get(response.headers["location"])
    assert "Feedback published." in page.text and "<strong>three</strong>" in page.text
    assert "#split-delivery" in page.text and "Two vans, two days." in page.text


def test_invalid_form_shows_errors_at_the_fields_and_saves_nothing(
    browser: Browser, db: Session, cx: Person
) -> None:
    bad = {"kind": "feedback", "title": "", "score": "eleven"}
    assert_refused_at_the_fields(browser.sign_in_as(cx).post("/insights/new", bad), "Nothing was saved yet")
    assert db.exec(select(Insight)).all() == []


def test_journey_map_creation_leads_to_the_stage_editor(browser: Browser, db: Session, cx: Person) -> None:
    response = browser.sign_in_as(cx).post(
        "/insights/new", {"kind": "journey_map", "title": "Returning a sofa", "persona": "Jonas"}
    )
    assert response.status_code == 303 and response.headers["location"].endswith("/stages")


def test_stage_editor_adds_moves_and_removes_with_htmx_fragments(
    browser: Browser, db: Session, cx: Person
) -> None:
    journey = factories.insight(db, kind=Kind.journey_map, title="J")
    browser.sign_in_as(cx)
    hx = {"HX-Request": "true"}
    for name, emotion in [("Discover", "1"), ("Pay", "-1")]:
        fragment = browser.post(
            f"/insights/{journey.id}/stages", {"name": name, "emotion": emotion}, headers=hx
        )
        assert fragment.status_code == 200 and "<html" not in fragment.text
    stages = db.exec(
        select(JourneyStage).where(JourneyStage.journey_id == journey.id).order_by(JourneyStage.position)
    ).all()
    assert [s.name for s in stages] == ["Discover", "Pay"]
    browser.post(f"/insights/{journey.id}/stages/{stages[1].id}/move", {"direction": "up"}, headers=hx)
    db.expire_all()
    assert [s.name for s in db.exec(select(JourneyStage).order_by(JourneyStage.position)).all()] == [
        "Pay",
        "Discover",
    ]
    # without JavaScript: a plain post redirects back to the editor
    plain = browser.post(f"/insights/{journey.id}/stages/{stages[0].id}/delete")
    assert plain.status_code == 303 and plain.headers["location"] == f"/insights/{journey.id}/stages"
    invalid = browser.post(f"/insights/{journey.id}/stages", {"name": "", "emotion": "5"}, headers=hx)
    assert invalid.status_code == 422 and "<html" not in invalid.text


def test_stage_import_with_bad_rows_lists_them_and_imports_nothing(
    browser: Browser, db: Session, cx: Person
) -> None:
    journey = factories.insight(db, kind=Kind.journey_map, title="J")
    response = browser.sign_in_as(cx).post(
        f"/insights/{journey.id}/stages/import",
        files={"file": ("stages.csv", b"name,emotion\nDiscover,1\nPay,9\n", "text/csv")},
    )
    assert response.status_code == 422
    assert "Nothing was imported." in response.text and "Row 3:" in response.text
    assert db.exec(select(JourneyStage)).all() == []
    good = browser.post(
        f"/insights/{journey.id}/stages/import",
        files={"file": ("stages.json", b'[{"name": "A"}, {"name": "B", "emotion": -2}]', "application/json")},
    )
    assert good.status_code == 303
    assert len(db.exec(select(JourneyStage)).all()) == 2


def test_journey_page_draws_the_emotion_curve_with_a_text_alternative(
    browser: Browser, db: Session, employee: Person
) -> None:
    journey = factories.insight(db, kind=Kind.journey_map, title="J")
    for i, (name, emotion) in enumerate([("Discover", 1), ("Wait", -2), ("Receive", 2)]):
        factories.stage(db, journey=journey, name=name, emotion=emotion, position=i)
    page = browser.sign_in_as(employee).get(f"/insights/{journey.id}")
    assert '<svg role="img"' in page.text and 'class="curve-line"' in page.text
    assert "Wait: very negative (-2)." in page.text
    assert page.text.count('class="curve-dot') == 3


def test_list_filters_and_empty_state(browser: Browser, db: Session, employee: Person) -> None:
    factories.insight(db, title="About delivery", tags=["late-delivery"])
    factories.insight(db, title="About billing", tags=["invoices"])
    browser.sign_in_as(employee)
    page = browser.get("/insights?tag=late-delivery", headers={"HX-Request": "true"})
    assert "About delivery" in page.text and "About billing" not in page.text and "<html" not in page.text
    empty = browser.get("/insights?kind=persona")
    assert "No insights match these filters" in empty.text


def test_archived_insight_answers_404_for_employees(browser: Browser, db: Session, employee: Person) -> None:
    insight = factories.insight(db, title="Old news", status=Status.archived)
    assert browser.sign_in_as(employee).get(f"/insights/{insight.id}").status_code == 404
    assert "Old news" not in browser.get("/insights").text


def test_evidence_picker_and_tag_suggestions(browser: Browser, db: Session, cx: Person) -> None:
    factories.insight(
        db, title="Tracking link expired", quote="The link said session expired", tags=["tracking"]
    )
    browser.sign_in_as(cx)
    picked = browser.get("/insights/pick?kind=feedback&q=expired")
    assert 'name="evidence_ids"' in picked.text and "Tracking link expired" in picked.text
    suggested = browser.get("/tags/suggest?tags=late, trac")
    assert 'data-add-tag="tracking"' in suggested.text


@pytest.mark.parametrize("vector", XSS)
def test_hostile_text_in_every_field_is_shown_inert(
    browser: Browser, db: Session, cx: Person, vector: str
) -> None:
    team = factories.team(db)
    browser.sign_in_as(cx)
    kinds = {
        "feedback": {"quote": vector, "channel": "other", "external_id": vector[:100]},
        "pain_point": {"severity": "2"},
        "journey_map": {"persona": vector},
        "success_story": {"quote": vector, "teams": team.name},
        "persona": {"goals": vector, "frustrations": vector, "quotes": vector},
    }
    for kind, extra in kinds.items():
        response = browser.post(
            "/insights/new",
            {
                "kind": kind,
                "title": vector[:200],
                "body": vector,
                "product_area": vector[:80],
                "segment": vector[:80] or "s",
                "tags": vector,
                **extra,
            },
        )
        assert response.status_code == 303, (kind, response.text[:500])
        page = browser.get(response.headers["location"])
        _assert_inert(page.text, vector)
    journey = db.exec(select(Insight).where(Insight.kind == Kind.journey_map)).first()
    assert journey is not None
    browser.post(f"/insights/{journey.id}/stages", {"name": vector[:120], "goal": vector, "thoughts": vector})
    _assert_inert(browser.get(f"/insights/{journey.id}").text, vector)
    _assert_inert(browser.get("/insights").text, vector)
    _assert_inert(browser.get("/").text, vector)


def test_the_stage_editor_opens_one_stage_at_a_time(browser: Browser, db: Session, cx: Person) -> None:
    from app.insights.models import JourneyStage, Kind

    journey = factories.insight(db, kind=Kind.journey_map, title="Ordering", author=cx)
    for n, name in enumerate(["Find", "Pay", "Wait"]):
        db.add(JourneyStage(journey_id=journey.id or 0, name=name, position=n))
    db.commit()
    page = browser.sign_in_as(cx).get(f"/insights/{journey.id}/stages").text
    assert page.count('<details class="stage-edit">') == 3  # all closed: a list, not three forms open
    assert '<strong dir="auto">Pay</strong>' in page


def test_next_and_previous_carry_the_position_and_show_the_same_pages_as_page_numbers(
    browser: Browser, db: Session, employee: Person
) -> None:
    """Deep pages are read from the index at the position the link carries (issue 22): following
    Next twice and Previous once shows exactly what ?page=2 and ?page=3 show, ties in time included."""
    same_moment = datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=UTC)
    for n in range(50):
        moment = same_moment if n % 3 == 0 else same_moment - timedelta(minutes=n)
        factories.insight(db, title=f"Listed insight {n:02d}", created_at=moment)
    browser.sign_in_as(employee)

    def titles(html: str) -> list[str]:
        return re.findall(r"Listed insight \d\d", html)

    def link(html: str, rel: str) -> str:
        found = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
        assert found is not None, rel
        return found.group(1).replace("&amp;", "&")

    first = browser.get("/insights").text
    second = browser.get(link(first, "next")).text
    assert "after=" in link(first, "next") and "Page 2 of 3" in second
    position = link(first, "next").split("after=")[1]
    assert titles(browser.get(f"/insights?after={position}").text) == titles(second)  # the position counts
    assert titles(second) == titles(browser.get("/insights?page=2").text)
    third = browser.get(link(second, "next")).text
    assert titles(third) == titles(browser.get("/insights?page=3").text) and len(titles(third)) == 10
    back = browser.get(link(third, "prev")).text
    assert "before=" in link(third, "prev") and titles(back) == titles(second)
    assert len(set(titles(first) + titles(second) + titles(third))) == 50
    # A position someone typed that is not one is no position: the page number counts.
    assert titles(browser.get("/insights?page=2&after=yesterday").text) == titles(second)
    for out_of_range in ("-99999999999999999.1", "99999999999999999.1", "1.99999999999999999999"):
        assert titles(browser.get(f"/insights?page=2&after={out_of_range}").text) == titles(second)
