"""Account changes that touch two domains: a person deactivated on the admin pages also loses
every open session and every API token (people owns the person, auth the sessions and tokens), in
one transaction. The tokens are revoked, not just refused while the person is inactive: reactivating
someone must not bring back a token that may have leaked meanwhile."""

from __future__ import annotations

from sqlmodel import Session

from app.auth import service as auth_service
from app.core.db import one_transaction, owns_transaction
from app.people import service as people_service
from app.people.models import Person
from app.people.schemas import PersonUpdate


@owns_transaction
def update_person(session: Session, *, actor: Person, person_id: int, data: PersonUpdate) -> Person:
    with one_transaction(session):
        person = people_service.update(session, actor=actor, person_id=person_id, data=data)
        if not person.is_active:
            auth_service.delete_sessions(session, person_id=person.id)
            auth_service.revoke_all_tokens(session, person_id=person.id)
    return person
