"""The home page: what is new, what is new for the person's department, and what to do next."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.core.templating import render
from app.flows import pages
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter()


@router.get("/", name="home:index", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, me: CurrentPerson) -> Response:
    return render(request, "home.html", pages.home(session, me))
