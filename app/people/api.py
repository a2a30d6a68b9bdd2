"""JSON API for people: GET /api/v1/me."""

from __future__ import annotations

from fastapi import APIRouter

from app.people import service as people_service
from app.people.schemas import PersonRead
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter(prefix="/api/v1", tags=["people"])


@router.get("/me", name="api:me", response_model=PersonRead)
def me(session: SessionDep, person: CurrentPerson) -> PersonRead:
    return people_service.to_read(session, person)
