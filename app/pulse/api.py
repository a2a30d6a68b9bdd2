"""JSON API for pulse rounds (shared/design.md): open, read the items, answer once, read results."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from app.core.types import PathId
from app.pulse import actions as action_service
from app.pulse import schedules as schedule_service
from app.pulse import service as pulse_service
from app.pulse.items import DOMAINS
from app.pulse.models import PulseSchedule
from app.pulse.schemas import (
    ActionCreate,
    ActionList,
    ActionRead,
    AnswerReceipt,
    AnswersIn,
    DistributionRead,
    GroupRead,
    ItemRead,
    ResultsRead,
    RoundCreate,
    RoundList,
    RoundRead,
    RoundSummary,
    ScheduleCreate,
    ScheduleRead,
)
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter(prefix="/api/v1/pulse", tags=["pulse"])


def _round_read(session: SessionDep, round_id: int) -> RoundRead:
    round_ = pulse_service.get(session, round_id=round_id)
    return RoundRead(
        id=round_id,
        url=f"/pulse/{round_id}",
        title=round_.title,
        status="open" if pulse_service.is_open(round_) else "closed",
        closes_on=round_.closes_on,
        min_group=round_.min_group,
        text_min_group=round_.text_min_group,
        free_text=round_.free_text,
        items=[
            ItemRead(id=i.id or 0, domain=i.domain, domain_label=DOMAINS[i.domain], text=i.text)
            for i in pulse_service.items(session, round_id=round_id)
        ],
    )


@router.post("/rounds", name="api:pulse_create", response_model=RoundRead, status_code=201)
def create_round(session: SessionDep, me: CurrentPerson, data: RoundCreate) -> RoundRead:
    round_ = pulse_service.open_round(session, actor=me, data=data)
    return _round_read(session, round_.id or 0)


@router.get("/rounds/{round_id}", name="api:pulse_round", response_model=RoundRead)
def get_round(session: SessionDep, me: CurrentPerson, round_id: PathId) -> RoundRead:
    pulse_service.for_person(session, person=me, round_id=round_id)  # closes it when due
    return _round_read(session, round_id)


@router.post(
    "/rounds/{round_id}/answers", name="api:pulse_answer", response_model=AnswerReceipt, status_code=201
)
def answer(session: SessionDep, me: CurrentPerson, round_id: PathId, data: AnswersIn) -> AnswerReceipt:
    pulse_service.answer(session, actor=me, round_id=round_id, data=data)
    return AnswerReceipt(status="recorded")


@router.get("/rounds/{round_id}/results", name="api:pulse_results", response_model=ResultsRead)
def results(session: SessionDep, me: CurrentPerson, round_id: PathId) -> ResultsRead:
    found = pulse_service.results(session, actor=me, round_id=round_id)
    released = found.release
    return ResultsRead(
        round_id=round_id,
        released=found.released,
        closes_on=found.round.closes_on,
        min_group=found.round.min_group,
        groups=[
            GroupRead(
                key=g.key,
                kind=g.kind,
                name=g.name,
                suppressed=not g.shown,
                reason=g.reason,
                participation_percent=g.participation,
                domains=g.domains,
                safety=g.safety,
            )
            for g in (released.groups if released else [])
        ],
        distributions=[
            DistributionRead(item_id=d.item_id, buckets=d.buckets, reason=d.reason)
            for d in (released.distributions if released else [])
        ],
        comments=released.comments if released else None,
        comments_reason=released.comments_reason if released else "Results appear when the round closes.",
    )


@router.get("/rounds", name="api:pulse_rounds", response_model=RoundList)
def list_rounds(
    session: SessionDep, me: CurrentPerson, status: Literal["open", "closed"] | None = Query(default=None)
) -> RoundList:
    """Leaders: every round. Anyone else: the rounds they were invited to."""
    mine = pulse_service.rounds_for(session, person=me)
    return RoundList(
        items=[
            RoundSummary(
                id=r.round.id or 0,
                url=f"/pulse/{r.round.id}",
                title=r.round.title,
                schedule_id=r.round.schedule_id,
                status="open" if pulse_service.is_open(r.round) else "closed",
                opened_on=r.round.opened_at.date(),
                closes_on=r.round.closes_on,
                invited=r.invited,
                answered=r.answered,
            )
            for r in mine
            if status is None or (status == "open") == pulse_service.is_open(r.round)
        ]
    )


@router.post("/rounds/{round_id}/close", name="api:pulse_close", response_model=RoundRead)
def close_round(session: SessionDep, me: CurrentPerson, round_id: PathId) -> RoundRead:
    pulse_service.close(session, actor=me, round_id=round_id)
    return _round_read(session, round_id)


def _schedule_read(schedule: PulseSchedule) -> ScheduleRead:
    return ScheduleRead(
        id=schedule.id or 0,
        title=schedule.title,
        cadence=schedule.cadence,
        team_ids=schedule.team_ids,
        open_days=schedule.open_days,
        free_text=schedule.free_text,
        next_opens_on=None if schedule.stopped_at else schedule.next_opens_on,
        stopped=schedule.stopped_at is not None,
        last_problem=schedule.last_problem,
    )


@router.post("/schedules", name="api:pulse_schedule_create", response_model=ScheduleRead, status_code=201)
def create_schedule(session: SessionDep, me: CurrentPerson, data: ScheduleCreate) -> ScheduleRead:
    return _schedule_read(schedule_service.create(session, actor=me, data=data))


@router.get("/schedules", name="api:pulse_schedules", response_model=list[ScheduleRead])
def list_schedules(session: SessionDep, me: CurrentPerson) -> list[ScheduleRead]:
    return [_schedule_read(s) for s in schedule_service.listed(session, actor=me)]


@router.post("/schedules/{schedule_id}/stop", name="api:pulse_schedule_stop", response_model=ScheduleRead)
def stop_schedule(session: SessionDep, me: CurrentPerson, schedule_id: PathId) -> ScheduleRead:
    return _schedule_read(schedule_service.stop(session, actor=me, schedule_id=schedule_id))


def _action_read(view: action_service.ActionView) -> ActionRead:
    action = view.action
    return ActionRead(
        id=action.id or 0,
        round_id=action.round_id,
        team_id=action.team_id,
        team=view.team,
        quality=action.quality,
        quality_label=view.quality_label,
        title=action.title,
        due_on=action.due_on,
        done=action.done_at is not None,
        done_at=action_service.done_on(action),
        proposal_id=action.proposal_id,
        score_then=view.score_then,
        score_next=view.score_next,
        change=view.change,
        next_round_id=view.next_round.id if view.next_round else None,
    )


def _one_action(session: SessionDep, me: CurrentPerson, action_id: int) -> ActionRead:
    action = action_service.get(session, action_id=action_id)
    views = action_service.for_team(session, actor=me, team_id=action.team_id, round_id=action.round_id)
    return _action_read(next(v for v in views if v.action.id == action_id))


@router.post(
    "/rounds/{round_id}/teams/{team_id}/actions",
    name="api:pulse_action_create",
    response_model=ActionRead,
    status_code=201,
)
def create_action(
    session: SessionDep, me: CurrentPerson, round_id: PathId, team_id: PathId, data: ActionCreate
) -> ActionRead:
    action = action_service.add(session, actor=me, round_id=round_id, team_id=team_id, data=data)
    return _one_action(session, me, action.id or 0)


@router.get("/rounds/{round_id}/teams/{team_id}/actions", name="api:pulse_actions", response_model=ActionList)
def list_actions(session: SessionDep, me: CurrentPerson, round_id: PathId, team_id: PathId) -> ActionList:
    pulse_service.get(session, round_id=round_id)
    views = action_service.for_team(session, actor=me, team_id=team_id, round_id=round_id)
    return ActionList(items=[_action_read(v) for v in views])


@router.post("/actions/{action_id}/done", name="api:pulse_action_done", response_model=ActionRead)
def mark_done(session: SessionDep, me: CurrentPerson, action_id: PathId) -> ActionRead:
    action_service.mark(session, actor=me, action_id=action_id, done=True)
    return _one_action(session, me, action_id)
