"""What people send as a comment and what the API answers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, StrictBool
from pydantic import Field as Check

from app.core.types import DbId, Text


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    body: Text = Check(min_length=1, max_length=10_000)
    parent_id: DbId | None = None
    # The author of an anonymous proposal must confirm before commenting under their name on it.
    confirm_named: StrictBool = False  # JSON true or false only (0 and "no" are refused, not guessed)


class CommentRead(BaseModel):
    id: int
    body: str
    author: str | None
    parent_id: int | None
    created_at: str
    deleted: bool
