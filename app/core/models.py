"""Shared pieces of the table models: naming convention, timestamps, enums."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import DateTime, Dialect, MetaData, TypeDecorator
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

# Constraint names must be stable before the first migration, or Alembic cannot alter them later.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def utcnow() -> datetime:
    """Now, timezone-aware (SQLModel and our columns refuse naive datetimes)."""
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """SQLite hands datetimes back naive; they were stored as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp with its time zone: stored in UTC, always handed back aware. PostgreSQL keeps the
    zone itself; SQLite keeps none, and its values came back naive (the API then said
    "2026-12-07T11:28:26" where its own schema promises a date-time with an offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or dialect.name != "sqlite":
            return value
        return aware(value).astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else aware(value)


def enum_column(enum: type[StrEnum], length: int = 16) -> Any:
    """An enum stored as VARCHAR, so a new value needs no database enum migration."""
    return SAEnum(enum, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


def link_to(table: str, *, index: bool = False) -> Any:
    """One side of a link table's key: the id of a row of `table`, deleted with it. The second
    column of a two-column key gets its own index, for lookups from that side."""
    return Field(foreign_key=f"{table}.id", primary_key=True, index=index, ondelete="CASCADE")


class WorkerHeartbeat(SQLModel, table=True):
    """The last sign of life of each background worker thread (the search drainer, the import
    runner) in every process on every node; /healthz reads it to tell a stalled worker."""

    __tablename__ = "worker_heartbeat"

    name: str = Field(primary_key=True, max_length=160)  # kind@host:pid
    beat_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


Row = TypeVar("Row", bound=SQLModel)


def detached_copy(row: Row) -> Row:
    """A copy of a table row that belongs to no session, for a figure kept by core.cache: many
    requests read it at once, and a row loaded by a session belongs to that session's thread."""
    return type(row)(**row.model_dump())
