"""Theme pages: the list with filters, one theme, and suggestions for the pain point form."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.core.templating import render
from app.core.types import PathId
from app.flows import finding
from app.insights.kinds import Kind
from app.themes import pages as theme_pages
from app.themes import service as theme_service
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter()


@router.get("/themes", name="themes:list", response_class=HTMLResponse)
def listing(
    request: Request,
    session: SessionDep,
    me: CurrentPerson,
    department: str = "",
    stage: str = "",
    period: str = "",
) -> Response:
    return render(request, "themes/list.html", theme_pages.listing(session, me, department, stage, period))


@router.get("/themes/suggest", name="themes:suggest", response_class=HTMLResponse)
def suggest(request: Request, session: SessionDep, me: CurrentPerson, title: str = "") -> Response:
    """While a pain point is typed: themes that say the same, and pain points that exist already."""
    text = title[:200]
    context = {
        "themes": theme_service.suggest(session, actor=me, text=text),
        "similar": finding.similar_insights(session, actor=me, text=text, kind=Kind.pain_point, limit=3)
        if len(text.strip()) >= 4
        else [],
    }
    return render(request, "themes/_suggest.html", context)


@router.get("/themes/{theme_id}", name="themes:detail", response_class=HTMLResponse)
def detail(request: Request, session: SessionDep, me: CurrentPerson, theme_id: PathId) -> Response:
    return render(request, "themes/detail.html", theme_pages.detail(session, me, theme_id))
