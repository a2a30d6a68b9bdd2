"""JSON API for proposals and support."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.core.types import PathId
from app.flows import proposal_list
from app.proposals import schemas as proposal_schemas
from app.proposals import service as proposal_service
from app.proposals.models import ProposalStatus
from app.proposals.schemas import ProposalCreate, ProposalPage, ProposalRead, SupportCount
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter(prefix="/api/v1/proposals", tags=["proposals"])


@router.post("", name="api:proposals_create", response_model=ProposalRead, status_code=201)
def create(session: SessionDep, me: CurrentPerson, data: ProposalCreate) -> ProposalRead:
    return proposal_service.to_read(session, proposal_service.create(session, actor=me, data=data))


@router.get("", name="api:proposals_list", response_model=ProposalPage)
def list_proposals(
    session: SessionDep,
    me: CurrentPerson,
    status: ProposalStatus | None = None,
    sort: Annotated[str, Query(pattern="^(trending|support|newest)$")] = "newest",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> ProposalPage:
    filters = proposal_schemas.ListFilters(status=status, sort=sort, page=page)
    return proposal_list.read_page(session, filters=filters)


@router.get("/{proposal_id}", name="api:proposal_get", response_model=ProposalRead)
def get(session: SessionDep, me: CurrentPerson, proposal_id: PathId) -> ProposalRead:
    return proposal_service.to_read(session, proposal_service.get(session, proposal_id=proposal_id))


@router.post("/{proposal_id}/support", name="api:proposal_support", response_model=SupportCount)
def support(session: SessionDep, me: CurrentPerson, proposal_id: PathId) -> SupportCount:
    return SupportCount(support_count=proposal_service.support(session, actor=me, proposal_id=proposal_id))


@router.delete("/{proposal_id}/support", name="api:proposal_unsupport", response_model=SupportCount)
def withdraw(session: SessionDep, me: CurrentPerson, proposal_id: PathId) -> SupportCount:
    return SupportCount(support_count=proposal_service.withdraw(session, actor=me, proposal_id=proposal_id))
