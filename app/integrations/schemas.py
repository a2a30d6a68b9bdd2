"""Request and answer models of the integrations API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000)
    kind: str = Field(max_length=16)
    events: list[str] = Field(max_length=20)
    department_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class ChannelRead(BaseModel):
    id: int
    kind: str
    url: str  # as shown: scheme, host and the start of the path (the rest may be a credential)
    events: list[str]
    department_id: int | None
    created_at: datetime
    disabled: bool
    disabled_reason: str | None


class NewChannelRead(ChannelRead):
    secret: str | None  # a webhook's signing secret ("whsec_..."), only in this answer


class DeliveryRead(BaseModel):
    id: int
    event: str
    status: str  # pending | delivered | failed
    attempt: int  # attempts made so far
    at: datetime  # the last attempt, or when the delivery was made
    webhook_id: str
    last_status: int | None
    last_error: str | None


class DeliveryList(BaseModel):
    items: list[DeliveryRead]


class SecretRead(BaseModel):
    secret: str
