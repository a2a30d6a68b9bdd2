"""Each insight kind is declared once (app/insights/kinds.py); everything that shows, checks, finds or
exports an insight reads the declaration. These tests fail where a declaration and the rest disagree."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.exports import service as export_service
from app.insights.kinds import KINDS, Kind, style_sheet
from app.insights.models import Insight
from app.insights.schemas import InsightFields
from app.people.models import Person
from tests import factories
from tests.browser import Browser
from tests.conftest import SearchIndex

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "insights" / "kinds"
SLOTS = {"form.html", "facts.html", "actions.html", "above_body.html", "below_body.html"}


def test_every_kind_is_declared_with_fields_the_insight_has() -> None:
    assert set(KINDS) == set(Kind)
    columns = set(Insight.model_fields)
    for declared in KINDS.values():
        named = {*declared.fields, *declared.indexed, *declared.snippet, *declared.exported}
        assert named <= columns, (declared.kind, named - columns)
        assert set(declared.required) <= set(InsightFields.model_fields), declared.kind
        assert declared.label and declared.plural and declared.about, declared.kind


def test_every_kind_has_its_form_partial_and_only_known_slots() -> None:
    assert {folder.name for folder in TEMPLATES.iterdir()} == {k.value for k in Kind}
    for kind in Kind:
        partials = {path.name for path in (TEMPLATES / kind.value).iterdir()}
        assert "form.html" in partials, kind
        assert partials <= SLOTS, (kind, partials - SLOTS)


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_each_kinds_badge_is_readable() -> None:
    for declared in KINDS.values():
        light, dark = sorted((_luminance(c) for c in declared.badge), reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 4.5, declared.kind


def test_the_kinds_style_sheet_is_served_to_everyone(client: TestClient) -> None:
    response = client.get("/kinds.css")  # not signed in: the sign-in page uses it too
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert response.text == style_sheet()
    for declared in KINDS.values():
        assert (
            f".insight-card.kind-{declared.kind.value} {{ border-left-color: {declared.colour}; }}"
            in response.text
        )


def test_the_choice_page_and_the_form_read_the_declaration(browser: Browser, cx: Person) -> None:
    browser.sign_in_as(cx)
    choice = browser.get("/insights/new").text
    for declared in KINDS.values():
        assert declared.about in choice
    story = browser.get("/insights/new?kind=success_story").text
    assert KINDS[Kind.success_story].body_label in story
    refused = browser.post("/insights/new", {"kind": "persona", "title": "Weekend gardener", "segment": ""})
    assert refused.status_code == 422
    assert KINDS[Kind.persona].required["segment"] in refused.text


def test_an_export_carries_each_kinds_own_fields(db: Session, cx: Person, leader: Person) -> None:
    pain = factories.insight(db, author=cx, kind=Kind.pain_point, title="Courier never rings", severity=3)
    persona = factories.insight(
        db, author=cx, kind=Kind.persona, title="Busy parent", segment="Families", goals="Time"
    )
    rows = {
        row["id"]: row
        for batch in export_service.insight_rows(
            db, actor=leader, filters=export_service.insight_service.ListFilters()
        )
        for row in batch
    }
    assert rows[pain.id]["severity"] == 3 and rows[persona.id]["goals"] == "Time"
    header = next(csv.reader(io.StringIO("".join(
        export_service.encode(iter([]), columns=export_service.INSIGHT_COLUMNS, file_format="csv")
    ))))  # fmt: skip
    for declared in KINDS.values():
        assert set(declared.exported) <= set(header), declared.kind


def test_search_keeps_and_shows_what_each_kind_declares(
    db: Session, cx: Person, search_index: SearchIndex
) -> None:
    from app.search import service as search_service

    persona = factories.published(
        db, by=cx, kind="persona", title="Busy parent", segment="Families", frustrations="Queues at the tills"
    )
    search_index.sync()
    found = search_service.search(db, actor=cx, text="tills")
    assert [h.id for h in found.hits] == [persona.id]  # frustrations are indexed for personas
    assert "Queues" not in found.hits[0].snippet  # ... and not shown: the snippet is body and goals
