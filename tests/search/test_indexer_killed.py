"""F2 of security.md: the indexer is killed (-9) while it holds a Whoosh writer with thousands of
uncommitted documents. The lock goes with the process, the index is its last commit, the next
commit clears what the dead writer left, and the outbox rows still there complete the index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlmodel import Session

from app.insights import service as insight_service
from app.insights.schemas import InsightCreate
from app.people.models import Person
from app.search import service as search_service
from app.search.engines.whoosh import WhooshBackend
from app.search.types import SearchDoc, SearchQuery

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from app.search.engines.whoosh import WhooshBackend, _fields
    from app.search.types import SearchDoc

    backend = WhooshBackend(Path(sys.argv[1]))
    with backend.indexer_lock() as mine:
        assert mine
        writer = backend._open_for_writing().writer(timeout=5.0, limitmb=16)
        for n in range(5000):
            writer.add_document(**_fields(SearchDoc(
                doc_id=f"insight:{100000 + n}", type="insight", entity_id=100000 + n, kind="feedback",
                title=f"Uncommitted {n}", body="never committed " * 20, tags=[], status="published",
                created=1_700_000_000, support=0)))
        print("holding", flush=True)
        time.sleep(600)
    """
)


def _doc(n: int) -> SearchDoc:
    return SearchDoc(
        doc_id=f"insight:{900000 + n}",
        type="insight",
        entity_id=900000 + n,
        kind="feedback",
        title=f"Committed {n}",
        body="committed before the crash",
        tags=[],
        status="published",
        created=1_700_000_000,
        support=0,
    )


def test_a_writer_killed_mid_write_leaves_the_last_commit_and_the_outbox_completes_it(
    tmp_path: Path, db: Session, cx: Person
) -> None:
    folder = tmp_path / "index"
    backend = WhooshBackend(folder)
    with backend.indexer_lock():
        backend.rebuild(_doc(n) for n in range(50))
    # Three insights wait in the outbox, as if the crash came before the indexer reached them.
    for title in ("Kiosk froze", "Kiosk rebooted", "Kiosk slow"):
        data = InsightCreate.model_validate(
            {"kind": "feedback", "title": title, "quote": "q", "channel": "survey"}
        )
        insight_service.create(db, actor=cx, data=data)
    before = {p.name for p in folder.iterdir()}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder)], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        # The dead writer's work is on disk (its lock file, temporary segment files).
        left_behind = {p.name for p in folder.iterdir()} - before
        with backend.indexer_lock(wait=0) as mine:
            assert not mine  # it holds the indexer lock while it lives
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    assert left_behind, "the killed writer wrote nothing to the folder"
    with backend.indexer_lock(wait=5) as mine:
        assert mine  # the lock went with the process (fcntl)
    assert backend.search(SearchQuery(text="committed")).total == 50  # the last commit, nothing of the rest
    assert backend.search(SearchQuery(text="uncommitted")).total == 0
    applied = search_service.drain(db, backend=backend, wait=5)
    assert applied >= 3
    assert backend.search(SearchQuery(text="kiosk")).total == 3
    assert len(backend.doc_ids()) == 53
    assert not left_behind & {p.name for p in folder.iterdir()}, (
        "the next commit left the dead writer's files"
    )
