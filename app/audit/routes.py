"""The audit log page for admins."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.audit import service as audit_service
from app.core.templating import render
from app.core.types import PageNumber
from app.flows import audit_log as audit_log_flow
from app.web.deps import SessionDep

router = APIRouter(prefix="/admin")


@router.get("/audit", name="admin:audit", response_class=HTMLResponse)
def audit_log(request: Request, session: SessionDep, action: str = "", page: PageNumber = 1) -> Response:
    total, rows = audit_log_flow.list_events(session, action=action[:64] or None, page=page)
    return render(
        request,
        "admin/audit.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max((total + 49) // 50, 1),
            "action": action[:64],
            "actions": audit_service.distinct_actions(session),
        },
        block="results",
    )
