"""Index sync (outbox, drain, rebuild), visibility, snippets, failure modes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlmodel import Session, select

from app.core.errors import ValidationFailed
from app.insights import service as insight_service
from app.insights import stages as stage_service
from app.insights.models import Kind, Status
from app.insights.schemas import InsightCreate, InsightUpdate, StageIn
from app.people.models import Person
from app.search import service as search_service
from app.search.engines.whoosh import WhooshBackend
from app.search.models import SearchOutbox
from app.search.types import SearchUnavailable
from tests.conftest import SearchIndex


def publish(db: Session, cx: Person, title: str, quote: str = "", **extra: object) -> int:
    data = InsightCreate.model_validate(
        {"kind": "feedback", "title": title, "quote": quote or title, "channel": "survey", **extra}
    )
    insight = insight_service.create(db, actor=cx, data=data)
    assert insight.id is not None
    return insight.id


def found(db: Session, actor: Person, text: str, **kw: object) -> list[int]:
    return [h.id for h in search_service.search(db, actor=actor, text=text, **kw).hits]  # type: ignore[arg-type]


def test_every_change_writes_an_outbox_row_in_the_same_transaction(db: Session, cx: Person) -> None:
    insight_id = publish(db, cx, "Late parcel")
    rows = db.exec(select(SearchOutbox).where(SearchOutbox.entity_id == insight_id)).all()
    assert [(r.entity_type, r.op, r.processed_at) for r in rows] == [("insight", "create", None)]
    insight_service.update(db, actor=cx, insight_id=insight_id, data=InsightUpdate(title="Late parcel again"))
    insight_service.set_status(db, actor=cx, insight_id=insight_id, status=Status.archived)
    assert len(db.exec(select(SearchOutbox).where(SearchOutbox.entity_id == insight_id)).all()) == 3


def test_a_refused_change_leaves_no_outbox_row(db: Session, cx: Person) -> None:
    with pytest.raises(ValidationFailed):
        insight_service.create(db, actor=cx, data=InsightCreate(kind=Kind.feedback, title="no quote"))
    db.rollback()
    assert db.exec(select(SearchOutbox)).all() == []


def test_published_insight_is_found_after_the_drain(
    db: Session, cx: Person, employee: Person, search_index: SearchIndex
) -> None:
    insight_id = publish(db, cx, "Wardrobe left downstairs", "The drivers left it in the hallway")
    assert found(db, employee, "hallway") == []  # not yet drained: the web request never writes the index
    assert search_index.sync() == 1
    assert found(db, employee, "hallway") == [insight_id]
    assert db.exec(select(SearchOutbox).where(SearchOutbox.processed_at.is_(None))).all() == []  # type: ignore[union-attr]


def test_archived_insights_are_found_only_by_those_who_may_see_them(
    db: Session, cx: Person, employee: Person, search_index: SearchIndex
) -> None:
    insight_id = publish(db, cx, "Old complaint about tables")
    insight_service.set_status(db, actor=cx, insight_id=insight_id, status=Status.archived)
    search_index.sync()
    assert found(db, employee, "tables") == []
    assert found(db, cx, "tables") == [insight_id]


def test_journey_stage_text_is_searchable(
    db: Session, cx: Person, employee: Person, search_index: SearchIndex
) -> None:
    journey = insight_service.create(
        db,
        actor=cx,
        data=InsightCreate(kind=Kind.journey_map, title="Buying online", stages=[StageIn(name="Discover")]),
    )
    stage_service.add_stage(
        db, actor=cx, journey_id=journey.id or 0, stage=StageIn(name="Wait", thoughts="Is the courier coming")
    )
    search_index.sync()
    assert found(db, employee, "courier") == [journey.id]


def test_incremental_index_answers_like_a_rebuilt_one(
    db: Session, cx: Person, employee: Person, search_index: SearchIndex, tmp_path: Path
) -> None:
    ids = [
        publish(db, cx, f"Delivery story {n}", f"window number {n} was late", tags=["late"]) for n in range(8)
    ]
    insight_service.update(db, actor=cx, insight_id=ids[0], data=InsightUpdate(title="Billing story"))
    insight_service.set_status(db, actor=cx, insight_id=ids[1], status=Status.archived)
    search_index.sync()
    queries = ["delivery", "billing", "late", "window -billing", "stor*", '"window number"']
    incremental = {q: found(db, cx, q) for q in queries}
    incremental_docs = search_index.backend.doc_ids()  # type: ignore[attr-defined]
    rebuilt = WhooshBackend(tmp_path / "rebuilt")
    search_service.reindex(db, backend=rebuilt)
    assert rebuilt.doc_ids() == incremental_docs
    for q in queries:
        assert [
            h.id for h in search_service.search(db, actor=cx, text=q, backend=rebuilt).hits
        ] == incremental[q]


def test_a_crash_between_commit_and_indexing_loses_nothing(
    db: Session, cx: Person, employee: Person, search_index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    insight_id = publish(db, cx, "Mirror arrived cracked")

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("disk went away mid-write")

    with monkeypatch.context() as patch:
        patch.setattr(search_index.backend, "apply", crash)
        with pytest.raises(OSError):
            search_index.sync()
    db.rollback()
    pending = db.exec(select(SearchOutbox).where(SearchOutbox.processed_at.is_(None))).all()  # type: ignore[union-attr]
    assert [r.entity_id for r in pending] == [insight_id]
    search_index.sync()
    assert found(db, employee, "cracked") == [insight_id]


def test_deleted_records_leave_the_index(db: Session, cx: Person, search_index: SearchIndex) -> None:
    insight_id = publish(db, cx, "Gone soon")
    search_index.sync()
    from app.insights.models import Insight
    from app.search import outbox

    db.delete(db.get(Insight, insight_id))
    outbox.enqueue(db, "insight", insight_id, "delete")
    db.commit()
    search_index.sync()
    assert f"insight:{insight_id}" not in search_index.backend.doc_ids()  # type: ignore[attr-defined]


def test_snippets_mark_matched_words_and_escape_everything(
    db: Session, cx: Person, employee: Person, search_index: SearchIndex
) -> None:
    publish(db, cx, "Hostile <b>title</b>", "The <script>alert(1)</script> deliveries were late")
    search_index.sync()
    hit = search_service.search(db, actor=employee, text="delivery").hits[0]
    assert "<mark>deliveries</mark>" in hit.snippet
    assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet


def test_broken_index_says_unavailable_and_reindex_repairs_it(
    db: Session, cx: Person, employee: Person, search_index: SearchIndex
) -> None:
    insight_id = publish(db, cx, "Sofa scratched")
    search_index.sync()
    backend: WhooshBackend = search_index.backend  # type: ignore[assignment]
    for toc in backend.directory.glob("_MAIN_*.toc"):
        toc.write_bytes(b"garbage")
    backend._close()  # another process would see the broken files on its next open
    with pytest.raises(SearchUnavailable):
        search_service.search(db, actor=employee, text="sofa")
    assert backend.status() == "error"
    search_service.reindex(db, backend=backend)
    assert backend.status() == "ok"
    assert found(db, employee, "sofa") == [insight_id]


def test_missing_index_is_rebuilt_by_the_drainer(
    db: Session, cx: Person, employee: Person, search_index: SearchIndex
) -> None:
    insight_id = publish(db, cx, "Chair wobbles")
    search_index.sync()
    shutil.rmtree(search_index.backend.directory)  # type: ignore[attr-defined]
    assert search_index.backend.status() == "missing"  # type: ignore[attr-defined]
    search_index.sync()
    assert found(db, employee, "wobbles") == [insight_id]


def test_header_suggestions_treat_the_last_word_as_a_prefix(
    db: Session, cx: Person, employee: Person, search_index: SearchIndex
) -> None:
    publish(db, cx, "Refund took five weeks")
    factory_journey = insight_service.create(
        db, actor=cx, data=InsightCreate(kind=Kind.journey_map, title="Refund journey")
    )
    search_index.sync()
    groups = search_service.header_suggestions(db, actor=employee, text="refu")
    assert set(groups) == {"feedback", "journey_map"}
    assert groups["journey_map"][0].id == factory_journey.id
