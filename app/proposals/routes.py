"""Proposal pages: list, propose (with similar proposals while typing), detail, support, follow."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.core.errors import Conflict, ValidationFailed, field_errors
from app.core.forms import FormState, checked
from app.core.htmx import fragment_or_redirect, see_other
from app.core.templating import render
from app.core.types import PathId, QueryId, parse_ids
from app.flows import finding, follows, pages
from app.insights import service as insight_service
from app.notifications import service as notification_service
from app.people import service as people_service
from app.proposals import schemas as proposal_schemas
from app.proposals import service as proposal_service
from app.web.deps import CurrentPerson, FormDep, SessionDep
from app.web.filters import ProposalFiltersDep

router = APIRouter()


@router.get("/proposals", name="proposals:list", response_class=HTMLResponse)
def list_page(
    request: Request, session: SessionDep, me: CurrentPerson, filters: ProposalFiltersDep
) -> Response:
    return render(request, "proposals/list.html", pages.proposal_list(session, filters), block="results")


def _form(
    request: Request, session: SessionDep, me: CurrentPerson, form: FormState, q: str | None = None
) -> Response:
    chosen = insight_service.get_many(session, actor=me, ids=form.values.get("insight_ids") or [])
    departments = people_service.list_departments(session)
    context = {"values": form.values, "errors": form.errors, "chosen": chosen, "departments": departments}
    if q is not None:  # "Find" pressed without JavaScript: the insights found, to tick, on the form as it was
        taken = {i.id for i in chosen}
        found = [i for i in finding.find_insights(session, actor=me, text=q) if i.id not in taken]
        context.update(found=found, q=q)
    return render(request, "proposals/form.html", context, status_code=form.status_code)


@router.get("/proposals/new", name="proposals:new_form", response_class=HTMLResponse)
def new_form(request: Request, session: SessionDep, me: CurrentPerson, insight: QueryId = None) -> Response:
    values = {"insight_ids": [insight] if insight else [], "department_ids": []}
    return _form(request, session, me, FormState(values))


@router.post("/proposals/new", name="proposals:create", response_class=HTMLResponse)
def create(request: Request, session: SessionDep, me: CurrentPerson, form: FormDep) -> Response:
    values: dict[str, Any] = {
        "title": str(form.get("title", "")),
        "problem": str(form.get("problem", "")),
        "change": str(form.get("change", "")),
        "impact": str(form.get("impact", "")),
        "insight_ids": parse_ids(form.getlist("insight_ids")),
        "department_ids": parse_ids(form.getlist("department_ids")),
        "anonymous": checked(form.get("anonymous")),
    }
    if form.get("action") == "find":
        return _form(request, session, me, FormState(values), q=str(form.get("q", ""))[:200])
    try:
        proposal = proposal_service.create(session, actor=me, data=proposal_schemas.ProposalCreate(**values))
    except (ValidationError, ValidationFailed) as exc:
        return _form(request, session, me, FormState(values, field_errors(exc)))
    note = " Nobody else sees that it was you." if proposal.is_anonymous else ""
    return see_other(f"/proposals/{proposal.id}", flash=f"Your proposal is published.{note}")


@router.get("/proposals/similar", name="proposals:similar", response_class=HTMLResponse)
def similar(
    request: Request, session: SessionDep, me: CurrentPerson, title: str = "", problem: str = ""
) -> Response:
    found = finding.similar_proposals(session, actor=me, text=f"{title[:200]} {problem[:500]}")
    return render(request, "proposals/_similar.html", {"found": found})


@router.get("/proposals/pick-insights", name="proposals:pick_insights", response_class=HTMLResponse)
def pick_insights(request: Request, session: SessionDep, me: CurrentPerson, q: str = "") -> Response:
    found = finding.find_insights(session, actor=me, text=q)
    return render(request, "proposals/_pick_insights.html", {"found": found, "q": q})


@router.get("/proposals/{proposal_id}", name="proposals:detail", response_class=HTMLResponse)
def detail(request: Request, session: SessionDep, me: CurrentPerson, proposal_id: PathId) -> Response:
    return render(request, "proposals/detail.html", pages.proposal_page(session, me, proposal_id))


def _support_block(
    request: Request, session: SessionDep, me: CurrentPerson, proposal_id: int, message: str
) -> Response:
    return fragment_or_redirect(
        request,
        lambda: render(
            request, "proposals/detail.html", pages.proposal_page(session, me, proposal_id), block="support"
        ),
        f"/proposals/{proposal_id}",
        flash=message,
    )


@router.post("/proposals/{proposal_id}/support", name="proposals:support", response_class=HTMLResponse)
def support(request: Request, session: SessionDep, me: CurrentPerson, proposal_id: PathId) -> Response:
    try:
        proposal_service.support(session, actor=me, proposal_id=proposal_id)
    except Conflict as exc:
        return see_other(f"/proposals/{proposal_id}", flash=exc.message)
    return _support_block(
        request, session, me, proposal_id, "You support this proposal and will hear what happens."
    )


@router.post("/proposals/{proposal_id}/unsupport", name="proposals:unsupport", response_class=HTMLResponse)
def unsupport(request: Request, session: SessionDep, me: CurrentPerson, proposal_id: PathId) -> Response:
    proposal_service.withdraw(session, actor=me, proposal_id=proposal_id)
    return _support_block(request, session, me, proposal_id, "Your support is withdrawn.")


@router.post("/proposals/{proposal_id}/follow", name="proposals:follow")
def follow(session: SessionDep, me: CurrentPerson, proposal_id: PathId) -> Response:
    follows.follow(session, person=me, target_type="proposal", target_key=str(proposal_id))
    return see_other(f"/proposals/{proposal_id}", flash="You follow this proposal.")


@router.post("/proposals/{proposal_id}/unfollow", name="proposals:unfollow")
def unfollow(session: SessionDep, me: CurrentPerson, proposal_id: PathId) -> Response:
    notification_service.stop_following(
        session, person=me, target_type="proposal", target_key=str(proposal_id)
    )
    return see_other(f"/proposals/{proposal_id}", flash="You no longer follow this proposal.")
