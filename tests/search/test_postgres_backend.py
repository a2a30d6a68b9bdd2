"""PORTAL_SEARCH_BACKEND=postgres: indexed in the same transaction, found on every node at once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from app.core.config import get_settings
from app.core.db import one_transaction
from app.insights import service as insight_service
from app.insights.schemas import InsightCreate
from app.people.models import Role
from app.search import service as search_service
from app.search.engines.postgres import PostgresBackend
from tests import factories, live
from tests.databases import postgres_search_backend


@pytest.fixture
def pg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PostgresBackend]:
    with postgres_search_backend(tmp_path) as backend:
        url = backend.engine.url.render_as_string(hide_password=False)
        monkeypatch.setenv("PORTAL_DATABASE_URL", url)
        monkeypatch.setenv("PORTAL_SEARCH_BACKEND", "postgres")
        get_settings.cache_clear()
        yield backend
        get_settings.cache_clear()


def feedback(title: str) -> InsightCreate:
    return InsightCreate.model_validate(
        {"kind": "feedback", "title": title, "quote": "q", "channel": "survey"}
    )


def test_a_change_is_searchable_the_moment_it_commits(pg: PostgresBackend) -> None:
    with Session(pg.engine, expire_on_commit=False) as session:
        cx = factories.person(session, role=Role.cx)
        insight = insight_service.create(session, actor=cx, data=feedback("Courier rang the wrong bell"))
        # No drain, no worker: the document was written in the insight's own transaction.
        found = search_service.search(session, actor=cx, text="courier bell", backend=pg)
        assert [h.id for h in found.hits] == [insight.id]
        insight_service.update(
            session,
            actor=cx,
            insight_id=insight.id or 0,
            data=insight_service.InsightUpdate(title="Parcel left outside"),
        )
        assert search_service.search(session, actor=cx, text="courier", backend=pg).total == 0
        assert search_service.search(session, actor=cx, text="parcel outside", backend=pg).total == 1


def test_a_rolled_back_change_leaves_no_document(pg: PostgresBackend) -> None:
    with Session(pg.engine, expire_on_commit=False) as session:
        cx = factories.person(session, role=Role.cx)
        before = pg.doc_ids()
        with pytest.raises(Exception):  # noqa: B017  any failure inside the transaction
            with session.begin_nested(), one_transaction(session):
                insight_service.create(session, actor=cx, data=feedback("Never committed"))
                session.flush()
                raise RuntimeError("the change fails")
        session.rollback()
        assert pg.doc_ids() == before


def test_two_app_nodes_on_one_database_see_each_others_writes_at_once(tmp_path: Path) -> None:
    with postgres_search_backend(tmp_path) as backend:
        db_url = backend.engine.url.render_as_string(hide_password=False)
        token = live.person_with_token(db_url, role=Role.cx, email="nodes@e2e.test")
        env = {"PORTAL_SEARCH_BACKEND": "postgres", "PORTAL_INDEX_DRAINER": "false"}
        headers = {"Authorization": f"Bearer {token}"}
        with live.two_nodes(tmp_path, db_url, env) as (node_a, node_b):
            created = httpx.post(
                f"{node_a.url}/api/v1/insights",
                json={
                    "kind": "feedback",
                    "title": "Sofa legs missing from the box",
                    "quote": "q",
                    "channel": "survey",
                },
                headers=headers,
                timeout=10,
            )
            assert created.status_code == 201, created.text
            written = time.monotonic()
            while True:
                found = httpx.get(
                    f"{node_b.url}/api/v1/search?q=sofa+legs", headers=headers, timeout=10
                ).json()
                if found["total"] == 1:
                    break
                assert time.monotonic() - written < 1.0, "node B did not find node A's write within 1 s"
                time.sleep(0.05)
            assert found["hits"][0]["id"] == created.json()["id"]


def test_one_worker_at_a_time_drains_across_nodes(pg: PostgresBackend) -> None:
    other_node = PostgresBackend(pg.engine)
    with pg.indexer_lock() as first:
        with other_node.indexer_lock(wait=0.3) as second:
            assert first and not second
    with other_node.indexer_lock() as again:
        assert again
