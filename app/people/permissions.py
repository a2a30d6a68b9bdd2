"""Who may do what with people, teams and departments (one policy for the domain)."""

from __future__ import annotations

from app.core.errors import PermissionDenied
from app.people.models import Person, Role

_RULES: dict[str, frozenset[Role]] = {
    "people.manage": frozenset({Role.admin}),
    "people.view_directory": frozenset(Role),
}


def can(person: Person | None, action: str) -> bool:
    if person is None or not person.is_active:
        return False
    return person.role in _RULES.get(action, frozenset())


def check(person: Person, action: str) -> None:
    if not can(person, action):
        raise PermissionDenied()
