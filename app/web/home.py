"""The home page: what is new, what is new for the person's department, and what to do next."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.core.templating import render
from app.insights import service as insight_service
from app.insights import tags as tag_service
from app.insights.models import Kind
from app.people import service as people_service
from app.people.models import Team
from app.pulse import service as pulse_service
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter()


@router.get("/", name="home:index", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, me: CurrentPerson) -> Response:
    team = session.get(Team, me.team_id) if me.team_id else None
    latest = insight_service.latest(session, actor=me, limit=6)
    for_department = (
        insight_service.latest(session, actor=me, department_id=team.department_id, limit=5) if team else []
    )
    shown = [*latest, *for_department]
    ids = [i.id for i in shown if i.id is not None]
    return render(
        request,
        "home.html",
        {
            "profile": people_service.to_read(session, me),
            "latest": latest,
            "for_department": for_department,
            "counts": insight_service.counts_by_kind(session, actor=me),
            "pain_points": insight_service.latest(session, actor=me, kinds=[Kind.pain_point], limit=3),
            "tags": tag_service.tags_by_insight(session, ids),
            "kinds": list(Kind),
            "pulse_rounds": pulse_service.open_for(session, person=me),
        },
    )
