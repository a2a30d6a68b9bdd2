"""The review queue and decisions (leaders), over pages and the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.core.errors import ValidationFailed
from app.core.forms import checked
from app.core.htmx import see_other
from app.core.templating import render
from app.core.types import PathId
from app.flows import pages
from app.proposals import decisions
from app.proposals import pages as review_pages
from app.proposals import service as proposal_service
from app.proposals.schemas import Decision, DecisionForm, ProposalRead
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter()


@router.get("/review", name="review:queue", response_class=HTMLResponse)
def queue(request: Request, session: SessionDep, me: CurrentPerson) -> Response:
    return render(request, "review/queue.html", review_pages.review_queue(session))


@router.post("/proposals/{proposal_id}/decision", name="proposals:decide", response_class=HTMLResponse)
def decide(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    proposal_id: PathId,
    form: Annotated[DecisionForm, Form()],
) -> Response:
    decision = form.decision()
    if form.status == "duplicate" and form.response.strip() and not checked(form.confirm_merge):
        # A merge moves supporters and tells everyone: the leader picks the original by its title
        # and status, and confirms, before anything happens.
        context = pages.merge_confirmation(session, me, proposal_id, form.duplicate_of, form.model_dump())
        return render(request, "proposals/detail.html", context, status_code=context["merge"].status_code)
    try:
        proposal = decisions.decide(session, actor=me, proposal_id=proposal_id, decision=decision)
    except ValidationFailed as exc:
        context = pages.proposal_page(session, me, proposal_id)
        context.update(decision_errors=exc.errors, decision_values=form.model_dump())
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
    return render(request, "review/workload.html", review_pages.workload(session))
