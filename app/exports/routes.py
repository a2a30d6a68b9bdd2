"""Export downloads from the insight and proposal lists (the list's own filters apply), for the
pages (`/exports/...`) and the API (`/api/v1/exports/...`, tokens only)."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations, and their
# filters type (Filters) is local to _export_endpoints.

import itertools
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from app.core.types import QueryFilters
from app.exports import service as export_service
from app.insights import schemas as insight_schemas
from app.people.models import Person
from app.proposals import schemas as proposal_schemas
from app.web.deps import CurrentPerson, ReadSessionDep, SessionDep

router = APIRouter()
api_router = APIRouter(prefix="/api/v1/exports", tags=["exports"])

FileFormat = Literal["csv", "json"]
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The rows, streamed: CSV with a header row, or a JSON array of objects.",
        "content": {"text/csv": {}, "application/json": {}},
    }
}


_ROWS: dict[str, tuple[Callable[..., Iterator[list[dict[str, Any]]]], Sequence[str]]] = {
    "insights": (export_service.insight_rows, export_service.INSIGHT_COLUMNS),
    "proposals": (export_service.proposal_rows, export_service.PROPOSAL_COLUMNS),
}


def _download(
    session: Session, reading: Session, me: Person, what: str, file_format: FileFormat, filters: Any
) -> StreamingResponse:
    """Audit the export (a short write, committed at once), then stream its rows in batches from
    the reading session (the body is written as it is read). A client that reads slowly, or stops
    reading, then holds a read transaction only, never the write lock every other write needs."""
    rows, columns = _ROWS[what]
    export_service.record(
        session, actor=me, what=what, file_format=file_format, filters=filters.query_string()
    )
    batches = rows(reading, actor=me, filters=filters)
    # The first batch is read before the answer starts: a failing query is an error page, not a
    # download cut off in the middle.
    first = next(batches, [])
    body = export_service.encode(itertools.chain([first], batches), columns=columns, file_format=file_format)
    name = f"insight-loop-{what}-{date.today().isoformat()}.{file_format}"
    return StreamingResponse(
        body,
        media_type=MEDIA_TYPES[file_format],
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


def _export_endpoints(what: str, filters_model: type[QueryFilters], description: str) -> None:
    """The page download (/exports/{what}.csv|json) and the API one (/api/v1/exports/{what})."""
    Filters = Annotated[filters_model, Query()]  # type: ignore[valid-type]

    @router.get(f"/exports/{what}.{{file_format}}", name=f"exports:{what}", response_class=StreamingResponse)
    def page_download(
        session: SessionDep,
        reading: ReadSessionDep,
        me: CurrentPerson,
        file_format: FileFormat,
        filters: Filters,
    ) -> StreamingResponse:
        return _download(session, reading, me, what, file_format, filters)

    @api_router.get(
        f"/{what}",
        name=f"api:exports_{what}",
        response_class=StreamingResponse,
        responses=DOWNLOAD,
        description=description,
    )
    def api_download(
        session: SessionDep,
        reading: ReadSessionDep,
        me: CurrentPerson,
        filters: Filters,
        file_format: Annotated[FileFormat, Query(alias="format")] = "json",
    ) -> StreamingResponse:
        return _download(session, reading, me, what, file_format, filters)


_export_endpoints(
    "insights",
    insight_schemas.ListFilters,
    "Every insight you may see (the insight list's filters), as CSV or JSON. Audited.",
)
_export_endpoints(
    "proposals",
    proposal_schemas.ListFilters,
    "Every proposal (no author for anonymous ones), as CSV or JSON. Audited.",
)
