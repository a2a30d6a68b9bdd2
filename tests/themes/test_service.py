"""Themes without HTTP: found offline, deterministic, covered or not, archived feedback left out."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.core.errors import PermissionDenied
from app.core.models import utcnow
from app.insights import service as insight_service
from app.insights.models import Evidence, Insight, Status
from app.people.models import Person
from app.themes import engine
from app.themes import service as theme_service
from app.themes.models import ThemeMember


def topic_of(feedback: dict[str, list[Insight]]) -> dict[int, str]:
    return {i.id or 0: topic for topic, items in feedback.items() for i in items}


def test_themes_gather_each_topic_in_its_own_words(
    db: Session, cx: Person, feedback: dict[str, list[Insight]]
) -> None:
    run = theme_service.refresh(db)
    assert run.feedback == 72 and run.themes >= 3
    views = theme_service.themes(db, actor=cx)
    where = topic_of(feedback)
    for view in views:
        topics = Counter(where[i] for i in view.member_ids)
        topic, count = topics.most_common(1)[0]
        assert count / view.size >= 0.8, (view.theme.label, topics)  # one topic each
        texts = " ".join(
            i.quote.lower() for items in feedback.values() for i in items if i.id in view.member_ids
        )
        assert all(word in texts for word in engine.words_of(view.theme.label))  # the customers' words
    assert {Counter(where[i] for i in v.member_ids).most_common(1)[0][0] for v in views} == set(feedback)


def test_the_same_feedback_gives_the_same_themes_under_the_same_ids(
    db: Session, cx: Person, feedback: dict[str, list[Insight]]
) -> None:
    theme_service.refresh(db)
    first = [(v.theme.id, v.theme.label, v.member_ids) for v in theme_service.themes(db, actor=cx)]
    theme_service.refresh(db)
    assert [(v.theme.id, v.theme.label, v.member_ids) for v in theme_service.themes(db, actor=cx)] == first
    docs = theme_service.feedback_docs(db)
    assert [f.members for f in engine.find_themes(docs)] == [
        f.members for f in engine.find_themes(docs[::-1])
    ]


def test_a_pain_point_from_a_theme_holds_its_feedback_and_covers_it(
    db: Session, cx: Person, feedback: dict[str, list[Insight]]
) -> None:
    theme_service.refresh(db)
    view = theme_service.themes(db, actor=cx)[0]
    assert view.covered_by == []
    pain_point = theme_service.make_pain_point(db, actor=cx, theme_id=view.theme.id or 0)
    evidence = db.exec(select(Evidence.feedback_id).where(Evidence.pain_point_id == pain_point.id)).all()
    assert sorted(evidence) == sorted(view.member_ids) and pain_point.severity == 3
    covered = theme_service.theme(db, actor=cx, theme_id=view.theme.id or 0)
    assert covered.covered_by == [pain_point.id]
    listed = theme_service.themes(db, actor=cx)
    assert listed[-1].theme.id == view.theme.id  # uncovered themes come first
    insight_service.set_status(db, actor=cx, insight_id=pain_point.id or 0, status=Status.archived)
    assert theme_service.theme(db, actor=cx, theme_id=view.theme.id or 0).covered_by == []


def test_archived_feedback_leaves_its_theme_at_once_and_at_the_next_refresh(
    db: Session, cx: Person, feedback: dict[str, list[Insight]]
) -> None:
    theme_service.refresh(db)
    view = theme_service.themes(db, actor=cx)[0]
    gone = view.member_ids[0]
    insight_service.set_status(db, actor=cx, insight_id=gone, status=Status.archived)
    again = theme_service.theme(db, actor=cx, theme_id=view.theme.id or 0)
    assert gone not in again.member_ids and again.size == view.size - 1
    assert theme_service.due(db, now=utcnow() + timedelta(minutes=10))
    theme_service.refresh(db)
    assert db.exec(select(ThemeMember).where(ThemeMember.insight_id == gone)).first() is None


def test_the_worker_refreshes_only_when_the_feedback_changed(
    db: Session, cx: Person, feedback: dict[str, list[Insight]]
) -> None:
    assert theme_service.due(db)
    theme_service.refresh(db)
    later = utcnow() + timedelta(minutes=10)
    assert not theme_service.due(db, now=later)
    insight_service.set_status(db, actor=cx, insight_id=feedback["app"][0].id or 0, status=Status.archived)
    assert not theme_service.due(db)  # changed, but the last run was a moment ago
    assert theme_service.due(db, now=later)


def test_only_cx_staff_and_leaders_read_themes_and_only_cx_staff_make_pain_points(
    db: Session, employee: Person, leader: Person, feedback: dict[str, list[Insight]]
) -> None:
    theme_service.refresh(db)
    with pytest.raises(PermissionDenied):
        theme_service.themes(db, actor=employee)
    view = theme_service.themes(db, actor=leader)[0]
    with pytest.raises(PermissionDenied):
        theme_service.make_pain_point(db, actor=leader, theme_id=view.theme.id or 0)
    assert theme_service.suggest(db, actor=employee, text="refund") == []


def test_filters_and_suggestions(db: Session, cx: Person, feedback: dict[str, list[Insight]]) -> None:
    theme_service.refresh(db)
    since = utcnow().date() + timedelta(days=1)
    assert theme_service.themes(db, actor=cx, filters=theme_service.Filters(since=since)) == []
    assert theme_service.themes(db, actor=cx, filters=theme_service.Filters(department_id=999)) == []
    suggested = theme_service.suggest(db, actor=cx, text="Refund never came")
    assert suggested and "refund" in " ".join(suggested[0].theme.terms)


def test_too_little_feedback_makes_no_themes(db: Session, cx: Person) -> None:
    assert theme_service.refresh(db).themes == 0
    assert theme_service.themes(db, actor=cx) == []


def test_feedback_with_no_shared_words_makes_no_themes_and_no_error() -> None:
    same = [engine.Doc(id=n, text="ok") for n in range(30)]
    assert engine.find_themes(same) == []
    apart = [engine.Doc(id=n, text=f"word{n} other{n} thing{n}") for n in range(30)]
    assert engine.find_themes(apart) == []
