"""One transaction across services (core.db.one_transaction): a flow's steps land together or not
at all, and a service called on its own still commits at once."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlmodel import Session, select

from app.auth import service as auth_service
from app.auth.models import UserSession
from app.core.db import one_transaction
from app.flows import accounts
from app.people import service as people_service
from app.people.models import Person
from app.people.schemas import PersonCreate
from tests import factories


def _new_person(db: Session, admin: Person, email: str) -> Person:
    return people_service.create(db, actor=admin, data=PersonCreate(email=email, name="Nova New"))


def test_a_service_alone_commits_at_once(db: Session, admin: Person) -> None:
    _new_person(db, admin, "nova@example.test")
    db.rollback()  # nothing pending is lost: the service committed
    assert people_service.get_by_email(db, email="nova@example.test") is not None


def test_inside_one_transaction_nothing_lands_when_a_later_step_fails(db: Session, admin: Person) -> None:
    with pytest.raises(RuntimeError), one_transaction(db):
        _new_person(db, admin, "first@example.test")
        _new_person(db, admin, "second@example.test")
        raise RuntimeError("the third step fails")
    db.rollback()
    assert people_service.get_by_email(db, email="first@example.test") is None
    assert people_service.get_by_email(db, email="second@example.test") is None


def test_one_transaction_commits_every_step_together_at_its_end(db: Session, admin: Person) -> None:
    with one_transaction(db):
        _new_person(db, admin, "first@example.test")
        with one_transaction(db):  # nested: the outer block commits
            _new_person(db, admin, "second@example.test")
    db.rollback()
    assert people_service.get_by_email(db, email="first@example.test") is not None
    assert people_service.get_by_email(db, email="second@example.test") is not None


def test_deactivating_someone_ends_their_sessions_in_the_same_transaction(
    db: Session, admin: Person, employee: Person
) -> None:
    auth_service.open_session(db, person=employee)
    data = factories.update_of(employee, is_active=False)
    accounts.update_person(db, actor=admin, person_id=employee.id or 0, data=data)
    db.rollback()
    assert not people_service.get(db, person_id=employee.id or 0).is_active
    assert db.exec(select(UserSession).where(UserSession.person_id == employee.id)).all() == []


# The search engines' index writers have a commit() of their own, not a database session's.
SEARCH_ENGINES = "app/search/engines/"  # every engine module


def test_code_commits_only_through_core_db() -> None:
    """One way to commit: `db.commit(session)`, which waits for the end of a `one_transaction` it
    runs in, so any service composes into a flow. A bare `session.commit()` in a service would
    commit half of a flow (the demo loader did, for its pulse rounds)."""
    root = Path(__file__).resolve().parents[2]
    bare = []
    for path in sorted((root / "app").rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative == "app/core/db.py":
            continue  # where the commit idiom itself lives
        for node in ast.walk(ast.parse(path.read_text(), filename=relative)):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "commit"
                and isinstance(node.func.value, ast.Name)
            ):
                continue
            name = node.func.value.id
            if name == "db" and len(node.args) == 1:
                continue  # app.core.db.commit(session)
            if name == "savepoint" or (relative.startswith(SEARCH_ENGINES) and name == "writer"):
                continue
            bare.append(f"{relative}:{node.lineno} {name}.commit()")
    assert bare == [], "commit with db.commit(session) instead: " + ", ".join(bare)
