"""JSON API for channels (admins): POST/GET /api/v1/webhooks, DELETE /api/v1/webhooks/{id},
GET /api/v1/webhooks/{id}/deliveries, and rotating a secret and resending a delivery."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.core.types import PathId
from app.integrations import service
from app.integrations.models import Channel, Delivery
from app.integrations.schemas import (
    ChannelIn,
    ChannelRead,
    DeliveryList,
    DeliveryRead,
    NewChannelRead,
    SecretRead,
)
from app.web.deps import CurrentPerson, SessionDep

router = APIRouter(prefix="/api/v1/webhooks", tags=["integrations"])


def channel_read(channel: Channel) -> ChannelRead:
    assert channel.id is not None
    return ChannelRead(
        id=channel.id,
        kind=channel.kind,
        url=channel.url_shown,
        events=list(channel.events),
        department_id=channel.department_id,
        created_at=channel.created_at,
        disabled=channel.disabled_at is not None,
        disabled_reason=channel.disabled_reason,
    )


def delivery_read(delivery: Delivery) -> DeliveryRead:
    assert delivery.id is not None
    return DeliveryRead(
        id=delivery.id,
        event=delivery.event,
        status=delivery.status,
        attempt=delivery.attempts,
        at=delivery.last_attempt_at or delivery.created_at,
        webhook_id=delivery.message_id,
        last_status=delivery.last_status,
        last_error=delivery.last_error,
    )


@router.post("", name="api:webhooks_create", response_model=NewChannelRead, status_code=201)
def create(session: SessionDep, me: CurrentPerson, data: ChannelIn) -> NewChannelRead:
    made = service.create_channel(
        session, actor=me, url=data.url, kind=data.kind, events=data.events, department_id=data.department_id
    )
    return NewChannelRead(**channel_read(made.channel).model_dump(), secret=made.secret)


@router.get("", name="api:webhooks_list", response_model=list[ChannelRead])
def list_channels(session: SessionDep, me: CurrentPerson) -> list[ChannelRead]:
    return [channel_read(c) for c in service.list_channels(session)]


@router.delete("/{channel_id}", name="api:webhooks_delete", status_code=204)
def delete(session: SessionDep, me: CurrentPerson, channel_id: PathId) -> Response:
    service.delete_channel(session, actor=me, channel_id=channel_id)
    return Response(status_code=204)


@router.get("/{channel_id}/deliveries", name="api:webhooks_deliveries", response_model=DeliveryList)
def deliveries(session: SessionDep, me: CurrentPerson, channel_id: PathId) -> DeliveryList:
    return DeliveryList(items=[delivery_read(d) for d in service.deliveries(session, channel_id=channel_id)])


@router.post("/{channel_id}/secret", name="api:webhooks_rotate", response_model=SecretRead)
def rotate(session: SessionDep, me: CurrentPerson, channel_id: PathId) -> SecretRead:
    return SecretRead(secret=service.rotate_secret(session, actor=me, channel_id=channel_id))


@router.post("/deliveries/{delivery_id}/resend", name="api:webhooks_resend", response_model=DeliveryRead)
def resend(session: SessionDep, me: CurrentPerson, delivery_id: PathId) -> DeliveryRead:
    return delivery_read(service.resend(session, actor=me, delivery_id=delivery_id))
