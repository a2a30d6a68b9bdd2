"""People, the teams they belong to, and the departments teams sit in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from app.core.models import UTCDateTime, utcnow
from app.core.roles import Role


class Department(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    department_id: int = Field(foreign_key="department.id", index=True)
    # The team's lead, named by an admin (the pulse's roll-up and notifications to come use it).
    # Person and team point at each other, so this key is added after both tables exist.
    lead_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("person.id", use_alter=True, ondelete="SET NULL"), nullable=True
        ),
    )
    # The company directory's own id for the team's group (SCIM externalId), and when the directory
    # removed the group: the team stays for its history (pulse rounds, proposals), without members.
    external_id: str | None = Field(default=None, max_length=255)
    removed_from_directory_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=120)
    handle: str = Field(max_length=64, unique=True, index=True)
    # Stored as VARCHAR (no database enum type), so a new role needs no enum migration.
    role: Role = Field(
        default=Role.employee,
        sa_type=SAEnum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
    )
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    # The person's manager, from the company's directory (the people import); kept when they leave.
    manager_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    password_hash: str | None = Field(default=None, max_length=255)
    is_active: bool = Field(default=True)
    # Notifications by e-mail: off | instant (within a minute) | daily | weekly (a digest).
    digest: str = Field(default="off", max_length=8)
    last_digest_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # What the company directory (SCIM) says of the person, for provisioning: its sign-in name
    # (userName), its own id (externalId), the attributes it sent as it sent them (name parts,
    # e-mails, department), and when it removed the person. None for people it never sent.
    directory_user_name: str | None = Field(default=None, max_length=254, index=True)
    external_id: str | None = Field(default=None, max_length=255)
    directory: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    removed_from_directory_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
