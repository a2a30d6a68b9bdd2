"""The home page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.core.deps import CurrentPerson, SessionDep
from app.core.templating import render
from app.people import service as people_service

router = APIRouter()


@router.get("/", name="home:index", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, me: CurrentPerson) -> Response:
    return render(request, "home.html", {"profile": people_service.to_read(session, me)})
