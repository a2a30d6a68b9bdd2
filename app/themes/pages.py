"""What the theme pages show (the routes render these)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from app.core.models import utcnow
from app.insights import permissions as insight_permissions
from app.insights import stages as stage_service
from app.people import service as people_service
from app.people.models import Person
from app.themes import service as theme_service

PERIODS = {"30": "Last 30 days", "90": "Last 90 days", "365": "Last year", "": "All time"}


def filters_from(department: str, stage: str, period: str) -> theme_service.Filters:
    def number(value: str) -> int | None:
        return int(value) if value.isdigit() and len(value) < 10 else None

    days = number(period)
    since: date | None = utcnow().date() - timedelta(days=days) if days else None
    return theme_service.Filters(department_id=number(department), stage_id=number(stage), since=since)


def listing(session: Session, me: Person, department: str, stage: str, period: str) -> dict[str, Any]:
    filters = filters_from(department, stage, period)
    views = theme_service.themes(session, actor=me, filters=filters)
    return {
        "views": views,
        "run": theme_service.last_run(session),
        "departments": people_service.list_departments(session),
        "stages": stage_service.all_stages(session),
        "periods": PERIODS,
        "chosen": {"department": department, "stage": stage, "period": period},
        "filtered": bool(department or stage or period),
        "widest": max((v.size for v in views), default=1),
    }


def detail(session: Session, me: Person, theme_id: int) -> dict[str, Any]:
    view = theme_service.theme(session, actor=me, theme_id=theme_id)
    weeks = theme_service.weekly_volume(view)
    return {
        "view": view,
        "quotes": theme_service.quotes(session, view),
        "weeks": weeks,
        "tallest": max((n for _w, n in weeks), default=0),
        "can_publish": insight_permissions.can(me, "create"),
        "evidence_limit": theme_service.EVIDENCE_LIMIT,
        "pain_points": theme_service.pain_points(session, view.covered_by),
    }
