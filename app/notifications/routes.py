"""The notifications page, the header badge, and GET /api/v1/me/notifications."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.core.htmx import fragment_or_redirect, see_other
from app.core.templating import render
from app.core.types import PageNumber, PathId, page_count
from app.notifications import digest as digest_service
from app.notifications import service as notification_service
from app.notifications.schemas import NotificationList, NotificationRead
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter()


@router.get("/notifications", name="notifications:list", response_class=HTMLResponse)
def list_page(request: Request, session: SessionDep, me: CurrentPerson, page: PageNumber = 1) -> Response:
    box = notification_service.inbox(session, person=me, page=page)
    pages = page_count(box.total, notification_service.PER_PAGE)
    context = {"items": box.items, "total": box.total, "page": page, "pages": pages, "unread": box.unread}
    return render(request, "notifications/list.html", context)


@router.get("/notifications/badge", name="notifications:badge", response_class=HTMLResponse)
def badge(request: Request, session: SessionDep, me: CurrentPerson) -> Response:
    return render(
        request,
        "notifications/_badge.html",
        {"unread": notification_service.unread_count(session, person=me)},
    )


@router.post("/notifications/{notification_id}/read", name="notifications:read")
def read(request: Request, session: SessionDep, me: CurrentPerson, notification_id: PathId) -> Response:
    notification_service.mark_read(session, person=me, notification_id=notification_id)
    return fragment_or_redirect(request, lambda: list_page(request, session, me), "/notifications")


@router.post("/notifications/read-all", name="notifications:read_all")
def read_all(session: SessionDep, me: CurrentPerson) -> Response:
    notification_service.mark_read(session, person=me)
    return see_other("/notifications", flash="All notifications are marked read.")


@router.get("/api/v1/me/notifications", name="api:me_notifications", response_model=NotificationList)
def api_list(session: SessionDep, me: CurrentPerson) -> NotificationList:
    box = notification_service.inbox(session, person=me, per_page=50)
    return NotificationList(
        unread=box.unread,
        items=[
            NotificationRead(
                id=n.id or 0, text=n.text, url=n.url, created_at=n.created_at, read=n.read_at is not None
            )
            for n in box.items
        ],
    )


@router.get("/unsubscribe/{token}", name="notifications:unsubscribe_form", response_class=HTMLResponse)
def unsubscribe_form(request: Request, session: SessionDep, token: str) -> Response:
    """The page behind the link in every e-mail: one button turns e-mail off, no sign-in needed."""
    person = digest_service.person_for_unsubscribe(session, token[:64])
    return render(
        request,
        "notifications/unsubscribe.html",
        {"person": person, "token": token[:64], "done": False},
        status_code=200 if person else 404,
    )


@router.post("/unsubscribe/{token}", name="notifications:unsubscribe", response_class=HTMLResponse)
def unsubscribe(request: Request, session: SessionDep, token: str) -> Response:
    person = digest_service.unsubscribe(session, token=token[:64])
    return render(
        request,
        "notifications/unsubscribe.html",
        {"person": person, "token": token[:64], "done": True},
        status_code=200 if person else 404,
    )
