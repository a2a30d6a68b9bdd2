"""JSON API for people: GET /api/v1/me, and a team's lead (PATCH /api/v1/teams/{id}, admins)."""

from __future__ import annotations

from fastapi import APIRouter

from app.core.types import PathId
from app.notifications import digest as digest_service
from app.people import service as people_service
from app.people.schemas import MeUpdate, PersonRead, TeamLeadIn, TeamRead
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter(prefix="/api/v1", tags=["people"])


@router.get("/me", name="api:me", response_model=PersonRead)
def me(session: SessionDep, person: CurrentPerson) -> PersonRead:
    return people_service.to_read(session, person)


@router.patch("/me", name="api:me_update", response_model=PersonRead)
def update_me(session: SessionDep, person: CurrentPerson, data: MeUpdate) -> PersonRead:
    digest_service.set_preference(session, person=person, digest=data.email_notifications)
    return people_service.to_read(session, person)


@router.patch("/teams/{team_id}", name="api:teams_update", response_model=TeamRead)
def update_team(session: SessionDep, me: CurrentPerson, team_id: PathId, data: TeamLeadIn) -> TeamRead:
    team = people_service.set_team_lead(session, actor=me, team_id=team_id, lead_email=data.lead_email)
    return people_service.team_read(session, team)
