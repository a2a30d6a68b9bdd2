"""Figures kept for a stated time (app/core/cache.py): computed once, recomputed on this process's
own writes to what they count, or once their time is up; never shared between databases."""

from __future__ import annotations

import threading
import time

from sqlmodel import Session

from app.core import cache
from app.insights import service as insight_service
from app.insights import tags as tag_service
from app.insights.models import Kind, Status
from app.people.models import Person
from tests import factories


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


def test_a_figure_is_computed_once_within_its_time() -> None:
    compute = Counting()
    for _ in range(5):
        assert cache.remember("figure", (), compute, tables=("insight",), database="one") == 1
    assert compute.calls == 1


def test_a_figure_is_computed_again_when_its_time_is_up() -> None:
    compute = Counting()
    cache.remember("figure", (), compute, tables=("insight",), database="one", ttl=0.05)
    time.sleep(0.06)
    assert cache.remember("figure", (), compute, tables=("insight",), database="one", ttl=0.05) == 2


def test_two_databases_never_share_a_figure() -> None:
    compute = Counting()
    assert cache.remember("figure", (), compute, tables=("insight",), database="one") == 1
    assert cache.remember("figure", (), compute, tables=("insight",), database="two") == 2


def test_a_write_to_another_table_keeps_the_figure() -> None:
    compute = Counting()
    cache.remember("figure", (), compute, tables=("insight",), database="one")
    cache.touch("proposal")
    assert cache.remember("figure", (), compute, tables=("insight",), database="one") == 1


def test_counts_by_kind_show_an_insight_published_in_this_process_at_once(db: Session, cx: Person) -> None:
    before = insight_service.counts_by_kind(db, actor=cx).get(Kind.pain_point, 0)
    factories.published(db, by=cx, kind="pain_point", title="Refunds take three weeks", severity=4)
    assert insight_service.counts_by_kind(db, actor=cx)[Kind.pain_point] == before + 1
    insight = factories.insight(db, kind=Kind.pain_point, title="Another one")
    assert insight_service.counts_by_kind(db, actor=cx)[Kind.pain_point] == before + 2
    insight_service.set_status(db, actor=cx, insight_id=insight.id or 0, status=Status.archived)
    assert insight_service.counts_by_kind(db, actor=cx)[Kind.pain_point] == before + 1


def test_rows_written_by_the_bulk_importer_count_at_once(db: Session, cx: Person) -> None:
    """The importer writes with driver SQL (core.bulk), past the ORM: its rows count too."""
    from app.core.bulk import insert_rows
    from app.insights.models import Insight

    before = insight_service.counts_by_kind(db, actor=cx).get(Kind.feedback, 0)
    table = Insight.__table__  # type: ignore[attr-defined]
    rows = [("feedback", "published", f"Imported {n}", "words", cx.id) for n in range(3)]
    insert_rows(db.connection(), table, ["kind", "status", "title", "quote", "author_id"], rows)
    assert insight_service.counts_by_kind(db, actor=cx)[Kind.feedback] == before + 3


def test_tag_suggestions_follow_tagging_and_hide_archived_insights_tags(
    db: Session, cx: Person, employee: Person
) -> None:
    factories.insight(db, tags=["late-delivery"])
    assert tag_service.suggest_tags(db, actor=employee, prefix="deli") == ["late-delivery"]
    factories.insight(db, tags=["delivery-window"], status=Status.archived)
    # Typing a word of the tag finds it; the archived insight's tag only for CX staff.
    assert tag_service.suggest_tags(db, actor=employee, prefix="deli") == ["late-delivery"]
    assert sorted(tag_service.suggest_tags(db, actor=cx, prefix="deli")) == [
        "delivery-window",
        "late-delivery",
    ]


def test_while_one_request_computes_an_expired_figure_again_the_others_get_the_kept_one() -> None:
    started, release = threading.Event(), threading.Event()
    cache.remember("figure", (), lambda: "kept", tables=("insight",), database="one", ttl=0.01)
    time.sleep(0.02)

    def slow() -> str:
        started.set()
        release.wait(5)
        return "new"

    computing = threading.Thread(
        target=cache.remember,
        args=("figure", (), slow),
        kwargs={"tables": ("insight",), "database": "one", "ttl": 0.01},
    )
    computing.start()
    assert started.wait(5)
    compute = Counting()
    assert cache.remember("figure", (), compute, tables=("insight",), database="one", ttl=0.01) == "kept"
    assert compute.calls == 0
    release.set()
    computing.join(5)
    assert cache.remember("figure", (), compute, tables=("insight",), database="one", ttl=60) == "new"
