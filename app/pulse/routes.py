"""Pulse pages: the rounds, answering, and (for leaders) opening, closing and results."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.core.csvexport import to_csv
from app.core.errors import ValidationFailed, field_errors
from app.core.forms import FormState, checked
from app.core.htmx import see_other
from app.core.models import utcnow
from app.core.templating import render
from app.core.types import PathId, parse_id, parse_ids
from app.pulse import actions as action_service
from app.pulse import pages as pulse_pages
from app.pulse import schedules as schedule_service
from app.pulse import schemas as pulse_schemas
from app.pulse import service as pulse_service
from app.web.deps import CurrentPerson, FormDep, SessionDep

router = APIRouter()


@router.get("/pulse", name="pulse:index", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, me: CurrentPerson) -> Response:
    return render(request, "pulse/index.html", pulse_pages.index(session, me))


def _new_form(request: Request, session: SessionDep, form: FormState) -> Response:
    return render(
        request, "pulse/new.html", pulse_pages.new_round(session, form), status_code=form.status_code
    )


@router.get("/pulse/new", name="pulse:new_form", response_class=HTMLResponse)
def new_form(request: Request, session: SessionDep, me: CurrentPerson) -> Response:
    closes = utcnow().date() + timedelta(days=14)
    return _new_form(
        request, session, FormState({"title": "", "closes_on": closes.isoformat(), "team_ids": []})
    )


@router.post("/pulse/new", name="pulse:create", response_class=HTMLResponse)
def create(request: Request, session: SessionDep, me: CurrentPerson, form: FormDep) -> Response:
    values: dict[str, Any] = {
        "title": str(form.get("title", "")),
        "closes_on": str(form.get("closes_on", "")),
        "team_ids": parse_ids(form.getlist("team_ids")),
        "free_text": checked(form.get("free_text")),
    }
    try:
        round_ = pulse_service.open_round(session, actor=me, data=pulse_schemas.RoundCreate(**values))
    except (ValidationError, ValidationFailed) as exc:
        return _new_form(request, session, FormState(values, field_errors(exc)))
    invited = pulse_service.invited_count(session, round_id=round_.id or 0)
    return see_other(f"/pulse/{round_.id}", flash=f"Pulse round opened for {invited} people.")


def _schedule_form(request: Request, session: SessionDep, form: FormState) -> Response:
    return render(
        request,
        "pulse/schedule_new.html",
        pulse_pages.new_schedule(session, form),
        status_code=form.status_code,
    )


@router.get("/pulse/schedules/new", name="pulse:schedule_form", response_class=HTMLResponse)
def schedule_form(request: Request, session: SessionDep, me: CurrentPerson) -> Response:
    pulse_service.check_opener(me)
    first = utcnow().date() + timedelta(days=1)
    values = {
        "title": "Team pulse",
        "cadence": "monthly",
        "open_days": "7",
        "first_opens_on": first.isoformat(),
    }
    return _schedule_form(request, session, FormState({**values, "team_ids": []}))


@router.post("/pulse/schedules/new", name="pulse:schedule_create", response_class=HTMLResponse)
def schedule_create(request: Request, session: SessionDep, me: CurrentPerson, form: FormDep) -> Response:
    values: dict[str, Any] = {
        "title": str(form.get("title", "")),
        "cadence": str(form.get("cadence", "")),
        "open_days": str(form.get("open_days", "")),
        "first_opens_on": str(form.get("first_opens_on", "")),
        "team_ids": parse_ids(form.getlist("team_ids")),
        "free_text": checked(form.get("free_text")),
    }
    try:
        schedule = schedule_service.create(session, actor=me, data=pulse_schemas.ScheduleCreate(**values))
    except (ValidationError, ValidationFailed) as exc:
        return _schedule_form(request, session, FormState(values, field_errors(exc)))
    return see_other(
        "/pulse",
        flash=f"Scheduled: the first round opens on {schedule.next_opens_on:%-d %B %Y}.",
    )


@router.post("/pulse/schedules/{schedule_id}/stop", name="pulse:schedule_stop", response_class=HTMLResponse)
def schedule_stop(session: SessionDep, me: CurrentPerson, schedule_id: PathId) -> Response:
    schedule = schedule_service.stop(session, actor=me, schedule_id=schedule_id)
    return see_other("/pulse", flash=f"“{schedule.title}” opens no more rounds.")


@router.get("/pulse/actions", name="pulse:plan", response_class=HTMLResponse)
def plan(request: Request, session: SessionDep, me: CurrentPerson) -> Response:
    return render(request, "pulse/plan.html", pulse_pages.company_plan(session))


def _team_page(
    request: Request, session: SessionDep, me: CurrentPerson, team_id: int, form: FormState | None = None
) -> Response:
    form = form or FormState({"quality": "", "title": "", "due_on": "", "round_id": ""})
    context = pulse_pages.team_page(session, me, team_id, form)
    return render(request, "pulse/team.html", context, status_code=form.status_code)


@router.get("/pulse/teams/{team_id}", name="pulse:team", response_class=HTMLResponse)
def team_page(request: Request, session: SessionDep, me: CurrentPerson, team_id: PathId) -> Response:
    return _team_page(request, session, me, team_id)


@router.post("/pulse/teams/{team_id}/actions", name="pulse:action_create", response_class=HTMLResponse)
def action_create(
    request: Request, session: SessionDep, me: CurrentPerson, team_id: PathId, form: FormDep
) -> Response:
    values = {key: str(form.get(key, "")) for key in ("round_id", "quality", "title", "due_on")}
    try:
        data = pulse_schemas.ActionCreate(
            quality=values["quality"], title=values["title"], due_on=values["due_on"]
        )
        round_id = parse_id(values["round_id"])
        if round_id is None:
            raise ValidationFailed({"round_id": "Choose the round this action follows."})
        action_service.add(session, actor=me, round_id=round_id, team_id=team_id, data=data)
    except (ValidationError, ValidationFailed) as exc:
        return _team_page(request, session, me, team_id, FormState(values, field_errors(exc)))
    return see_other(f"/pulse/teams/{team_id}", flash="Action added. The team sees it on this page.")


@router.post("/pulse/actions/{action_id}/done", name="pulse:action_done", response_class=HTMLResponse)
def action_done(session: SessionDep, me: CurrentPerson, action_id: PathId) -> Response:
    action = action_service.mark(session, actor=me, action_id=action_id, done=True)
    return see_other(f"/pulse/teams/{action.team_id}", flash="Marked done.")


@router.post("/pulse/actions/{action_id}/reopen", name="pulse:action_reopen", response_class=HTMLResponse)
def action_reopen(session: SessionDep, me: CurrentPerson, action_id: PathId) -> Response:
    action = action_service.mark(session, actor=me, action_id=action_id, done=False)
    return see_other(f"/pulse/teams/{action.team_id}", flash="Open again.")


@router.post("/pulse/actions/{action_id}/proposal", name="pulse:action_proposal", response_class=HTMLResponse)
def action_proposal(session: SessionDep, me: CurrentPerson, action_id: PathId) -> Response:
    proposal_id = action_service.to_proposal(session, actor=me, action_id=action_id)
    return see_other(
        f"/proposals/{proposal_id}",
        flash="The action is now a proposal: leaders answer it like any other, and everyone can support it.",
    )


def _round_page(
    request: Request, session: SessionDep, me: CurrentPerson, round_id: int, form: FormState | None = None
) -> Response:
    form = form or FormState()
    context = pulse_pages.round_(session, me, round_id, form)
    return render(request, "pulse/round.html", context, status_code=form.status_code)


@router.get("/pulse/{round_id}", name="pulse:round", response_class=HTMLResponse)
def round_page(request: Request, session: SessionDep, me: CurrentPerson, round_id: PathId) -> Response:
    return _round_page(request, session, me, round_id)


@router.post("/pulse/{round_id}/answers", name="pulse:answer", response_class=HTMLResponse)
def answer(
    request: Request, session: SessionDep, me: CurrentPerson, round_id: PathId, form: FormDep
) -> Response:
    values = {key: str(value) for key, value in form.items() if key.startswith("item-") or key == "comment"}
    answers: dict[int, int] = {}
    for key, value in values.items():
        item_id = parse_id(key.removeprefix("item-")) if key.startswith("item-") else None
        if item_id is not None and value in {"1", "2", "3", "4", "5"}:
            answers[item_id] = int(value)
    try:
        data = pulse_schemas.AnswersIn(answers=answers, comment=values.get("comment", ""))
        pulse_service.answer(session, actor=me, round_id=round_id, data=data)
    except (ValidationError, ValidationFailed) as exc:
        return _round_page(request, session, me, round_id, FormState(values, field_errors(exc)))
    return see_other(
        f"/pulse/{round_id}", flash="Thank you. Your answers are in, with nothing that links them to you."
    )


@router.post("/pulse/{round_id}/close", name="pulse:close", response_class=HTMLResponse)
def close(session: SessionDep, me: CurrentPerson, round_id: PathId) -> Response:
    pulse_service.close(session, actor=me, round_id=round_id)
    return see_other(f"/pulse/{round_id}/results", flash="The round is closed and its results are released.")


@router.get("/pulse/{round_id}/results", name="pulse:results", response_class=HTMLResponse)
def results(request: Request, session: SessionDep, me: CurrentPerson, round_id: PathId) -> Response:
    return render(request, "pulse/results.html", pulse_pages.results(session, me, round_id))


@router.get("/pulse/{round_id}/results.csv", name="pulse:results_csv")
def results_csv(session: SessionDep, me: CurrentPerson, round_id: PathId) -> Response:
    body = to_csv(pulse_service.export_rows(session, actor=me, round_id=round_id))
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="pulse-round-{round_id}.csv"'},
    )
