"""What people send to follow something, and what the notifications API answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class NotificationRead(BaseModel):
    id: int
    text: str
    url: str
    created_at: datetime
    read: bool


class NotificationList(BaseModel):
    unread: int
    items: list[NotificationRead]


class FollowForm(BaseModel):
    target_type: str = Field(max_length=16)
    target_key: str = Field(max_length=400)
    next: str = Field(default="/me", max_length=2000)
