"""The admin page of integrations: channels, their deliveries, and what can be done with them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.core.errors import ValidationFailed
from app.core.htmx import see_other
from app.core.templating import render
from app.core.types import PathId
from app.integrations import service
from app.integrations.events import EVENT_TYPES
from app.people import service as people_service
from app.web.deps import CurrentPerson, FormDep, SessionDep

router = APIRouter(prefix="/admin/integrations")

EVENT_LABELS = {
    "insight.published": "An insight is published",
    "proposal.created": "A proposal is posted",
    "proposal.decided": "A proposal gets a decision",
    "proposal.merged": "A proposal is merged into another",
    "comment.created": "Someone comments",
    "pulse.round_opened": "A pulse round opens",
    "pulse.round_closed": "A pulse round closes",
}


def _page(
    request: Request,
    session: SessionDep,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    secret: str | None = None,
    secret_for: str = "",
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "channels": service.list_channels(session),
        "departments": {d.id: d for d in people_service.list_departments(session)},
        "event_labels": EVENT_LABELS,
        "event_types": EVENT_TYPES,
        "errors": errors or {},
        "values": values or {"kind": "webhook", "events": list(EVENT_TYPES[:3])},
        "secret": secret,
        "secret_for": secret_for,
    }
    return render(request, "admin/integrations.html", context, status_code=status_code)


@router.get("", name="admin:integrations", response_class=HTMLResponse)
def integrations(request: Request, session: SessionDep) -> Response:
    return _page(request, session)


@router.post("", name="admin:integration_create", response_class=HTMLResponse)
def create(request: Request, session: SessionDep, me: CurrentPerson, form: FormDep) -> Response:
    url, kind = str(form.get("url") or "")[:2100], str(form.get("kind") or "")[:16]
    events = [str(e)[:40] for e in form.getlist("events")][:20]
    raw_department = str(form.get("department_id") or "")
    department_id = int(raw_department) if raw_department.isdigit() and len(raw_department) < 10 else None
    values: dict[str, Any] = {"url": url, "kind": kind, "events": events, "department_id": department_id}
    try:
        made = service.create_channel(
            session, actor=me, url=url, kind=kind, events=events, department_id=department_id
        )
    except ValidationFailed as exc:
        return _page(request, session, errors=exc.errors, values=values, status_code=422)
    if made.secret is None:
        return see_other("/admin/integrations", flash=f"The {kind} channel is set up.")
    # The signing secret is shown on this page and never again (never in a cookie or a log).
    return _page(request, session, secret=made.secret, secret_for=made.channel.url_shown)


@router.post("/{channel_id}/delete", name="admin:integration_delete", response_class=HTMLResponse)
def delete(session: SessionDep, me: CurrentPerson, channel_id: PathId) -> Response:
    service.delete_channel(session, actor=me, channel_id=channel_id)
    return see_other("/admin/integrations", flash="The channel is deleted; nothing more goes to it.")


@router.post("/{channel_id}/secret", name="admin:integration_rotate", response_class=HTMLResponse)
def rotate(request: Request, session: SessionDep, me: CurrentPerson, channel_id: PathId) -> Response:
    secret = service.rotate_secret(session, actor=me, channel_id=channel_id)
    channel = service.get_channel(session, channel_id=channel_id)
    return _page(request, session, secret=secret, secret_for=channel.url_shown)


@router.post("/{channel_id}/enable", name="admin:integration_enable", response_class=HTMLResponse)
def enable(session: SessionDep, me: CurrentPerson, channel_id: PathId) -> Response:
    service.enable(session, actor=me, channel_id=channel_id)
    return see_other(f"/admin/integrations/{channel_id}", flash="The channel is on again.")


@router.get("/{channel_id}", name="admin:integration", response_class=HTMLResponse)
def channel_page(request: Request, session: SessionDep, channel_id: PathId) -> Response:
    channel = service.get_channel(session, channel_id=channel_id)
    context = {
        "channel": channel,
        "deliveries": service.deliveries(session, channel_id=channel_id),
        "event_labels": EVENT_LABELS,
        "departments": {d.id: d for d in people_service.list_departments(session)},
    }
    return render(request, "admin/integration.html", context)


@router.post("/deliveries/{delivery_id}/resend", name="admin:integration_resend", response_class=HTMLResponse)
def resend(session: SessionDep, me: CurrentPerson, delivery_id: PathId) -> Response:
    delivery = service.resend(session, actor=me, delivery_id=delivery_id)
    return see_other(
        f"/admin/integrations/{delivery.channel_id}", flash="Sent again shortly, under the same webhook-id."
    )
