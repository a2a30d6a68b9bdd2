"""GET /healthz: the database and the search index answer."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from app import __version__
from app.core.db import ping
from app.core.deps import SessionDep

router = APIRouter()


@router.get("/healthz", name="health:healthz", include_in_schema=False)
def healthz(session: SessionDep) -> JSONResponse:
    try:
        database = "ok" if ping(session) else "error"
    except SQLAlchemyError:
        database = "error"
    ok = database == "ok"
    return JSONResponse(
        {"status": "ok" if ok else "error", "database": database, "version": __version__},
        status_code=200 if ok else 503,
    )
