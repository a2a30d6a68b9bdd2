"""People, the teams they belong to, and the departments teams sit in."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic import Field as Check
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from app.core.models import UTCDateTime, utcnow
from app.core.roles import Role
from app.core.types import Line


class Department(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    department_id: int = Field(foreign_key="department.id", index=True)
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
    password_hash: str | None = Field(default=None, max_length=255)
    is_active: bool = Field(default=True)
    # E-mail digest of unread notifications: off | daily | weekly.
    digest: str = Field(default="off", max_length=8)
    last_digest_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PersonRead(BaseModel):
    """What the API shows of a person (`GET /api/v1/me`)."""

    id: int
    email: str
    name: str
    handle: str
    role: Role
    team: str | None
    department: str | None


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_HANDLE = re.compile(r"[A-Za-z0-9._-]+")


def _check_email(value: str) -> str:
    # Intranet addresses such as ann@corp.local are fine, so no public-DNS rules here.
    if not _EMAIL.fullmatch(value):
        raise ValueError("Enter a work e-mail address, such as ann@corp.local.")
    return value


def _check_handle(value: str) -> str:
    if not _HANDLE.fullmatch(value):
        raise ValueError("Use letters, digits, dot, dash and underscore only.")
    return value


# The messages shown beside the field say what is expected, in words rather than a pattern.
Email = Annotated[str, AfterValidator(_check_email)]
Handle = Annotated[str, AfterValidator(_check_handle)]


class PersonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: Email = Check(max_length=254)
    name: Line = Check(min_length=1, max_length=120)
    role: Role = Role.employee
    team_id: int | None = None
    password: str | None = Check(default=None, max_length=1024)


class PersonUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Line = Check(min_length=1, max_length=120)
    handle: Handle = Check(min_length=2, max_length=64)
    role: Role
    team_id: int | None = None
    is_active: bool = True
