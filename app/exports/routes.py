"""Export downloads from the insight and proposal lists (the list's own filters apply), for the
pages (`/exports/...`) and the API (`/api/v1/exports/...`, tokens only)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from app.exports import service as export_service
from app.insights import service as insight_service
from app.people.models import Person
from app.proposals import service as proposal_service
from app.web.deps import CurrentPerson, SessionDep
from app.web.filters import InsightFiltersDep, ProposalFiltersDep

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


def _stream(
    session: Session,
    me: Person,
    *,
    what: str,
    file_format: FileFormat,
    filters: str,
    batches: Iterator[list[dict[str, Any]]],
    columns: Sequence[str],
) -> StreamingResponse:
    export_service.record(session, actor=me, what=what, file_format=file_format, filters=filters)
    body = export_service.encode(batches, columns=columns, file_format=file_format)
    name = f"insight-loop-{what}-{date.today().isoformat()}.{file_format}"
    return StreamingResponse(
        body,
        media_type=MEDIA_TYPES[file_format],
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


def insights(
    session: Session, me: Person, file_format: FileFormat, filters: insight_service.ListFilters
) -> StreamingResponse:
    return _stream(
        session,
        me,
        what="insights",
        file_format=file_format,
        filters=filters.query_string(),
        batches=export_service.insight_rows(session, actor=me, filters=filters),
        columns=export_service.INSIGHT_COLUMNS,
    )


def proposals(
    session: Session, me: Person, file_format: FileFormat, filters: proposal_service.ListFilters
) -> StreamingResponse:
    query = {"status": filters.status.value if filters.status else "", "tag": filters.tag}
    return _stream(
        session,
        me,
        what="proposals",
        file_format=file_format,
        filters=", ".join(f"{k}={v}" for k, v in query.items() if v)
        + (f", department={filters.department_id}" if filters.department_id else ""),
        batches=export_service.proposal_rows(session, actor=me, filters=filters),
        columns=export_service.PROPOSAL_COLUMNS,
    )


@router.get("/exports/insights.{file_format}", name="exports:insights", response_class=StreamingResponse)
def insights_page(
    session: SessionDep, me: CurrentPerson, file_format: FileFormat, filters: InsightFiltersDep
) -> StreamingResponse:
    return insights(session, me, file_format, filters)


@router.get("/exports/proposals.{file_format}", name="exports:proposals", response_class=StreamingResponse)
def proposals_page(
    session: SessionDep, me: CurrentPerson, file_format: FileFormat, filters: ProposalFiltersDep
) -> StreamingResponse:
    return proposals(session, me, file_format, filters)


@api_router.get(
    "/insights", name="api:exports_insights", response_class=StreamingResponse, responses=DOWNLOAD
)
def insights_api(
    session: SessionDep,
    me: CurrentPerson,
    filters: InsightFiltersDep,
    file_format: Annotated[FileFormat, Query(alias="format")] = "json",
) -> StreamingResponse:
    """Every insight you may see (the insight list's filters), as CSV or JSON. Audited."""
    return insights(session, me, file_format, filters)


@api_router.get(
    "/proposals", name="api:exports_proposals", response_class=StreamingResponse, responses=DOWNLOAD
)
def proposals_api(
    session: SessionDep,
    me: CurrentPerson,
    filters: ProposalFiltersDep,
    file_format: Annotated[FileFormat, Query(alias="format")] = "json",
) -> StreamingResponse:
    """Every proposal (no author for anonymous ones), as CSV or JSON. Audited."""
    return proposals(session, me, file_format, filters)
