"""Domain errors. Services raise these (never HTTPException); app/main.py maps them to a page or JSON."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class NotAuthenticated(DomainError):
    status_code = 401
    default_message = "Please sign in."


class PermissionDenied(DomainError):
    status_code = 403
    default_message = "You do not have permission to do that."


class NotFound(DomainError):
    status_code = 404
    default_message = "We could not find that."


class Conflict(DomainError):
    status_code = 409
    default_message = "That conflicts with what is already there."


class ValidationFailed(DomainError):
    """Bad input. `errors` maps a field name to a message shown beside that field."""

    status_code = 422
    default_message = "Please correct the marked fields."

    def __init__(self, errors: dict[str, str], message: str | None = None) -> None:
        self.errors = errors
        super().__init__(message or "; ".join(f"{k}: {v}" for k, v in errors.items()))


class RateLimited(DomainError):
    status_code = 429
    default_message = "Too many attempts. Please wait a moment and try again."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class StorageFull(DomainError):
    """The disk has no room for this file (507 Insufficient Storage); nothing was saved."""

    status_code = 507
    default_message = "There is no room left to store this file. Nothing was saved; tell your portal admin."
