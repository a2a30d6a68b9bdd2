"""What the leaders' review pages show (the routes render these)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.core.config import get_settings
from app.proposals import decisions


def review_queue(session: Session) -> dict[str, Any]:
    """Proposals waiting for an answer, oldest first, with how many are past the response target."""
    items = decisions.review_queue(session)
    return {
        "items": items,
        "target_days": get_settings().response_target_days,
        "overdue": sum(1 for i in items if i.overdue),
    }


def workload(session: Session) -> dict[str, Any]:
    """Per department and team: the accepted and in-progress proposals they carry."""
    loads = decisions.team_loads(session)
    departments: dict[str, list[decisions.TeamLoad]] = {}
    for load in loads:
        departments.setdefault(load.department.name, []).append(load)
    return {
        "departments": departments,
        "carried": decisions.open_work_by_team(session),
        "total": sum(load.open_count for load in loads),
    }
