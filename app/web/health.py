"""GET /healthz: the database and the search index answer."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from app import __version__
from app.core.db import ping
from app.core.deps import SessionDep
from app.search import outbox
from app.search import service as search_service

router = APIRouter()


@router.get("/healthz", name="health:healthz", include_in_schema=False)
def healthz(session: SessionDep) -> JSONResponse:
    try:
        database = "ok" if ping(session) else "error"
    except SQLAlchemyError:
        database = "error"
    index = search_service.index_status()
    ok = database == "ok" and index == "ok"
    return JSONResponse(
        {
            "status": "ok" if ok else "degraded",
            "database": database,
            "index": index,
            "search_backlog": _backlog(session) if database == "ok" else None,
            "version": __version__,
        },
        status_code=200 if ok else 503,
    )


def _backlog(session: SessionDep) -> int | None:
    try:
        return outbox.backlog(session)
    except SQLAlchemyError:
        return None
