"""The dashboard: a summary for everyone, the full picture and CSV for leaders."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.core.csvexport import to_csv
from app.core.templating import render
from app.dashboard import service as dashboard_service
from app.insights.journey import EMOTION_LABELS
from app.proposals import decisions
from app.pulse import service as pulse_service
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter()


@router.get("/dashboard", name="dashboard:index", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, me: CurrentPerson) -> Response:
    board = dashboard_service.build(session)
    widest = max((d.proposals + d.comments + d.supports for d in board.departments), default=0)
    return render(
        request,
        "dashboard/index.html",
        {
            "board": board,
            "full": decisions.can_decide(me),
            "widest": max(widest, 1),
            "emotion_labels": EMOTION_LABELS,
            # Aggregates of the latest closed pulse round only, with its suppression applied.
            "pulse": pulse_service.department_safety(session) if decisions.can_decide(me) else None,
        },
    )


@router.get("/dashboard.csv", name="dashboard:csv")
def as_csv(session: SessionDep, me: CurrentPerson) -> Response:
    body = to_csv(dashboard_service.export_rows(session, actor=me))
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="insight-loop-dashboard.csv"'},
    )
