"""Domain errors. Services raise these (never HTTPException); app/main.py maps them to a page or JSON."""

from __future__ import annotations

import errno
from typing import Any

from pydantic import ValidationError


class DomainError(Exception):
    """A subclass names its HTTP status and the message shown when none is given:
    `class Gone(DomainError, status=410, message="That is gone."): ...`."""

    status_code = 400
    default_message = "The request could not be completed."

    def __init_subclass__(cls, *, status: int | None = None, message: str | None = None) -> None:
        super().__init_subclass__()
        if status is not None:
            cls.status_code = status
        if message is not None:
            cls.default_message = message

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class NotAuthenticated(DomainError, status=401, message="Please sign in."):
    """No valid session or token."""


class PermissionDenied(DomainError, status=403, message="You do not have permission to do that."):
    """Signed in, but the role or the ownership does not allow it."""


class NotFound(DomainError, status=404, message="We could not find that."):
    """No such record, or one the person may not see (the same answer, so nothing leaks)."""


class Conflict(DomainError, status=409, message="That conflicts with what is already there."):
    """The record's state does not allow it (already decided, taken, closed)."""


class ValidationFailed(DomainError, status=422, message="Please correct the marked fields."):
    """Bad input. `errors` maps a field name to a message shown beside that field."""

    def __init__(self, errors: dict[str, str], message: str | None = None) -> None:
        self.errors = errors
        super().__init__(message or "; ".join(f"{k}: {v}" for k, v in errors.items()))

    @classmethod
    def unless_empty(cls, errors: dict[str, str]) -> None:
        """Refuse with these field errors, if there are any."""
        if errors:
            raise cls(errors)


class RateLimited(DomainError, status=429, message="Too many attempts. Please wait a moment and try again."):
    """Answered with a Retry-After of `retry_after` seconds."""

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


_NO_ROOM = "There is no room left to store this file. Nothing was saved; tell your portal admin."


class StorageFull(DomainError, status=507, message=_NO_ROOM):
    """The disk has no room for this file (507 Insufficient Storage); nothing was saved."""


def is_disk_full(exc: OSError) -> bool:
    """The disk (or the person's quota, or the largest file it takes) has no room for a write."""
    return exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


# What a person reads for pydantic's refusals (its own words are for programmers: "String should
# have at least 5 characters"). Keyed by pydantic's error type; {name} takes the error's context.
PLAIN_WORDS = {
    "missing": "Please fill this in.",
    "string_too_short": "Write at least {min_length} characters.",
    "string_too_long": "Keep it to {max_length} characters or fewer.",
    "too_short": "Choose at least {min_length}.",
    "too_long": "Choose at most {max_length}.",
    "less_than_equal": "Use a number no higher than {le}.",
    "less_than": "Use a number below {lt}.",
    "greater_than_equal": "Use a number of at least {ge}.",
    "greater_than": "Use a number above {gt}.",
    "int_parsing": "Use a whole number.",
    "int_from_float": "Use a whole number.",
    "float_parsing": "Use a number.",
    "bool_parsing": "Tick the box or leave it empty.",
    "date_parsing": "Use a date like 2026-12-31.",
    "date_from_datetime_parsing": "Use a date like 2026-12-31.",
    "datetime_parsing": "Use a date and time like 2026-12-31 14:30.",
    "enum": "Choose one of the options.",
    "literal_error": "Choose one of the options.",
    "url_parsing": "Use a web address that starts with https://.",
    "string_pattern_mismatch": "Use only the characters this field allows.",
}


def plain_words(error: dict[str, Any]) -> str:
    """One pydantic error as a person would say it (our own validators' messages are kept)."""
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind == "string_too_short" and context.get("min_length") == 1:
        return PLAIN_WORDS["missing"]
    template = PLAIN_WORDS.get(kind)
    if template is None:
        return "Please check this value."
    try:
        return template.format(**context)
    except (KeyError, IndexError):
        return "Please check this value."


def field_errors(exc: ValidationError | ValidationFailed) -> dict[str, str]:
    """The message to show beside each field of a form, whether the form's model refused it
    (pydantic) or the service did; the first message per field, in plain words."""
    if isinstance(exc, ValidationFailed):
        return exc.errors
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "form"
        errors.setdefault(field, plain_words(dict(error)))
    return errors
