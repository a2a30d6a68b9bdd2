"""The review queue and decisions (leaders), over pages and the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.core.config import get_settings
from app.core.errors import ValidationFailed
from app.core.htmx import see_other
from app.core.templating import render
from app.core.types import PathId, parse_id
from app.flows import pages
from app.proposals import decisions
from app.proposals import service as proposal_service
from app.proposals.decisions import Decision
from app.proposals.service import ProposalRead
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter()


@router.get("/review", name="review:queue", response_class=HTMLResponse)
def queue(request: Request, session: SessionDep, me: CurrentPerson) -> Response:
    items = decisions.review_queue(session)
    return render(
        request,
        "review/queue.html",
        {
            "items": items,
            "target_days": get_settings().response_target_days,
            "overdue": sum(1 for i in items if i.overdue),
        },
    )


@router.post("/proposals/{proposal_id}/decision", name="proposals:decide", response_class=HTMLResponse)
def decide(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    proposal_id: PathId,
    status: Annotated[str, Form(max_length=20)] = "",
    response: Annotated[str, Form(max_length=20_000)] = "",
    owner_team: Annotated[str, Form(max_length=120)] = "",
    duplicate_of: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    decision = Decision(
        status=status,
        response=response,
        owner_team=owner_team or None,
        duplicate_of=parse_id(duplicate_of),
    )
    try:
        proposal = decisions.decide(session, actor=me, proposal_id=proposal_id, decision=decision)
    except ValidationFailed as exc:
        context = pages.proposal_page(session, me, proposal_id)
        context.update(decision_errors=exc.errors, decision_values=decision.model_dump())
        return render(request, "proposals/detail.html", context, status_code=422)
    return see_other(
        f"/proposals/{proposal_id}#timeline",
        flash=f"Decision published: {proposal.status.label}. Everyone involved has been told.",
    )


@router.post(
    "/api/v1/proposals/{proposal_id}/decision",
    name="api:proposal_decision",
    response_model=ProposalRead,
    tags=["proposals"],
)
def api_decide(
    session: SessionDep, me: CurrentPerson, proposal_id: PathId, decision: Decision
) -> ProposalRead:
    proposal = decisions.decide(session, actor=me, proposal_id=proposal_id, decision=decision)
    return proposal_service.to_read(session, proposal)


@router.get("/workload", name="review:workload", response_class=HTMLResponse)
def workload(request: Request, session: SessionDep, me: CurrentPerson) -> Response:
    """Per department and team: the accepted and in-progress proposals they carry."""
    loads = decisions.team_loads(session)
    carried = decisions.open_work_by_team(session)
    departments: dict[str, list[decisions.TeamLoad]] = {}
    for load in loads:
        departments.setdefault(load.department.name, []).append(load)
    return render(
        request,
        "review/workload.html",
        {"departments": departments, "carried": carried, "total": sum(load.open_count for load in loads)},
    )
