"""The dashboard: a summary for everyone, the full picture and CSV for leaders."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.core.csvexport import to_csv
from app.core.templating import render
from app.dashboard import service as dashboard_service
from app.flows import pages
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter()


@router.get("/dashboard", name="dashboard:index", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, me: CurrentPerson) -> Response:
    return render(request, "dashboard/index.html", pages.dashboard(session, me))


@router.get("/dashboard.csv", name="dashboard:csv")
def as_csv(session: SessionDep, me: CurrentPerson) -> Response:
    body = to_csv(dashboard_service.export_rows(session, actor=me))
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="insight-loop-dashboard.csv"'},
    )
