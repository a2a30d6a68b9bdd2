"""The insights' bulk writer (app/insights/bulk.py), on its own: what the feedback import writes
through it, without a file or HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import Session, col, select

from app.insights import bulk
from app.insights.models import Channel, Insight, ScoreScale, Sentiment
from app.insights.tags import tags_by_insight
from app.people.models import Person
from app.search.models import SearchOutbox


def row(quote: str, **values: Any) -> dict[str, Any]:
    received = values.get("received_at")
    return {
        "title": quote[:40],
        "quote": quote,
        "body": "",
        "external_id": None,
        "product_area": "",
        "segment": "",
        "score": None,
        "sentiment": None,
        "received_at": received,
        "department_id": None,
        "tags": [],
        "content_key": bulk.content_key("review", quote, received),
        **values,
    }


def test_rows_become_published_feedback_with_tags_and_search_rows(db: Session, cx: Person) -> None:
    writer = bulk.FeedbackWriter(db, author=cx, channel=Channel.review, scale=ScoreScale.rating)
    writer.add(
        row("Arrived two days late", score=1, tags=["late-delivery"], received_at=dt.date(2026, 3, 31))
    )
    writer.add(row("Lovely sofa", score=5, external_id="R-2"))
    writer.add(row("It was fine", score=3, sentiment=Sentiment.negative))  # a sentiment given stays
    assert writer.finish() == (3, 0)
    db.commit()
    found = {i.quote: i for i in db.exec(select(Insight)).all()}
    late = found["Arrived two days late"]
    assert late.sentiment == Sentiment.negative and late.score_scale == ScoreScale.rating
    assert late.received_at == dt.date(2026, 3, 31) and late.channel == Channel.review
    assert found["Lovely sofa"].sentiment == Sentiment.positive
    assert found["It was fine"].sentiment == Sentiment.negative
    assert tags_by_insight(db, [late.id or 0]) == {late.id: ["late-delivery"]}
    queued = db.exec(select(SearchOutbox.entity_id).where(SearchOutbox.entity_type == "insight")).all()
    assert sorted(queued) == sorted(i.id for i in found.values())


def test_rows_already_there_are_skipped_by_reference_or_by_words_day_and_channel(
    db: Session, cx: Person
) -> None:
    first = bulk.FeedbackWriter(db, author=cx, channel=Channel.review, scale=ScoreScale.rating)
    first.add(row("Courier never rang", external_id="R-1"))
    first.add(row("Box was  crushed"))
    first.finish()
    db.commit()
    again = bulk.FeedbackWriter(db, author=cx, channel=Channel.review, scale=ScoreScale.rating)
    again.add(row("A different text, same reference", external_id="R-1"))
    again.add(row("box was crushed"))  # the same words (spacing and case aside): already there
    again.add(row("box was crushed"))  # a second one in the file: the portal held only one
    assert again.finish() == (1, 2)
    db.commit()
    assert len(db.exec(select(Insight).where(col(Insight.quote).ilike("%crushed%"))).all()) == 2


def test_the_rows_take_the_insight_fields_limits_and_checks() -> None:
    limits = {name: limit for name, (limit, _check) in bulk.TEXT_RULES.items()}
    assert limits == {
        "quote": 50_000, "body": 50_000, "title": 200, "external_id": 120, "product_area": 80, "segment": 80,
    }  # fmt: skip
    assert bulk.MAX_TAGS == 20
    for name, (_limit, check) in bulk.TEXT_RULES.items():
        assert check("plain words") == "plain words"
        with pytest.raises(ValueError):
            check("bell\x07")  # no field takes control characters
        if name not in ("quote", "body"):
            with pytest.raises(ValueError):
                check("two\nlines")  # a line is one line
