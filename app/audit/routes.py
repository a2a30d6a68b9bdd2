"""The audit log page for admins."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.core.templating import render
from app.core.types import PageNumber
from app.flows import audit_log as audit_log_flow
from app.web.deps import SessionDep

router = APIRouter(prefix="/admin")


@router.get("/audit", name="admin:audit", response_class=HTMLResponse)
def audit_log(request: Request, session: SessionDep, action: str = "", page: PageNumber = 1) -> Response:
    context = audit_log_flow.page(session, action=action[:64], page=page)
    return render(request, "admin/audit.html", context, block="results")
