"""Who may do what with proposals (one policy for the domain, used by pages and API alike).

Everyone signed in proposes and supports; leaders (DECIDERS, in the access table) decide; the
author of an anonymous proposal is known to nobody but themselves."""

from __future__ import annotations

from app.core.access import DECIDERS
from app.core.errors import PermissionDenied
from app.people.models import Person
from app.proposals.models import Proposal


def can(person: Person | None, action: str, proposal: Proposal | None = None) -> bool:
    if person is None or not person.is_active:
        return False
    if action == "decide":
        return person.role in DECIDERS
    if action == "see_author":
        return proposal is not None and (not proposal.is_anonymous or proposal.author_id == person.id)
    if action in {"propose", "support", "follow"}:
        return True
    return False


def check(person: Person, action: str, proposal: Proposal | None = None) -> None:
    if not can(person, action, proposal):
        raise PermissionDenied("Only leaders decide on proposals." if action == "decide" else None)
