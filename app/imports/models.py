"""An import job: one uploaded file, its column mapping, and how far its check and import have got.

The web pages hand a file to a job, and a background runner (in `portal worker` and in each app
process) takes queued jobs one at a time, so a large file never holds a request open; the page
polls the job's counters."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from app.core.models import UTCDateTime, utcnow


class JobStatus(StrEnum):
    mapping = "mapping"  # uploaded; waiting for its columns to be mapped
    queued = "queued"
    checking = "checking"
    importing = "importing"
    done = "done"
    failed = "failed"

    @property
    def running(self) -> bool:
        return self in {JobStatus.queued, JobStatus.checking, JobStatus.importing}


class ImportJob(SQLModel, table=True):
    __tablename__ = "import_job"

    id: int | None = Field(default=None, primary_key=True)
    created_by_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: JobStatus = Field(
        default=JobStatus.mapping,
        sa_type=SAEnum(
            JobStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
        ),
        index=True,
    )
    # the upload: its name as the person knew it, and where it waits (under PORTAL_DATA_DIR/imports)
    file_name: str = Field(max_length=255)
    stored_name: str = Field(max_length=64)
    file_format: str = Field(max_length=8)
    encoding: str = Field(default="", max_length=32)
    delimiter: str = Field(default="", max_length=4)
    columns: list[str] = Field(default_factory=list, sa_type=JSON)
    rows_total: int = 0  # counted at upload, for the progress bar
    # what to do with it
    mapping: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    channel: str = Field(default="other", max_length=32)
    skip_empty: bool = False
    dry_run: bool = True
    # how far it got
    rows_read: int = 0
    imported: int = 0
    skipped_duplicates: int = 0
    skipped_empty: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    message: str = Field(default="", max_length=1000)

    @property
    def percent(self) -> int:
        if self.status == JobStatus.done:
            return 100
        return min(99, self.rows_read * 100 // self.rows_total) if self.rows_total else 0
