"""What admins send about people and teams, and what the people API answers."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic import Field as Check

from app.core.forms import checked
from app.core.roles import Role
from app.core.types import Line, parse_id


class PersonForm(BaseModel):
    """The person form as posted (plain text); PersonCreate and PersonUpdate check the values."""

    email: str = Field(default="", max_length=300)
    name: str = Field(default="", max_length=300)
    handle: str = Field(default="", max_length=300)
    role: str = Field(default="employee", max_length=20)
    team_id: str = Field(default="", max_length=20)
    is_active: str = Field(default="", max_length=10)
    password: str = Field(default="", max_length=4096)

    def shown(self) -> dict[str, object]:
        """What the form shows again after a refusal (never the password)."""
        values = self.model_dump(exclude={"password"})
        return {**values, "team_id": parse_id(self.team_id), "is_active": checked(self.is_active)}

    def data_for(self, model: type[BaseModel]) -> dict[str, object]:
        """The values `model` takes (PersonCreate or PersonUpdate), to be checked by it."""
        values = {**self.shown(), "password": self.password or None}
        return {name: value for name, value in values.items() if name in model.model_fields}


class TeamForm(BaseModel):
    """A team's form (new or renamed): its name and department."""

    name: str = Field(default="", max_length=300)
    department_id: str = Field(default="", max_length=20)

    @property
    def department(self) -> int:
        return parse_id(self.department_id) or 0


class PersonRead(BaseModel):
    """What the API shows of a person (`GET /api/v1/me`)."""

    id: int
    email: str
    name: str
    handle: str
    role: Role
    team: str | None
    department: str | None
    team_id: int | None
    department_id: int | None
    email_notifications: str  # off | instant | daily | weekly


class MeUpdate(BaseModel):
    """PATCH /api/v1/me: how the person gets notifications by e-mail."""

    model_config = ConfigDict(extra="forbid")

    email_notifications: Literal["off", "instant", "daily", "weekly"]


class TeamLeadIn(BaseModel):
    """PATCH /api/v1/teams/{id}: the lead's e-mail; null takes the lead off the team."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    lead_email: str | None = Check(max_length=254)


class TeamRead(BaseModel):
    id: int
    name: str
    department_id: int
    department: str
    lead_email: str | None
    members: int


class LeadForm(BaseModel):
    """The lead form of a team on the admin page (plain text; empty takes the lead off)."""

    lead_email: str = Field(default="", max_length=300)


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
