"""Channels that carry the portal's events outside it (a webhook, a Slack or a Teams address), and
each delivery of an event to a channel, with its attempts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from app.core.models import UTCDateTime, utcnow


class ChannelKind(StrEnum):
    webhook = "webhook"  # Standard Webhooks: signed JSON
    slack = "slack"  # a Slack incoming webhook
    teams = "teams"  # a Microsoft Teams incoming webhook (message card)


class Channel(SQLModel, table=True):
    __tablename__ = "integration_channel"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8)
    # The address, sealed (app/core/sealing.py): a Slack or Teams address is itself a credential.
    url_sealed: str = Field(max_length=4000)
    url_shown: str = Field(max_length=200)  # scheme, host and the start of the path, for the admin page
    # A webhook's signing secret ("whsec_..."), sealed; None for Slack and Teams.
    secret_sealed: str | None = Field(default=None, max_length=500)
    events: list[str] = Field(default_factory=list, sa_type=JSON)
    department_id: int | None = Field(default=None, foreign_key="department.id", ondelete="CASCADE")
    created_by_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Set when the receiver said it is gone for good (410) or the address cannot be opened.
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_reason: str | None = Field(default=None, max_length=300)


PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


class Delivery(SQLModel, table=True):
    """One event for one channel. Every attempt sends the same body under the same webhook-id."""

    __tablename__ = "integration_delivery"
    __table_args__ = (Index("ix_integration_delivery_status_due", "status", "next_attempt_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="integration_channel.id", index=True, ondelete="CASCADE")
    event: str = Field(max_length=40)
    message_id: str = Field(max_length=40)  # the webhook-id header: "msg_" and 32 random characters
    body: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default=PENDING, max_length=10)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_status: int | None = Field(default=None)  # the receiver's HTTP status, None when none came
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
