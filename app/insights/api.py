"""JSON API for insights: /api/v1/insights (same permissions as the pages)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response

from app.core.config import get_settings
from app.core.types import PathId
from app.flows import outcomes
from app.insights import attachments as attachment_service
from app.insights import schemas as insight_schemas
from app.insights import service as insight_service
from app.insights.models import Kind, Status
from app.insights.schemas import AttachmentRead, InsightCreate, InsightPage, InsightRead, InsightUpdate
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter(prefix="/api/v1/insights", tags=["insights"])


@router.get("", name="api:insights_list", response_model=InsightPage)
def list_insights(
    session: SessionDep,
    me: CurrentPerson,
    kind: Kind | None = None,
    tag: Annotated[str, Query(max_length=50)] = "",
    status: Status | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> InsightPage:
    filters = insight_schemas.ListFilters(kind=kind, tag=tag, status=status, page=page)
    return outcomes.read_page(session, actor=me, filters=filters)


@router.post("", name="api:insights_create", response_model=InsightRead, status_code=201)
def create_insight(session: SessionDep, me: CurrentPerson, data: InsightCreate) -> InsightRead:
    insight = outcomes.create_insight(session, actor=me, data=data)
    return outcomes.read(session, insight)


@router.get("/{insight_id}", name="api:insight_get", response_model=InsightRead)
def get_insight(session: SessionDep, me: CurrentPerson, insight_id: PathId) -> InsightRead:
    return outcomes.read(session, insight_service.get_visible(session, actor=me, insight_id=insight_id))


@router.patch("/{insight_id}", name="api:insight_update", response_model=InsightRead)
def update_insight(
    session: SessionDep, me: CurrentPerson, insight_id: PathId, data: InsightUpdate
) -> InsightRead:
    insight = outcomes.update_insight(session, actor=me, insight_id=insight_id, data=data)
    return outcomes.read(session, insight)


@router.delete("/{insight_id}", name="api:insight_archive", status_code=204)
def archive_insight(session: SessionDep, me: CurrentPerson, insight_id: PathId) -> Response:
    """Archives: the insight stays, hidden from everyone but CX staff and admins."""
    insight_service.set_status(session, actor=me, insight_id=insight_id, status=Status.archived)
    return Response(status_code=204)


@router.post(
    "/{insight_id}/attachments", name="api:insight_attach", response_model=AttachmentRead, status_code=201
)
def attach(
    session: SessionDep, me: CurrentPerson, insight_id: PathId, file: Annotated[UploadFile, File()]
) -> AttachmentRead:
    data = file.file.read(get_settings().max_upload_bytes + 1)
    attachment = attachment_service.store(
        session, actor=me, insight_id=insight_id, filename=file.filename or "file", data=data
    )
    return AttachmentRead(
        id=attachment.id or 0,
        name=attachment.original_name,
        content_type=attachment.content_type,
        size=attachment.size,
        url=f"/attachments/{attachment.id}",
    )
