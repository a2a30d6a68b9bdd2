"""GET /healthz and /readyz: is this process able to serve?

/healthz answers 200 when the database and the search index answer (the contract monitoring uses).
/readyz is for a load balancer: ready only when the database answers, the index is readable and the
data folder has room to write; otherwise 503, so traffic goes to a healthy node."""

from __future__ import annotations

import shutil

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from app import __version__
from app.core import heartbeat
from app.core import outbox as events
from app.core.config import get_settings
from app.core.db import ping
from app.core.models import utcnow
from app.imports import jobs as import_jobs
from app.search import outbox
from app.search import service as search_service
from app.web.deps import SessionDep

router = APIRouter()


@router.get("/healthz", name="health:healthz", include_in_schema=False)
def healthz(session: SessionDep) -> JSONResponse:
    database = _database_status(session)
    index = search_service.index_status()
    backlog = _backlog(session) if database == "ok" else None
    workers = _workers(session, backlog) if database == "ok" else {}
    stalled = any(w["status"] == "stalled" for w in workers.values())
    ok = database == "ok" and index == "ok" and not stalled
    return JSONResponse(
        {
            "status": "ok" if ok else "degraded",
            "database": database,
            "index": index,
            "search_backlog": backlog,
            "events": _events(session) if database == "ok" else None,
            "workers": workers,
            "version": __version__,
        },
        status_code=200 if ok else 503,
    )


def _workers(session: SessionDep, backlog: int | None) -> dict[str, dict[str, object]]:
    """Each background worker's last heartbeat (any process, any node). A worker is "stalled" when
    work waits for it and it has been silent for a minute: the index falls behind, imports wait."""
    try:
        waiting = {"search-drainer": backlog or 0, "import-runner": import_jobs.queued_count(session)}
        found: dict[str, dict[str, object]] = {}
        for kind, work in waiting.items():
            last = heartbeat.last_beat(session, kind)
            late = last is None or utcnow() - last > heartbeat.LATE_AFTER
            status = ("stalled" if work else "idle") if late else "ok"
            found[kind] = {
                "status": status,
                "last_beat_seconds_ago": heartbeat.seconds_since(last),
                "waiting": work,
            }
        return found
    except SQLAlchemyError:
        return {}


def _database_status(session: SessionDep) -> str:
    try:
        return "ok" if ping(session) else "error"
    except SQLAlchemyError:
        return "error"


def _backlog(session: SessionDep) -> int | None:
    try:
        return outbox.backlog(session)
    except SQLAlchemyError:
        return None


def _events(session: SessionDep) -> dict[str, int] | None:
    """Events of the event outbox not yet handled, and those that failed for good (an admin's to
    look at; they do not make the portal unhealthy)."""
    try:
        return events.counts(session)
    except SQLAlchemyError:
        return None


MIN_FREE_BYTES = 200 * 1024 * 1024  # below this, uploads and the index could fail mid-write


@router.get("/readyz", name="health:readyz", include_in_schema=False)
def readyz(session: SessionDep) -> JSONResponse:
    database = _database_status(session)
    index = search_service.index_status()
    data_dir = get_settings().data_dir
    try:
        free = shutil.disk_usage(data_dir if data_dir.exists() else ".").free
    except OSError:
        free = 0
    disk = "ok" if free >= MIN_FREE_BYTES else "low"
    ready = database == "ok" and index == "ok" and disk == "ok"
    return JSONResponse(
        {"ready": ready, "database": database, "index": index, "disk": disk, "version": __version__},
        status_code=200 if ready else 503,
        headers={} if ready else {"Retry-After": "10"},
    )
