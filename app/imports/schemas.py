"""What the feedback import API answers."""

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
