"""What the feedback and people imports answer."""

from __future__ import annotations

from pydantic import BaseModel


class RowError(BaseModel):
    row: int
    message: str


class ImportResult(BaseModel):
    imported: int
    skipped_duplicates: int
    skipped_empty: int
    rows_read: int
    dry_run: bool
    errors: list[RowError]


class PeopleImportResult(BaseModel):
    created: int
    updated: int
    unchanged: int
    dry_run: bool
    errors: list[RowError]
